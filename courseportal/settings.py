"""Settings for courseportal, read from the environment.

Nothing set means a working development service on embedded defaults: SQLite in ``var/``,
an embedded Redis-compatible server started by ``manage.py runstack``, console email.
Production sets ``DJANGO_ENV=production`` plus ``SECRET_KEY``, ``DATABASE_URL``, ``REDIS_URL``
and ``ALLOWED_HOSTS`` (see ``.env.example``); a missing or malformed value stops start-up with a
message naming the variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} must be set (see .env.example).")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_int(name: str, default: int) -> int:
    return _env_number(name, default, int, "an integer")


def env_float(name: str, default: float) -> float:
    return _env_number(name, default, float, "a number")


def _env_number(name: str, default, parse, what: str):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not {what}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"DJANGO_ENV={DJANGO_ENV!r}; use development, production or test.")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env_bool("DEBUG", not PRODUCTION)
SECRET_KEY = env_str("SECRET_KEY", None if PRODUCTION else "dev-only-insecure-key-change-me-0123456789abcdef")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Writable state (SQLite database, uploaded blobs, sandbox caches) lives under one folder.
VAR_DIR = Path(env_str("COURSEPORTAL_VAR_DIR", str(BASE_DIR / "var")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
STATIC_ROOT = BASE_DIR / "staticfiles"
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "courseportal" / "static"]  # the portal's own CSS and poller script
# Outside production, serve static files straight from their source folders (no collectstatic),
# also with DEBUG off (the benchmark's stack); production serves the collected, compressed copies.
WHITENOISE_USE_FINDERS = not PRODUCTION
# No MEDIA_URL: uploads are served only through the authenticated download view.

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "courseportal.accounts",
    "courseportal.courses",
    "courseportal.submissions",
    "courseportal.gradebook",
    "courseportal.reports",
    "courseportal.operations",
    "grader",
]

MIDDLEWARE = [
    "courseportal.security_headers.SecurityHeadersMiddleware",  # first: it sees every response
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "courseportal.accounts.middleware.UserLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "courseportal.urls"
WSGI_APPLICATION = "courseportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "courseportal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'courseportal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite cannot create the database's folder itself ("unable to open database file").
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Web and workers write concurrently: WAL lets readers go on, and a generous busy timeout
    # queues writers instead of failing them with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Each web thread and worker process keeps its connection (CONN_MAX_AGE as for PostgreSQL):
    # opening one (and its PRAGMAs) cost more CPU than the queries of a status poll.

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = ["courseportal.accounts.backends.ThrottledModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttle (courseportal/accounts/throttling.py): slows guessing down, and never lets one
# person lock another out. Browsers where an account signed in before are not held back by anyone
# else's failures; from other browsers an account pauses after SIGN_IN_ACCOUNT_FAILURE_LIMIT wrong
# passwords (until the window passes or the password is reset), and an address that keeps failing
# waits a doubling delay, at most SIGN_IN_ADDRESS_MAX_DELAY_S, after SIGN_IN_ADDRESS_FREE_FAILURES.
SIGN_IN_WINDOW_MINUTES = env_int("SIGN_IN_WINDOW_MINUTES", 15)
SIGN_IN_ACCOUNT_FAILURE_LIMIT = env_int("SIGN_IN_ACCOUNT_FAILURE_LIMIT", 5)
SIGN_IN_DEVICE_FAILURE_LIMIT = env_int("SIGN_IN_DEVICE_FAILURE_LIMIT", 5)
SIGN_IN_ADDRESS_FREE_FAILURES = env_int("SIGN_IN_ADDRESS_FREE_FAILURES", 20)
SIGN_IN_ADDRESS_MAX_DELAY_S = env_int("SIGN_IN_ADDRESS_MAX_DELAY_S", 60)
# The request header holding the client's address when a proxy in front sets it (docker-compose's
# nginx sets X-Real-IP). Only set it when every request reaches the app through that proxy: a
# client could otherwise write the header itself. Unset: the connection's own address.
CLIENT_ADDRESS_HEADER = env_str("CLIENT_ADDRESS_HEADER", "")

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hant", "繁體中文")]
LOCALE_PATHS = [BASE_DIR / "courseportal" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"  # stored times are UTC; each course shows its own zone (default Asia/Taipei)
USE_TZ = True
DEFAULT_COURSE_TIME_ZONE = env_str("DEFAULT_COURSE_TIME_ZONE", "Asia/Taipei")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads: Django spools anything larger than this to a temp file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The hard ceiling for a request body; per-assignment limits are checked by the upload service.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024 * 1024

# Email: results are posted back by mail as well as on the page.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))  # for the filebased backend
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A mail server that accepts the connection and then says nothing would otherwise hold, with no end,
# the grading slot (or the TA's request) whose result it is mailing; after this the e-mail is logged
# as not sent and the grading goes on.
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0)
# A result e-mail not sent this long after its result was stored (the mail server failed, the
# worker stopped) is sent by the sweep (``notify.result_emails_sweep``).
RESULT_EMAIL_RETRY_AFTER_S = env_int("RESULT_EMAIL_RETRY_AFTER_S", 60)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "courseportal <noreply@localhost>")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

# --- Grading pipeline -------------------------------------------------------------------------
# Unset REDIS_URL means the embedded Valkey server that `manage.py runstack` starts on this port.
EMBEDDED_REDIS_PORT = env_int("EMBEDDED_REDIS_PORT", 6390)
REDIS_URL = env_str("REDIS_URL", f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0")
USING_EMBEDDED_REDIS = "REDIS_URL" not in os.environ

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None  # results live in the database, with the submission
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
# An upload must not hang when the broker is down: fail the publish fast, the sweep re-sends.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Unacknowledged messages of a killed worker come back after this; the sweep is faster.
    "visibility_timeout": 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # One list per step: fresh uploads (priority 0) before background regrades (9); see courseportal/celery.py.
    "priority_steps": [0, 9],
}
CELERY_TASK_PUBLISH_RETRY = False
# Celery's Django fix-up closes the database connection before and after every task unless told to
# reuse it; a grading then opens one (on PostgreSQL: a server process) for its few queries. The
# worker keeps it instead, as a web thread does: courseportal/celery.py closes it when it is older
# than CONN_MAX_AGE or broken, the rules a web request follows.
CELERY_DB_REUSE_MAX = 10**9

# How often the sweep re-sends forgotten submissions, and how long a queued submission may sit
# unclaimed before the sweep sends it again.
GRADING_SWEEP_INTERVAL_S = env_int("GRADING_SWEEP_INTERVAL_S", 10)
GRADING_REQUEUE_AFTER_S = env_int("GRADING_REQUEUE_AFTER_S", 300)
# A grading's soft time limit is its checker's sandbox wall clock plus this margin, for what it
# spends outside the sandbox run: a fresh zygote importing torch (1-5 s on 2 busy cores), the
# checker's own work (at most 2 s on any file), the database. A grading that runs past it on a
# slow start is only tried again. courseportal/submissions/time_limits.py derives the rest.
GRADING_TIME_MARGIN_S = env_int("GRADING_TIME_MARGIN_S", 30)
# A grading that did not finish (time limit, worker crash) is tried again until it has been
# claimed this many times; then it is failed with an error staff can see and regrade.
GRADING_MAX_ATTEMPTS = env_int("GRADING_MAX_ATTEMPTS", 2)
# Fairness: a student may have this many gradings in flight per assignment, and this many uploads
# per minute across the portal.
UPLOADS_PER_MINUTE_PER_STUDENT = env_int("UPLOADS_PER_MINUTE_PER_STUDENT", 6)
# The result page of a pending upload waits this long for its result before it renders (the page
# opened right after an upload then shows the result itself), and the page's poller waits up to
# RESULT_POLL_WAIT_S per ask; at most RESULT_WAITERS_PER_PROCESS requests of a web process wait at
# once (each holds a thread), the others render at once. 0 turns waiting off (polls every 2 s).
# See courseportal/submissions/services/settled.py.
RESULT_PAGE_WAIT_S = env_float("RESULT_PAGE_WAIT_S", 2.0)
RESULT_POLL_WAIT_S = env_float("RESULT_POLL_WAIT_S", 10.0)
RESULT_WAITERS_PER_PROCESS = env_int("RESULT_WAITERS_PER_PROCESS", 8)

# --- Sandbox ----------------------------------------------------------------------------------
# "bwrap" (the default) or "unsafe-dev", which runs student code without isolation and says so
# loudly at every start; anything else stops start-up.
SANDBOX = env_str("SANDBOX", "bwrap")
if SANDBOX not in {"bwrap", "unsafe-dev"}:
    raise ImproperlyConfigured(f"SANDBOX={SANDBOX!r}; use bwrap, or unsafe-dev on a laptop only.")
# Student code runs as uid SANDBOX_BASE_UID + worker slot: unprivileged, one per slot.
SANDBOX_BASE_UID = env_int("SANDBOX_BASE_UID", 61000)
# A warm zygote is replaced after this many runs, as a precaution: every run is cleaned up after
# and checked (grader/sandbox/runner.py), so isolation does not rest on it. Each replacement costs
# over a second of CPU (importing torch) and delays one student's result by as much: at 200 runs it
# was 6.5 ms of every grading's CPU under a deadline's load.
SANDBOX_RECYCLE_AFTER_RUNS = env_int("SANDBOX_RECYCLE_AFTER_RUNS", 1000)

# --- Training homework (queue `gpu`; grader/training, submissions/services/training_queue.py) ----
# MNIST's four IDX files (raw or .gz) in this folder; unset: scikit-learn's bundled digits (demo, CI).
TRAINING_DATA_DIR = env_str("TRAINING_DATA_DIR", "") or None
# "cuda" on GPU workers, "cpu" elsewhere: the same path, with the checker's smaller CPU budget.
TRAINING_DEVICE = env_str("TRAINING_DEVICE", "cpu")
if TRAINING_DEVICE not in {"cpu", "cuda"}:
    raise ImproperlyConfigured(f"TRAINING_DEVICE={TRAINING_DEVICE!r}; use cpu or cuda.")
# The GPUs a worker's training processes are spread over (CUDA_VISIBLE_DEVICES values), how many
# jobs share one GPU (the worker's concurrency is their product), each job's GPU memory (bytes;
# unset: an equal share of the GPU).
TRAINING_GPUS = env_list("TRAINING_GPUS", ["0"])
TRAINING_JOBS_PER_GPU = env_int("TRAINING_JOBS_PER_GPU", 1)
TRAINING_GPU_MEMORY_BYTES = env_int("TRAINING_GPU_MEMORY_BYTES", 0) or None
if TRAINING_JOBS_PER_GPU < 1 or not TRAINING_GPUS:
    raise ImproperlyConfigured("TRAINING_JOBS_PER_GPU must be at least 1 and TRAINING_GPUS name a GPU.")
# How many training runs all GPU workers together run at once: the dispatcher never sends more to
# the `gpu` queue, and the waiting students' estimates count on it. Set it to the sum of the GPU
# workers' concurrency.
TRAINING_SLOTS = env_int("TRAINING_SLOTS", len(TRAINING_GPUS) * TRAINING_JOBS_PER_GPU if TRAINING_DEVICE == "cuda" else 1)
# A training run whose worker died is tried again until it has been started this many times.
TRAINING_MAX_ATTEMPTS = env_int("TRAINING_MAX_ATTEMPTS", 2)
# A job handed to the `gpu` queue but not started after this long is handed over again.
TRAINING_REDISPATCH_AFTER_S = env_int("TRAINING_REDISPATCH_AFTER_S", 120)

# Where checkers cache their torch-computed references, keyed by checker version.
GRADER_CACHE_DIR = Path(env_str("GRADER_CACHE_DIR", str(VAR_DIR / "cache")))

# --- Production hardening (manage.py check --deploy passes with DJANGO_ENV=production) ---------
if PRODUCTION:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    # Preloading commits the whole domain to HTTPS in browsers for good: the university's call, made
    # with SECURE_HSTS_PRELOAD=true, so the deploy check's reminder (W021) is not an error here.
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("dev-only"):
        raise ImproperlyConfigured("SECRET_KEY must be a long random value in production.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the site's host names in production.")
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the polling script reads no cookie; forms carry the token
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"  # links out of the portal carry no path (submission ids)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# What pages may load and do (courseportal/security_headers.py sends it; a view that needs more,
# such as a page framing a PDF, widens one directive with @content_security_policy). Only the
# site's own scripts and style sheets: no inline script, no style attributes, no plugins, no
# frames, forms post only to this site, and no other site may frame these pages.
CONTENT_SECURITY_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "frame-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}
# Browser features no page of the portal uses, switched off for every page and frame.
PERMISSIONS_POLICY = {feature: [] for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment", "usb",
)}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Extra checker modules beyond assignments/*/checker.py (the test suite registers its own).
GRADER_EXTRA_CHECKER_MODULES = env_list("GRADER_EXTRA_CHECKER_MODULES", [])
# What student code must never see besides the engine itself (the sandbox's health probe checks it).
GRADER_PRIVATE_PATHS = [
    BASE_DIR / "manage.py", BASE_DIR / "courseportal", MEDIA_ROOT, VAR_DIR,
    *([Path(DATABASES["default"]["NAME"])] if str(DATABASES["default"].get("NAME") or "").startswith("/") else []),
]
