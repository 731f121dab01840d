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
