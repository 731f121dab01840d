"""Test settings: the production settings, with a development key and fast password hashing."""

import os

os.environ.setdefault("PORTAL_TESTING", "1")

from portal.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, as in production (WAL, the connection options, a connection that can be closed and
    # reopened), not SQLite's in-memory test database. pytest-django names one per xdist worker.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
