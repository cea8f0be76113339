"""Prep's settings: one module, configured from the environment (12-factor).

Every value that differs between a laptop and a production cluster is read from the
environment with django-environ; defaults give the embedded single-machine setup that
`make run` starts (SQLite, a private Redis on loopback).
"""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("PREP_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# A local .env file is optional; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in var/ (mode 0600)."""
    key = env.str("SECRET_KEY", default="")
    if key:
        return key
    path = VAR_DIR / "secret-key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "assessments",
    "hiring",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.ApplicationErrorMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into a 429
]

ROOT_URLCONF = "prep.urls"
WSGI_APPLICATION = "prep.wsgi.application"

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

# --- Database -----------------------------------------------------------------------------
# Any database through DATABASE_URL (https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url);
# SQLite in var/ by default.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'prep.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery workers write the same file: wait for the lock instead of
    # failing, take it at BEGIN so read-then-write transactions cannot deadlock, and let readers
    # run beside a writer (WAL). https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-transaction-behavior
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests need a file, not :memory:, so that the Celery worker process sees the same data
    # (it is handed this path); one per test run, so that two runs on a machine never share it.
    # (The pid alone is not enough: inside `make test`'s PID namespace every run is pid 1.)
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"prep-test-{os.getpid()}-{secrets.token_hex(4)}.sqlite3")
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound on the server and statements prepared once per connection (after
    # psycopg's 5 uses): PostgreSQL then parses and plans the hot statements once instead of
    # every time. PostgreSQL's CPU per request in bench/web.py went from 1.0-1.2 to 0.5-0.6 ms
    # (autosave) and 2.0-2.3 to 0.8-0.9 ms (Run), and per grading in bench/load.py's burst from
    # 3.5-5.0 to 1.5-2.4 ms. Behind a pooler in transaction mode that cannot keep prepared statements
    # (PgBouncer before 1.21, or without max_prepared_statements), set PREP_DB_PREPARE=false.
    DATABASES["default"]["ENGINE"] = "common.postgresql"  # Django's, knowing the 65535-parameter limit
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True, prepare_threshold=5 if env.bool("PREP_DB_PREPARE", default=True) else None)
# Keep database connections for a minute (checked before reuse): a new PostgreSQL connection per
# request and per grading task cost 21 ms of database CPU per request against 7 ms kept, in
# bench/load.py at 200 candidates. CONN_MAX_AGE=0 returns to one connection per request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Our own CSS/JS, and the browser libraries npm installs at set-up (scripts/setup-static.sh).
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/chart.js", BASE_DIR / "node_modules" / "chart.js" / "dist"),
    ("build", BASE_DIR / "static-build"),  # the code editor bundle (frontend/), built by scripts/setup-static.sh
]
STATIC_ROOT = VAR_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Security ------------------------------------------------------------------------------
# PREP_HTTPS=true behind TLS (production): secure cookies, HTTPS redirect, HSTS — `manage.py
# check --deploy` is then clean. The local `make run` serves plain HTTP on loopback.
PREP_HTTPS = env.bool("PREP_HTTPS", default=False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=PREP_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PREP_HTTPS:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz", r"^readyz"]  # load balancers probe over plain HTTP
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# Login throttling (django-axes): five wrong passwords for one username from one address lock
# that pair out for 15 minutes, on the sign-in page, the admin and the token endpoint alike.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("PREP_LOGIN_FAILURES", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("PREP_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False

# --- REST API ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated API call then gets 401 with WWW-Authenticate.
        "common.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.apis.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    # Per-user limits on what costs a sandbox run; per-address on the token endpoint.
    "DEFAULT_THROTTLE_RATES": {
        "code_run": env.str("PREP_RUN_RATE", default="30/min"),
        "code_submit": env.str("PREP_SUBMIT_RATE", default="12/min"),
        "auth": env.str("PREP_TOKEN_RATE", default="30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Prep API",
    "DESCRIPTION": "Interview preparation and skills assessment for data-science hiring.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "AttemptStateEnum": "assessments.models.Attempt.State",
        "ApplicationEndStateEnum": ["hired", "rejected", "withdrawn"],
    },
}

# --- Redis and Celery ----------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
# The cache (rate limits) is shared by every web process: Redis, in its own database number.
CACHES = {
    "default": {
        "BACKEND": "common.cache.RedisCache",  # Django's, keeping one client per pool
        "LOCATION": env.str("CACHE_URL", default=REDIS_URL.rsplit("/", 1)[0] + "/1"),
        "KEY_PREFIX": "prep",
        # A Redis that does not answer fails a cache call within seconds (rate limits then let
        # requests through), rather than holding a request for the kernel's TCP timeout.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
}
CELERY_RESULT_BACKEND = None  # results live in the database, not in Celery
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task has limits (a hung database call must not hold a worker for ever); a task that can
# take longer sets its own. A worker runs one task at a time (prep/celery_pool.py).
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 150
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"assessments.submission_grade": {"queue": "grading"}}
# Grading tasks are acked late, so an unacked message returns to the queue after the
# visibility timeout. It must exceed the grading hard time limit and the longest ETA
# (an attempt's deadline), or Redis redelivers tasks that are still legitimately pending.
# https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 6 * 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# One task at a time in the worker's own process, with soft and hard time limits (prep/celery_pool.py):
# a host runs PREP_WORKERS such processes (scripts/run-worker.sh). "prefork" gives Celery's default.
CELERY_WORKER_POOL = env.str("PREP_WORKER_POOL", default="prep.celery_pool:TaskPool")
# Grading processes start their next sandbox ahead of use, hiding its start-up from the
# candidate's wait (each sandbox still serves one run). Costs one idle slot per process.
PREP_JUDGE_PREWARM = env.bool("PREP_JUDGE_PREWARM", default=True)
PREP_GRADING_SOFT_TIME_LIMIT = env.int("PREP_GRADING_SOFT_TIME_LIMIT", default=300)
# Requests a web process lets wait for a verdict at once (GET /api/submissions/{id}/?wait=N);
# with the paper slots and queue below, keep it well below gunicorn's threads per worker so
# that waiting never blocks other requests.
PREP_LONG_POLL_WAITERS = env.int("PREP_LONG_POLL_WAITERS", default=4)
# How long a thread of a web process may hold the GIL while another one waits for it (Python's
# default: 5 ms). A request thread whose database or Redis answer is in waits up to this long,
# once per round trip, behind a busy one: see prep/wsgi.py. 0 keeps Python's default.
PREP_WEB_SWITCH_INTERVAL_MS = env.float("PREP_WEB_SWITCH_INTERVAL_MS", default=0.5)
# Attempt papers (a start, the attempt page) a web process builds at once (common/bulkhead.py);
# up to PREP_WEB_START_QUEUE more wait for a slot, for PREP_WEB_START_WAIT_S at most; beyond
# that, 503 + Retry-After. Slots + queue + PREP_LONG_POLL_WAITERS must stay well below
# gunicorn's threads per worker (the Procfile: 32), or autosaves wait for a thread. 0: no limit.
PREP_WEB_START_SLOTS = env.int("PREP_WEB_START_SLOTS", default=2)
PREP_WEB_START_QUEUE = env.int("PREP_WEB_START_QUEUE", default=16)
PREP_WEB_START_WAIT_S = env.float("PREP_WEB_START_WAIT_S", default=20.0)
PREP_GRADING_HARD_TIME_LIMIT = env.int("PREP_GRADING_HARD_TIME_LIMIT", default=330)
# The reconciler re-enqueues submissions left queued this long, and requeues running ones
# whose worker has been silent longer than the hard limit.
PREP_RECONCILE_QUEUED_AFTER = timedelta(seconds=env.int("PREP_RECONCILE_QUEUED_AFTER", default=60))
CELERY_BEAT_SCHEDULE = {
    "assessments.reconcile": {
        "task": "assessments.reconcile",
        "schedule": env.float("PREP_RECONCILE_EVERY", default=30.0),
    },
}

# --- Logging -------------------------------------------------------------------------------
# LOG_FORMAT=json: one JSON object per line (for a log shipper); plain text otherwise.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "pythonjsonlogger.json.JsonFormatter",
                 "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
                 "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}},
    },
    "handlers": {"console": {"class": "logging.StreamHandler",
                             "formatter": "json" if env.str("LOG_FORMAT", default="plain") == "json" else "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- E-mail --------------------------------------------------------------------------------
# Console by default; SMTP (or any backend) by settings, e.g. EMAIL_URL=smtp+tls://user:pw@host:587
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-email-url
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Prep <prep@localhost>")
# Links in e-mails point here.
PREP_BASE_URL = env.str("PREP_BASE_URL", default="http://127.0.0.1:8000")

PREP_DEMO_PASSWORD = env.str("PREP_DEMO_PASSWORD", default="prep-demo")
