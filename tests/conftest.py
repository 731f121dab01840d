from pathlib import Path

import pytest
from django.test import Client

# Browser screenshots and the traces of failed browser tests (see tests/e2e/conftest.py).
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def client():
    return Client(raise_request_exception=True)


def pytest_terminal_summary(terminalreporter):
    if getattr(terminalreporter.config, "workerinput", None) is not None:
        return  # an xdist worker: the controller prints it
    terminalreporter.write_sep("-", "browser test artifacts")
    terminalreporter.write_line(
        f"screenshots, and traces of failed browser tests: {ARTIFACTS} (screenshots/, traces/)"
    )


@pytest.fixture(autouse=True)
def content_version_read_afresh():
    """Each test reads the content version from its own database: a token an earlier test read
    inside its rolled-back transaction would otherwise be trusted for up to a second, and a page
    cached under it would miss as soon as that second ran out."""
    from guidance.models import ContentVersion

    ContentVersion.forget()
