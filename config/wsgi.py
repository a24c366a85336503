import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# Once the apps are loaded, before the process takes requests, do the slow
# first-time work: build the API schema, and load the cache backend (the
# Redis client takes seconds to import on a busy machine).
from django.core.cache import caches  # noqa: E402

from config.schema_view import api_schema_warm  # noqa: E402

caches["default"]
api_schema_warm()
