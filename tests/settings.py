"""Test settings: the production settings, with the tests' own key and hosts, plain HTTP (the
test client and the browser tests' live server speak it) and fast password hashing.

Nothing here is reachable from portal/settings.py: production has no switch that relaxes it.
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-key-" + "a1b2c3d4e5f6g7h8i9j0" * 3)
os.environ["ALLOWED_HOSTS"] = "localhost,127.0.0.1,[::1]"  # the live server answers on both names
os.environ["HTTPS"] = "0"

from portal.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    # A file, as in production (WAL, the connection options, a connection that can be closed and
    # reopened), not SQLite's in-memory test database. pytest-django names one per xdist worker.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}  # noqa: F405
