import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as error:
    # Refuse to start with a plain sentence (gunicorn shows it), not a traceback.
    print(f"Configuration error: {error}", file=sys.stderr)
    sys.exit(4)

# The migration state /readyz reports, worked out once before gunicorn forks its workers (they
# inherit it); the connection is closed so that no worker shares the master's.
from django.db import connection  # noqa: E402

from guidance.views.system import migrations_applied  # noqa: E402

migrations_applied()
connection.close()
