"""Lode settings, read from the environment.

Unset variables give the embedded default: a SQLite file under var/, Celery
tasks run in process, no other service.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from error


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


# Core

DEBUG = env_bool("DEBUG", False)
# The fallback key only ever serves the embedded default; production sets
# SECRET_KEY, and `check --deploy` flags a short or insecure one.
SECRET_KEY = env_str("SECRET_KEY", "django-insecure-lode-embedded-default-key")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "scoring",
    "stakeholders",
    "plans",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # CommonMiddleware, redirecting API writes without a slash with 308.
    "config.middleware.SlashMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.security.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so the refusal can carry a message; it answers before any
    # view or the CSRF check reads the body.
    "config.security.UploadLimitMiddleware",
    "config.security.QueryNulMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "scoring:portfolio"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'lode.sqlite3'}")
# Seconds a connection is kept for the next request. 0 by default: the
# development server starts a thread per request, and kept connections would
# pile up until PostgreSQL refuses new clients. Gunicorn's workers reuse
# theirs, so production sets it (docker-compose.yml).
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # WAL lets pages read while a background import writes. Every
    # transaction takes the write lock when it begins (IMMEDIATE): a deferred
    # one that read first and then writes cannot wait for the lock, SQLite
    # fails it at once with "database is locked" whatever the timeout. The
    # timeout is how long a writer queues for the lock, in seconds.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        # NORMAL is safe under WAL: a commit survives a crash of the app.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file rather than shared memory, so tests see the same locking as the
    # embedded default when a background thread writes.
    DATABASES["default"]["TEST"] = {
        "NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Compile every kept query again and compare it with the kept SQL
# (config/compiled_queries.py); the tests turn it on.
COMPILED_QUERIES_CHECKED = env_bool("COMPILED_QUERIES_CHECKED", False)

# Redis, Celery and cache

REDIS_URL = env_str("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# With no broker, long tasks (imports) run in a thread of the web process, so
# the request returns at once and the page can follow the progress.
TASKS_IN_BACKGROUND_THREAD = env_bool("TASKS_IN_BACKGROUND_THREAD", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# A request that sends a task must answer within seconds when Redis is down
# or stalled: one connection attempt and one publish, each bounded by these
# socket timeouts, and no retries (kombu would otherwise keep reconnecting for
# the whole connection timeout). The work is already recorded as pending, and
# config.pending sends it again.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    "max_retries": 0,
}
CELERY_TASK_PUBLISH_RETRY = False
# A worker or beat waits out a stalled or restarting Redis instead: nobody
# waits on its answer. config.celery applies these on top in such
# processes. A command Redis does not answer within the timeout is tried
# once more; past that the worker's acks are sent again by config.worker,
# however long the stall lasts.
WORKER_BROKER_TIMEOUT_SECONDS = env_int("WORKER_BROKER_TIMEOUT_SECONDS", 30)
CONSUMER_CELERY_SETTINGS = {
    "broker_transport_options": {
        "socket_connect_timeout": 5,
        "socket_timeout": WORKER_BROKER_TIMEOUT_SECONDS,
        "retry_on_timeout": True,
        "socket_keepalive": True,
        "health_check_interval": 10,
    },
    "broker_connection_retry": True,
    "broker_connection_retry_on_startup": True,
    "broker_connection_max_retries": None,
    "task_publish_retry": True,
}
CELERY_IMPORTS = ["config.pending"]
PENDING_RESEND_EVERY_SECONDS = env_int("PENDING_RESEND_EVERY_SECONDS", 60)
# An import marked running this long ago whose process holds no liveness
# lock is stalled (accounts.import_liveness); the sweep marks such imports
# failed, and runs this often.
LODE_IMPORT_STALLED_SECONDS = env_int("LODE_IMPORT_STALLED_SECONDS", 120)
CELERY_TIMEZONE = "UTC"
SCORING_NIGHTLY_HOUR = env_int("SCORING_NIGHTLY_HOUR", 2)

if REDIS_URL:
    CACHES = {
        "default": {
            # Skips Redis for a while after a connection error, so pages
            # keep serving without the cache; short timeouts bound a stall.
            "BACKEND": "config.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Auth

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Every login, ours and the admin's, goes through the lockout.
AUTHENTICATION_BACKENDS = ["config.security.LockoutModelBackend"]
LOGIN_LOCKOUT_FAILURES = env_int("LOGIN_LOCKOUT_FAILURES", 5)
LOGIN_LOCKOUT_ADDRESS_FAILURES = env_int("LOGIN_LOCKOUT_ADDRESS_FAILURES", 20)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 15 * 60)
# How many proxies we run in front of the app, each appending the address
# it saw to X-Forwarded-For. 0 trusts only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# API

REST_FRAMEWORK = {
    # Token first, so an anonymous API call gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api_tokens.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "config.api.ReadOnlyRoleWritesNothing",
        "config.api.QueryParamsDocumented",
    ],
    # DRF's parsers, with JSON nesting limited so deep bodies answer 400.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # JSON only: the browsable API's forms cannot send If-Match, so every
    # update from them was refused. /api/docs/ is where to try requests.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "config.negotiation.JsonOnlyNegotiation",
    # Dates in and out as ISO 8601 YYYY-MM-DD only: DRF's default takes
    # whatever Python's fromisoformat does, 20260105 among them.
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
    "DEFAULT_PAGINATION_CLASS": "config.api.LodePagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "config.api_schema.LodeAutoSchema",
    # Schema path parameters keep their URL kwarg names (pk, account_pk).
    "SCHEMA_COERCE_PATH_PK": False,
    "EXCEPTION_HANDLER": "config.api.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api.LodeAnonRateThrottle",
        "config.api.LodeUserRateThrottle",
        "config.api.ApiTokenRateThrottle",
    ],
    # Throttles tell anonymous clients apart by address: the same proxy
    # count as logins, or DRF would trust a client's X-Forwarded-For.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "60/minute"),
        "user": env_str("API_USER_RATE", "6000/minute"),
        "token": env_str("API_TOKEN_RATE", "1200/minute"),
    },
}
# Failed token authentications from one address before it must wait.
API_TOKEN_FAILURE_RATE = env_str("API_TOKEN_FAILURE_RATE", "20/minute")

SPECTACULAR_SETTINGS = {
    "TITLE": "Lode API",
    "DESCRIPTION": (
        "Everything a user can do in the browser. Authenticate with the browser "
        "session (send the CSRF token on writes) or a personal API token from "
        "/accounts/tokens/ as `Authorization: Token <secret>`. Updates need the "
        "ETag from the last read in If-Match: 428 without it, 412 when stale. "
        "The API answers JSON only; there is no browsable API, whose forms "
        "cannot send If-Match. Try requests here: each update has an If-Match "
        "field, and signed-in writes carry the CSRF token."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/",
    # Swagger UI and Redoc come from the sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Schema quality is tested in tests/security; `check --deploy` stays about
    # the deployment.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
    # The errors every operation can answer (400, 401, 403, 404, 413, 415,
    # 429, and 428/412 under If-Match) come from one hook, not each view.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.api_schema.error_responses_add",
    ],
    # Several models call their choices Kind; name each set after its model.
    "ENUM_NAME_OVERRIDES": {
        "VoiceKindEnum": "plans.models.VoiceOfCustomer.Kind",
        "MeasureDirectionEnum": "plans.models.ValueMeasure.Direction",
        "InfluenceKindEnum": "stakeholders.models.InfluenceLink.Kind",
        "ActivityKindEnum": "stakeholders.models.Activity.Kind",
        "BuyingRoleKindEnum": "stakeholders.models.BuyingRole.Kind",
        # accounts.wizard_apis: how an import was made.
        "ImportKindEnum": ["wizard", "bundled"],
        "RelationshipLevelEnum": "stakeholders.models.Stakeholder.RelationshipLevel",
    },
}

# Internationalisation

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Static and uploaded files

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# plotly.js is vendored under static/vendor/plotly (its README says which
# build), so no page needs a CDN.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
MEDIA_URL = "media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# The largest request body carrying files; config.security refuses a larger
# one with a message.
LODE_UPLOAD_MAX_BYTES = env_int("LODE_UPLOAD_MAX_BYTES", 256 * 1024 * 1024)
# Days an ended import keeps its uploaded files (accounts.upload_retention).
LODE_UPLOAD_KEEP_DAYS = env_int("LODE_UPLOAD_KEEP_DAYS", 30)
if LODE_UPLOAD_KEEP_DAYS < 1:
    raise ImproperlyConfigured(
        f"LODE_UPLOAD_KEEP_DAYS must be 1 or more, not {LODE_UPLOAD_KEEP_DAYS}"
    )
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Also serve files straight from the static folders, so a server started
# without `collectstatic` still has its styles and scripts.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "config.static.LodeStaticFilesStorage"
        )
    },
}

# Security. HTTPS=true is the production setting behind TLS; the embedded
# default and the tests serve plain HTTP on 127.0.0.1.

HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
# A refused form says why in Lode's words, with a way back (JSON under /api/).
CSRF_FAILURE_VIEW = "config.views.csrf_failure"
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Logging

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "filters": {"refusals": {"()": "config.logs.RefusalsWithoutTraceback"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Lode

# First month of the fiscal year (1 = January); plans cover one fiscal year.
FISCAL_YEAR_START_MONTH = env_int("FISCAL_YEAR_START_MONTH", 1)
# Name a fiscal year by the calendar year it ends in ("end") or starts in.
FISCAL_YEAR_LABEL = env_str("FISCAL_YEAR_LABEL", "end")

# Days after which a relationship with no logged touch shows as going stale.
STAKEHOLDER_STALE_DAYS = env_int("STAKEHOLDER_STALE_DAYS", 90)

# Days after which an untouched plan shows as stalled on the dashboard.
PLAN_STALE_DAYS = env_int("PLAN_STALE_DAYS", 30)
# Plan sections changed within this many days count as fresh.
PLAN_FRESH_DAYS = env_int("PLAN_FRESH_DAYS", 90)
# Window of logged activity the dashboard sets against potential.
DASHBOARD_EFFORT_DAYS = env_int("DASHBOARD_EFFORT_DAYS", 90)
