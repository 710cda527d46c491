"""Kehu settings: one file, every value from the environment with a safe embedded default.

Embedded set-up (no variables set): SQLite in ``$KEHU_DATA_DIR`` and a Celery broker on the
file system, so nothing needs installing. Production: ``DATABASE_URL`` (PostgreSQL),
``KEHU_BROKER_URL`` (Redis or RabbitMQ), ``SECRET_KEY`` and ``KEHU_ALLOWED_HOSTS``.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DATA_DIR = Path(env("KEHU_DATA_DIR", str(Path.cwd() / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in the data dir."""
    if env("SECRET_KEY"):
        return env("SECRET_KEY")
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("KEHU_DEBUG", False)
ALLOWED_HOSTS = env_list("KEHU_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("KEHU_CSRF_TRUSTED_ORIGINS")

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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "kehu.core",
    "kehu.accounts",
    "kehu.customers",
    "kehu.interactions",
    "kehu.tags",
    "kehu.dataquality",
    "kehu.sales",
    "kehu.recyclebin",
    "kehu.audit",
    "kehu.privacy",
    "kehu.pool",
    "kehu.segments",
    "kehu.analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "kehu.core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "kehu.accounts.security.middleware.IdleTimeoutMiddleware",
    "kehu.accounts.security.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "kehu.core.middleware.ContentSecurityPolicyMiddleware",
    "kehu.core.crypto.middleware.DecryptionErrorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "kehu.urls"
WSGI_APPLICATION = "kehu.wsgi.application"
ASGI_APPLICATION = "kehu.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database: SQLite by default, PostgreSQL by DATABASE_URL -------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'kehu.sqlite3'}"),
        conn_max_age=int(env("KEHU_DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers queue for
    # up to `timeout` seconds instead of failing with "database is locked" on upgrade.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Covering indexes (INCLUDE) are PostgreSQL's speed-up; SQLite builds the same index
    # on its key columns alone, which is the intended fallback, not a fault to report at
    # every command.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "analytics:dashboard"
LOGOUT_REDIRECT_URL = "login"
# Argon2 first: new passwords use it, and older PBKDF2 hashes are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "kehu.accounts.security.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(env("KEHU_PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation: zh-hans by default, English complete ----------------------------
LANGUAGE_CODE = env("KEHU_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("KEHU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Production collects static files into STATIC_ROOT (KEHU_COLLECTSTATIC=1); the embedded set-up
# serves them from the apps and has no STATIC_ROOT at all.
STATIC_ROOT = (
    Path(env("KEHU_STATIC_ROOT", str(DATA_DIR / "static")))
    if env_bool("KEHU_COLLECTSTATIC", False)
    else None
)
STATICFILES_DIRS = [BASE_DIR / "static"]  # project-wide assets: vendor/ (offline) and kehu/
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("KEHU_COLLECTSTATIC", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The embedded set-up serves static files straight from the apps (no collectstatic step).
WHITENOISE_USE_FINDERS = not env_bool("KEHU_COLLECTSTATIC", False)
MEDIA_ROOT = Path(env("KEHU_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "media/"

# --- Security -----------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("KEHU_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = int(env("KEHU_SESSION_AGE", str(8 * 3600)))
# Signed out after this long without a request (accounts.security.middleware).
KEHU_SESSION_IDLE_MINUTES = int(env("KEHU_SESSION_IDLE_MINUTES", "60"))
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind HTTPS (KEHU_HTTPS=1): redirect plain HTTP, HSTS, and trust the proxy's scheme header.
if env_bool("KEHU_HTTPS", False):
    SECURE_SSL_REDIRECT = env_bool("KEHU_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(env("KEHU_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KEHU_HSTS_SUBDOMAINS", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
# Lockout (accounts.security.lockout): per account, and per address with a higher limit since
# a whole office may sign in from one NAT address.
KEHU_LOGIN_MAX_FAILURES = int(env("KEHU_LOGIN_MAX_FAILURES", "5"))
KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS = int(env("KEHU_LOGIN_MAX_FAILURES_PER_ADDRESS", "20"))
KEHU_LOGIN_LOCKOUT_MINUTES = int(env("KEHU_LOGIN_LOCKOUT_MINUTES", "15"))
# Request size limits (core.middleware): bodies without files, and whole multipart uploads.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("KEHU_MAX_REQUEST_BYTES", str(2_621_440)))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(env("KEHU_FILE_UPLOAD_MEMORY_BYTES", str(2_621_440)))
KEHU_MAX_UPLOAD_BYTES = int(env("KEHU_MAX_UPLOAD_BYTES", str(50 * 1024 * 1024)))
# Customer import files (spec §5): a million rows as CSV is about 150 MB.
KEHU_IMPORT_MAX_BYTES = int(env("KEHU_IMPORT_MAX_BYTES", str(200 * 1024 * 1024)))
# Throttling counts live in the cache: set KEHU_CACHE_URL (redis://…) when several processes
# serve requests, else each process counts on its own.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("KEHU_CACHE_URL"),
    }
    if env("KEHU_CACHE_URL")
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Encryption at rest (kehu.core.crypto) ---------------------------------------------------
# Production: KEHU_ENCRYPTION_KEYS="kid1:base64key,kid0:base64key" (the first encrypts) and
# KEHU_BLIND_INDEX_SECRET. Else the key file, made on a new install's first migrate.
KEHU_ENCRYPTION_KEYS = env("KEHU_ENCRYPTION_KEYS")
KEHU_BLIND_INDEX_SECRET = env("KEHU_BLIND_INDEX_SECRET")
KEHU_KEY_FILE = Path(env("KEHU_KEY_FILE", str(DATA_DIR / "encryption.keys")))

# --- Backups (kehu backup / kehu restore, core.backup) -------------------------------------
KEHU_BACKUP_DIR = Path(env("KEHU_BACKUP_DIR", str(DATA_DIR / "backups")))
KEHU_BACKUP_KEEP = int(env("KEHU_BACKUP_KEEP", "14"))
KEHU_BACKUP_SCHEDULED = env_bool("KEHU_BACKUP_SCHEDULED", True)
# Deleted records stay restorable in the recycle bin this many days, then are purged.
KEHU_RECYCLE_BIN_DAYS = int(env("KEHU_RECYCLE_BIN_DAYS", "60"))

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "kehu.core.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kehu.core.api.exception_handler",
    "PAGE_SIZE": 50,
    # Per user (so per token); anonymous callers only reach the token endpoint.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("KEHU_API_RATE", "600/min"),
        "anon": env("KEHU_API_ANON_RATE", "30/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kehu API",
    "DESCRIPTION": "Kehu (客户) CRM REST API. Every endpoint applies the caller's data scope.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kehu.core.api_schema.document_common_answers",
    ],
}

# --- Celery: embedded file-system broker by default, Redis/RabbitMQ by KEHU_BROKER_URL ------
CELERY_BROKER_URL = env("KEHU_BROKER_URL", "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = DATA_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env("KEHU_RESULT_BACKEND", "") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ALWAYS_EAGER = env_bool("KEHU_CELERY_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "kehu.core.tasks.heartbeat", "schedule": 60.0},
    "task-reminders": {"task": "kehu.interactions.tasks.send_due_reminders", "schedule": 60.0},
    "classify-customers": {
        "task": "kehu.tags.tasks.classify_all",
        "schedule": crontab(hour=2, minute=30),
    },
    "check-completeness": {
        "task": "kehu.dataquality.tasks.check_all_completeness",
        "schedule": crontab(hour=2, minute=45),
    },
    "remind-stale-customers": {
        "task": "kehu.dataquality.tasks.remind_stale_customers",
        "schedule": crontab(hour=9, minute=0),
    },
    "scan-duplicates": {
        "task": "kehu.dataquality.duplicates.tasks.scan_duplicates",
        "schedule": crontab(hour=3, minute=45),  # after the 03:15 backup
    },
    "purge-old-history": {
        "task": "kehu.audit.tasks.purge_old_history",
        "schedule": crontab(hour=4, minute=15),
    },
    "anonymise-lost-customers": {
        "task": "kehu.privacy.tasks.anonymise_lost_customers",
        "schedule": crontab(hour=4, minute=30),
    },
    "check-contracts": {
        "task": "kehu.sales.tasks.check_contracts",
        "schedule": crontab(hour=8, minute=30),
    },
}
# Public pool: notices before, then returns, of customers nobody followed up (kehu.pool).
CELERY_BEAT_SCHEDULE["recycle-pool"] = {
    "task": "kehu.pool.tasks.recycle_pool",
    "schedule": crontab(hour=1, minute=30),
}
CELERY_BEAT_SCHEDULE["purge-recycle-bin"] = {
    "task": "kehu.recyclebin.tasks.purge_recycle_bin",
    "schedule": crontab(hour=4, minute=15),
}
if KEHU_BACKUP_SCHEDULED:
    CELERY_BEAT_SCHEDULE["backup-database"] = {
        "task": "kehu.core.tasks.backup_database",
        "schedule": crontab(hour=3, minute=15),
    }

# --- Mail ---------------------------------------------------------------------------------
EMAIL_HOST = env("KEHU_EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("KEHU_EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("KEHU_EMAIL_USER")
EMAIL_HOST_PASSWORD = env("KEHU_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("KEHU_EMAIL_TLS", False)
EMAIL_BACKEND = env(
    "KEHU_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if env("KEHU_EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
DEFAULT_FROM_EMAIL = env("KEHU_FROM_EMAIL", "kehu@localhost")

# KEHU_LOG_FORMAT=json: one JSON object per line (core.logformat), for log collectors.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "kehu.core.logformat.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if env("KEHU_LOG_FORMAT") == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env("KEHU_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Kehu domain settings -----------------------------------------------------------------
KEHU_BASE_URL = env("KEHU_BASE_URL", "http://127.0.0.1:8000")
KEHU_LIST_PAGE_SIZE = int(env("KEHU_LIST_PAGE_SIZE", "25"))
# Large lists (core.pagination): counts exact up to this many rows, estimated above; pages
# numbered up to this many rows deep, further pages reached by a keyset "Next" link.
KEHU_EXACT_COUNT_LIMIT = int(env("KEHU_EXACT_COUNT_LIMIT", "10000"))
# 2,000 rows, as Salesforce caps OFFSET: an OFFSET costs the rows it skips, and past the first
# pages people filter or go on with "Next", which costs the same at any depth.
KEHU_MAX_PAGE_OFFSET = int(env("KEHU_MAX_PAGE_OFFSET", "2000"))
# PostgreSQL: a list count that takes longer than this is replaced by the planner's estimate
# (shown as one); 0 counts without a time limit.
KEHU_COUNT_TIME_MS = int(env("KEHU_COUNT_TIME_MS", "15"))
# Duplicate matcher scores are in [0, 1]; see kehu.dataquality.matching for the weights.
# The entry warning is deliberately lower than the scan: a warning costs the user one click.
KEHU_DUPLICATE_WARN_THRESHOLD = float(env("KEHU_DUPLICATE_WARN_THRESHOLD", "0.3"))
# Pairs scoring at least this in the whole-table scan form duplicate groups (tuned on
# bench/duplicates_f1.py, reported on a held-out seed).
KEHU_DUPLICATE_THRESHOLD = float(env("KEHU_DUPLICATE_THRESHOLD", "0.65"))
# Customers not updated for this many days are listed for, and reminded to, their owners.
KEHU_STALE_AFTER_DAYS = int(env("KEHU_STALE_AFTER_DAYS", "90"))
# Public web-to-lead form: a post faster than this after the page loaded is a bot; the form
# expires after a day; each IP may post this many times per window (seconds).
KEHU_WEB_TO_LEAD_MIN_SECONDS = int(env("KEHU_WEB_TO_LEAD_MIN_SECONDS", "3"))
KEHU_WEB_TO_LEAD_MAX_AGE = int(env("KEHU_WEB_TO_LEAD_MAX_AGE", "86400"))
KEHU_WEB_TO_LEAD_RATE_LIMIT = int(env("KEHU_WEB_TO_LEAD_RATE_LIMIT", "5"))
KEHU_WEB_TO_LEAD_RATE_WINDOW = int(env("KEHU_WEB_TO_LEAD_RATE_WINDOW", "600"))
# Contract owners are reminded this many days before a contract ends (once per end date).
KEHU_CONTRACT_EXPIRY_NOTICE_DAYS = int(env("KEHU_CONTRACT_EXPIRY_NOTICE_DAYS", "30"))
KEHU_CONTRACT_ATTACHMENT_MAX_BYTES = int(
    env("KEHU_CONTRACT_ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024))
)
# 保有量: the most customers one user may own and still claim from a public pool (0: no cap).
KEHU_POOL_HOLDING_CAP = int(env("KEHU_POOL_HOLDING_CAP", "200"))
KEHU_COMPANY_NAME = env("KEHU_COMPANY_NAME", _("Kehu CRM"))
# Audit history is kept forever unless a number of days is set (spec §10: full change history).
KEHU_HISTORY_RETENTION_DAYS = (
    int(env("KEHU_HISTORY_RETENTION_DAYS")) if env("KEHU_HISTORY_RETENTION_DAYS") else None
)
# PIPL retention: contacts of customers lost longer than this many years are anonymised
# (empty: never).
KEHU_RETENTION_LOST_YEARS = (
    int(env("KEHU_RETENTION_LOST_YEARS")) if env("KEHU_RETENTION_LOST_YEARS") else None
)
