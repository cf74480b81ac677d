"""Settings read from the environment only.

Every value comes from an environment variable (or a `*_FILE` holding it), parsed by helpers
that fail loudly on a bad value. See the README's table for the full list.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

import csp.constants
import environ
from django.core.exceptions import ImproperlyConfigured

from config.keys import versioned_keys_parse

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# The same, but NAME_FILE (when set) names a file holding NAME: Docker and Kubernetes secrets.
# Only the secrets below are read through it (env_secret).
file_env = environ.FileAwareEnv()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A boolean that fails loudly: DEBUG=maybe is an error, not False."""
    raw = env.str(name, default=None)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def env_secret(name: str, default: str = "") -> str:
    """A secret from the file named by NAME_FILE, else from NAME; surrounding whitespace (a
    file's final newline) is not part of it. An unreadable NAME_FILE fails loudly."""
    try:
        return file_env.str(name, default=default).strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}_FILE cannot be read: {exc}") from exc


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_secret("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), "
            "or DEBUG=1 for development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on-never-in-production"  # noqa: S105

# Keys for keyed hashes. Voucher codes: "version:secret" pairs, the highest version signs new
# codes and every listed version still verifies old ones (rotation without re-issuing).
CODE_HASH_KEYS = env.list("CODE_HASH_KEYS", default=[])
IDENTITY_HASH_KEY = env_secret("IDENTITY_HASH_KEY")
if not DEBUG and (not CODE_HASH_KEYS or not IDENTITY_HASH_KEY):
    raise ImproperlyConfigured(
        "CODE_HASH_KEYS and IDENTITY_HASH_KEY must be set when DEBUG is off "
        "(CODE_HASH_KEYS=1:<long random secret>, IDENTITY_HASH_KEY=<long random secret>)."
    )
if not CODE_HASH_KEYS:
    CODE_HASH_KEYS = ["1:insecure-development-code-key"]
if not IDENTITY_HASH_KEY:
    IDENTITY_HASH_KEY = "insecure-development-identity-key"
# Payment details (bank account numbers) are encrypted at rest with keys derived from these
# "version:secret" pairs (payouts/crypto.py): the highest version encrypts, every listed one
# decrypts; rotate by adding a higher version and running `manage.py payouts_keys_rotate`.
PAYOUT_ACCOUNT_KEYS = env.list("PAYOUT_ACCOUNT_KEYS", default=[])
if not PAYOUT_ACCOUNT_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "PAYOUT_ACCOUNT_KEYS must be set when DEBUG is off (1:<long random secret>)."
        )
    PAYOUT_ACCOUNT_KEYS = ["1:insecure-development-payout-key"]
versioned_keys_parse(
    PAYOUT_ACCOUNT_KEYS, setting="PAYOUT_ACCOUNT_KEYS", min_secret_length=0 if DEBUG else 32
)
versioned_keys_parse(CODE_HASH_KEYS, setting="CODE_HASH_KEYS", min_secret_length=0 if DEBUG else 16)
# Compromised instruments' numbers (instruments/hashing.py): "version:secret" pairs, the
# highest hashes new imports, every listed one still matches; unset, version 1 is
# IDENTITY_HASH_KEY.
INSTRUMENT_HASH_KEYS = env.list("INSTRUMENT_HASH_KEYS", default=[])
versioned_keys_parse(
    INSTRUMENT_HASH_KEYS, setting="INSTRUMENT_HASH_KEYS", min_secret_length=0 if DEBUG else 16
)
INSTRUMENT_UPLOAD_MAX_BYTES = env.int("INSTRUMENT_UPLOAD_MAX_BYTES", default=64 * 1024 * 1024)
# A seller named on this many good-faith claims is a cluster: flagged to the reviewer and in
# the operator's export for the police.
INSTRUMENTS_SELLER_CLUSTER_CLAIMS = env.int("INSTRUMENTS_SELLER_CLUSTER_CLAIMS", default=2)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# How many reverse proxies in front of us append to X-Forwarded-For (0: trust none of it).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

INSTALLED_APPS = [
    "config.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "axes",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "audit",
    "compensation",
    "claims",
    "vouchers",
    "notifications",
    "oversight",
    "payouts",
    "support",
    "instruments",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before CsrfViewMiddleware, whose process_view reads a POST body.
    "config.middleware.RequestBodyLimitMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # After a form's POST, that browser's report pages read the primary (config/replica.py).
    "config.replica.ReplicaStickyMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Names the staff member in the audit rows of staff-table changes (accounts/trail.py).
    "accounts.middleware.StaffTrailMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.middleware.ApiMethodNotAllowedMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "compensation.claimant_session.claimant_context",
            ],
        },
    },
]

# --- Database: PostgreSQL only -------------------------------------------------------------
if "DATABASE_URL" not in env:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run` / `make test` "
        "(they start an embedded PostgreSQL), "
        "or set DATABASE_URL=postgres://user@host:5432/dbname."
    )
DATABASES = {"default": env.db_url("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...).")
# A Unix-socket directory may be given percent-encoded as the host (libpq's URI form).
DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"])
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Through PgBouncer in transaction pooling mode (docs/configuration.md, "Connection pooling"):
# each transaction may run on another server connection, so nothing relies on session state.
# Django's server-side cursors (WITH HOLD outside a transaction) are off; streams that must
# keep memory flat declare their cursor inside a transaction (config.db.rows_stream); no
# prepared statements (Django's default, required here: PgBouncer 1.18 does not carry them).
DATABASE_POOLED = env_bool("DATABASE_POOLED", False)
# A streaming replica for reports (config/replica.py): only replica_reads() blocks read it.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url("DATABASE_REPLICA_URL")
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL must point at PostgreSQL (postgres://...)."
        )
    DATABASES["replica"]["HOST"] = unquote(DATABASES["replica"]["HOST"])
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests create no database on it (a standby is read-only; it replicates the test one).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
for _database in DATABASES.values():
    if DATABASE_POOLED:
        _database["DISABLE_SERVER_SIDE_CURSORS"] = True
        _options = _database.setdefault("OPTIONS", {})
        if _options.get("server_side_binding") or _options.get("prepare_threshold") is not None:
            raise ImproperlyConfigured(
                "DATABASE_POOLED=1: no server_side_binding or prepare_threshold in the database "
                "URL (PgBouncer in transaction mode cannot carry prepared statements)."
            )
        _options["prepare_threshold"] = None
DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
# The replica is used while it is at most this far behind the primary (its figures then say
# as of when), else reads go to the primary; after a form's POST, that browser reads the
# primary for STICKY seconds.
DATABASE_REPLICA_MAX_LAG_SECONDS = env.int("DATABASE_REPLICA_MAX_LAG_SECONDS", default=30)
DATABASE_REPLICA_STICKY_SECONDS = env.int("DATABASE_REPLICA_STICKY_SECONDS", default=15)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery ----------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if not REDIS_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is not set. Use `make run` / `make test` (they start an embedded Redis), "
        "or set REDIS_URL=redis://host:6379/0."
    )
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="bc"),
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=600)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=660)
# The longest delay any task's retry policy may ask for (see config.celery.RETRY_BACKOFF_MAX).
CELERY_RETRY_BACKOFF_MAX = env.int("CELERY_RETRY_BACKOFF_MAX", default=600)
# A message unacknowledged for longer than this is redelivered: it must outlast the longest task
# plus its retry delay, or a slow task would be run twice.
# Recovery never waits for it: beat's sweeps find what a killed worker left from the database
# within a minute or two; the message redelivered later finds the work done.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int(
        "CELERY_VISIBILITY_TIMEOUT",
        default=CELERY_TASK_TIME_LIMIT + CELERY_RETRY_BACKOFF_MAX + 60,
    ),
}
CELERY_RESULT_EXPIRES = 3600
# Queues, so that long work never starves the periodic sweeps or the notices: bulk work
# (issuance chunks, import merges, dry runs), sweeps (beat's maintenance) and notices each have
# their own queue and, in production, their own workers (docker-compose.yml); the rest goes to
# the default queue. Every worker must consume some queue of each kind (docs/operating.md).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_DEFAULT_QUEUE", default="default")
BULK_QUEUE = env.str("BULK_QUEUE", default="bulk")
SWEEPS_QUEUE = env.str("SWEEPS_QUEUE", default="sweeps")
# The Celery queue of the notifications tasks.
NOTIFICATIONS_QUEUE = env.str("NOTIFICATIONS_QUEUE", default="notifications")
# The priority lane (sign-in codes and other transactional notices only): its own queue and
# workers, so a campaign's chunks on NOTIFICATIONS_QUEUE never delay a sign-in code.
NOTIFICATIONS_PRIORITY_QUEUE = env.str(
    "NOTIFICATIONS_PRIORITY_QUEUE", default="notifications_priority"
)
CELERY_TASK_ROUTES = {
    **{
        name: {"queue": BULK_QUEUE}
        for name in [
            "vouchers.batch_run",
            "vouchers.freeze_marks",
            "vouchers.extension_work",
            "compensation.population_import_run",
            "compensation.dry_run_execute",
            "payouts.batch_build",
            "payouts.batch_released",
            "payouts.chunk_send",
            "payouts.result_apply",
        ]
    },
    **{
        name: {"queue": SWEEPS_QUEUE}
        for name in [
            "vouchers.redispatch",
            "vouchers.idempotency_purge",
            "vouchers.freeze_marks_resume",
            "vouchers.expiry_reminders",
            "vouchers.extensions_resume",
            "compensation.population_imports_resume",
            "compensation.dry_runs_resume",
            "claims.flag_overdue",
            "claims.drafts_purge",
            "claims.info_reminders_send",
            "claims.info_deadlines_apply",
            "oversight.snapshots_refresh",
            "payouts.redispatch",
        ]
    },
    **{
        name: {"queue": NOTIFICATIONS_QUEUE}
        for name in [
            "notifications.dispatch",
            "notifications.campaign_build",
            "notifications.redispatch",
        ]
    },
    "notifications.dispatch_priority": {"queue": NOTIFICATIONS_PRIORITY_QUEUE},
}
CELERY_TASK_ALWAYS_EAGER = False
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Auth: email login, two-factor admin, lockout ----------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# A staff member's authenticator enrolment link (accounts/enrolment.py) works once, this long.
STAFF_ENROLMENT_VALID_HOURS = env.int("STAFF_ENROLMENT_VALID_HOURS", default=72)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Breach compensation")
# django-otp's per-device throttle is global to the device: a holder of the password could lock
# a staff member's authenticator from anywhere. The lockout is axes' (per email and address),
# which counts a wrong code like a wrong password (accounts/admin_site.py).
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
LOGIN_URL = "admin:login"
# Staff security keys (django-otp-webauthn) are a second factor after the password, never a
# sign-in alone. A key is bound to the relying party (the staff site's host name): changing
# OTP_WEBAUTHN_RP_ID (below, with the allowed origins) later makes every registered key
# unusable.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.security_keys.StaffWebAuthnHelper"
OTP_WEBAUTHN_RP_NAME = env.str("OTP_WEBAUTHN_RP_NAME", default=OTP_TOTP_ISSUER)

# --- i18n, time ----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("ko", "한국어"), ("en", "English"), ("zh-hans", "中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django's own ko and zh_Hans formats, with what Korean and Chinese readers expect (오전 11:37;
# 1,234,567 in zh where Django groups by ten thousand with no separator): config/formats/.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Seoul")
USE_I18N = True
USE_TZ = True

# --- Files ----------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / ".local" / "static")))
# Our own CSS and JS (the CSP allows no inline script or style), beside templates/.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
    # Claim documents (claims/storage.py), below MEDIA_ROOT/claims/. Several web machines need
    # one store they all reach: point BACKEND and OPTIONS at an object store (django-storages,
    # private bucket, no public URLs): the code reads and writes only through this entry.
    "claim_documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"file_permissions_mode": 0o600},
    },
    # Banks' payout result files (payouts/services/results.py), below MEDIA_ROOT/payouts/
    # results/; like claim documents, an object store by settings alone.
    "payout_results": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"file_permissions_mode": 0o600},
    },
    # Uploaded population files (compensation/services/population_files.py), in IMPORT_ROOT
    # (a folder only the app's user can enter); the import streams them from this entry, so
    # a worker on another host reads what a web process stored: an object store by settings.
    "population_files": {
        "BACKEND": "config.storage.ImportRootStorage",
        "OPTIONS": {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    },
}
# A bank's result file: the upload limit, and up to which size it is applied in the request
# (larger files are applied by a worker, task payouts.result_apply).
PAYOUTS_RESULT_MAX_BYTES = env.int("PAYOUTS_RESULT_MAX_BYTES", default=512 * 1024**2)
PAYOUTS_RESULT_SYNC_BYTES = env.int("PAYOUTS_RESULT_SYNC_BYTES", default=1024**2)
# Uploads live outside the web root and are only served through views that check ownership.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".local" / "media")))
IMPORT_ROOT = Path(env.str("IMPORT_ROOT", default=str(BASE_DIR / ".local" / "imports")))
# Database connections a population import merges on at once (each keeps a PostgreSQL core busy).
POPULATION_IMPORT_WORKERS = env.int("POPULATION_IMPORT_WORKERS", default=2)
if POPULATION_IMPORT_WORKERS < 1:
    raise ImproperlyConfigured("POPULATION_IMPORT_WORKERS must be 1 or more.")
POPULATION_UPLOAD_MAX_BYTES = env.int("POPULATION_UPLOAD_MAX_BYTES", default=2 * 1024**3)
# Lines of the file merged per statement (each chunk commits with its progress).
POPULATION_IMPORT_CHUNK_LINES = env.int("POPULATION_IMPORT_CHUNK_LINES", default=100_000)
if POPULATION_IMPORT_CHUNK_LINES < 1:
    raise ImproperlyConfigured("POPULATION_IMPORT_CHUNK_LINES must be 1 or more.")
# An unfinished import no worker has touched for this long lost its worker: beat resumes it.
POPULATION_IMPORT_STALE_SECONDS = env.int("POPULATION_IMPORT_STALE_SECONDS", default=300)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
# A request body over this is refused (413) on its Content-Length, before anything reads it
# (config.middleware.RequestBodyLimitMiddleware); the proxy (deploy/nginx/proxy.conf) stops at
# the same sizes.
# Room for a claim's form with three 10 MB documents.
REQUEST_BODY_MAX_BYTES = env.int("REQUEST_BODY_MAX_BYTES", default=32 * 1024**2)
# Views that take more, by URL name: the population upload (with room for the form around it).
REQUEST_BODY_MAX_BYTES_BY_VIEW = {
    "admin:compensation_populationimport_add": POPULATION_UPLOAD_MAX_BYTES + 1024**2,
}

# --- Email and SMS ------------------------------------------------------------------------------
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
else:
    # In development each message becomes an .eml file in .local/mail/ (config/mail.py).
    EMAIL_BACKEND = (
        "config.mail.EmlFileBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
    )
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / ".local" / "mail"))
    EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
# Seconds one SMTP exchange may hang; under NOTIFICATIONS_SENDING_LEASE, so a stalled send does not
# outlive its chunk's lease.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="compensation@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SMS_BACKEND = env.str("SMS_BACKEND", default="console")
if SMS_BACKEND not in {"console", "http", "locmem"}:
    raise ImproperlyConfigured(
        f"SMS_BACKEND must be 'console', 'http' or 'locmem', not {SMS_BACKEND!r}."
    )
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_TOKEN = env_secret("SMS_HTTP_TOKEN")
if SMS_BACKEND == "http" and not SMS_HTTP_URL:
    raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL.")

# --- Notifications -------------------------------------------------------------------------------
# Printed in every notice with its reference, so people can check it at <site>/verify/.
NOTIFICATIONS_SITE_URL = env.str(
    "NOTIFICATIONS_SITE_URL", default="http://127.0.0.1:8000" if DEBUG else ""
)
# Staff security keys (above) work on the staff site's own origin: by default the site's
# (in development localhost: a browser takes no key for an IP address such as 127.0.0.1).
OTP_WEBAUTHN_ALLOWED_ORIGINS = env.list(
    "OTP_WEBAUTHN_ALLOWED_ORIGINS",
    default=["http://localhost:8000"]
    if DEBUG
    else ([NOTIFICATIONS_SITE_URL.rstrip("/")] if NOTIFICATIONS_SITE_URL else []),
)
OTP_WEBAUTHN_RP_ID = env.str(
    "OTP_WEBAUTHN_RP_ID",
    default=urlsplit(OTP_WEBAUTHN_ALLOWED_ORIGINS[0]).hostname
    if OTP_WEBAUTHN_ALLOWED_ORIGINS
    else "",
)
NOTIFICATIONS_CHUNK_SIZE = env.int("NOTIFICATIONS_CHUNK_SIZE", default=200)
# Results of a chunk are written every N messages, so a killed worker re-sends at most N.
NOTIFICATIONS_FLUSH_EVERY = env.int("NOTIFICATIONS_FLUSH_EVERY", default=50)
# Messages per second per channel across all workers (0: no limit).
NOTIFICATIONS_RATE_PER_SECOND = {
    "email": env.int("NOTIFICATIONS_EMAIL_PER_SECOND", default=200),
    "sms": env.int("NOTIFICATIONS_SMS_PER_SECOND", default=50),
    # The priority lane's own allowance, on top of the bulk one (keep the two under what the
    # provider allows: docs/configuration.md).
    "email.priority": env.int("NOTIFICATIONS_EMAIL_PRIORITY_PER_SECOND", default=20),
    "sms.priority": env.int("NOTIFICATIONS_SMS_PRIORITY_PER_SECOND", default=10),
}
NOTIFICATIONS_MAX_ATTEMPTS = env.int("NOTIFICATIONS_MAX_ATTEMPTS", default=8)
NOTIFICATIONS_RETRY_BASE_SECONDS = env.int("NOTIFICATIONS_RETRY_BASE_SECONDS", default=30)
# A claimed chunk is held for this many seconds, and its sender renews the hold every third of
# it; a notice whose lease ran out had its worker die and is sent again. Longer than one message
# takes to send (EMAIL_TIMEOUT, the SMS provider's timeout).
NOTIFICATIONS_SENDING_LEASE = env.int("NOTIFICATIONS_SENDING_LEASE", default=60)
if NOTIFICATIONS_SENDING_LEASE < 3:
    raise ImproperlyConfigured("NOTIFICATIONS_SENDING_LEASE must be 3 seconds or more.")
# Whatever its lease says, a notice claimed longer ago than this is sent again. Must exceed
# CELERY_TASK_TIME_LIMIT, or a chunk still being sent could be taken twice (a test checks).
NOTIFICATIONS_SENDING_TIMEOUT = env.int("NOTIFICATIONS_SENDING_TIMEOUT", default=900)
NOTIFICATIONS_REDISPATCH_EVERY = env.int("NOTIFICATIONS_REDISPATCH_EVERY", default=30)
NOTIFICATIONS_BUILD_CHUNK = env.int("NOTIFICATIONS_BUILD_CHUNK", default=50_000)
NOTIFICATIONS_BUILD_TIME_BUDGET = env.int("NOTIFICATIONS_BUILD_TIME_BUDGET", default=240)
NOTIFICATIONS_BUILD_STALE = env.int("NOTIFICATIONS_BUILD_STALE", default=900)
CELERY_BEAT_SCHEDULE = {
    "notifications-redispatch": {
        "task": "notifications.redispatch",
        "schedule": NOTIFICATIONS_REDISPATCH_EVERY,
        "options": {"queue": NOTIFICATIONS_QUEUE, "expires": NOTIFICATIONS_REDISPATCH_EVERY},
    },
}

# --- Security headers ---------------------------------------------------------------------------
# X-Forwarded-Proto is believed only behind our own proxies (the outermost one sets it, and
# gunicorn reads no scheme header itself: gunicorn.conf.py). Without them a client could send
# it over plain http and be treated as secure.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXY_COUNT else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every response (django-csp): scripts and styles only from our own static files, so no inline
# script, event handler or style attribute runs. The API docs page relaxes style-src for itself
# alone (config/urls.py); document downloads send their own, stricter policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.constants.SELF],
        "script-src": [csp.constants.SELF],
        "style-src": [csp.constants.SELF],
        "img-src": [csp.constants.SELF],
        "object-src": [csp.constants.NONE],
        "base-uri": [csp.constants.SELF],
        "frame-ancestors": [csp.constants.NONE],
        "form-action": [csp.constants.SELF],
    }
}

# --- REST API -------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # The API speaks JSON only: form and multipart bodies are refused with 415.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": None,
    # Every API error is a problem JSON body (RFC 9457) of one shape.
    "EXCEPTION_HANDLER": "config.problems.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Breach compensation API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Request bodies get their own components (with minLength for required text).
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from the installed sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ClaimStatusEnum": "claims.models.Claim.Status",
        "PayoutStatusEnum": "payouts.models.Payout.Status",
        "PayoutBatchStatusEnum": "payouts.models.PayoutBatch.Status",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.document_error_responses",
    ],
}

# --- Logging: no personal data, no codes, no secrets are ever passed to a logger ----------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- Four eyes on money (audit.proposals) ---------------------------------------------------------
# A money action is proposed by one staff member and approved by another. Below these amounts
# (minor units of the program's currency, whatever it is) the proposer may act alone; 0, the
# default, means every change needs two people. Publishing a policy and settling a pool always
# need two.
FOUR_EYES_BUDGET_CHANGE_MINOR = env.int("FOUR_EYES_BUDGET_CHANGE_MINOR", default=0)
FOUR_EYES_ISSUANCE_RUN_MINOR = env.int("FOUR_EYES_ISSUANCE_RUN_MINOR", default=0)

# --- Claims ---------------------------------------------------------------------------------------
CLAIMS_UPLOAD_MAX_BYTES = env.int("CLAIMS_UPLOAD_MAX_BYTES", default=10 * 1024**2)
CLAIMS_UPLOADS_PER_CLAIM = env.int("CLAIMS_UPLOADS_PER_CLAIM", default=10)
# What one claimant's unsubmitted drafts may hold together, whatever the sessions and posts.
CLAIMS_DRAFT_FILES_PER_CLAIMANT = env.int("CLAIMS_DRAFT_FILES_PER_CLAIMANT", default=20)
CLAIMS_DRAFT_BYTES_PER_CLAIMANT = env.int("CLAIMS_DRAFT_BYTES_PER_CLAIMANT", default=50 * 1024**2)
# Content checks (claims.document_checks): an image's pixels are counted on its header before
# it is decoded; a PDF's streams are inflated by counting, per stream and in total.
CLAIMS_IMAGE_MAX_PIXELS = env.int("CLAIMS_IMAGE_MAX_PIXELS", default=40_000_000)
CLAIMS_PDF_MAX_STREAM_BYTES = env.int("CLAIMS_PDF_MAX_STREAM_BYTES", default=64 * 1024**2)
CLAIMS_PDF_MAX_DECODED_BYTES = env.int("CLAIMS_PDF_MAX_DECODED_BYTES", default=256 * 1024**2)
# Approvals above this amount (minor units) need a second approver with claims.decide_high_value.
CLAIMS_SECOND_APPROVER_MINOR = env.int("CLAIMS_SECOND_APPROVER_MINOR", default=300_000)
CLAIMS_APPEAL_DAYS = env.int("CLAIMS_APPEAL_DAYS", default=30)
CLAIMS_INFO_DAYS = env.int("CLAIMS_INFO_DAYS", default=14)
# A request for information is recalled this many days before its deadline (once per request;
# a request with a shorter deadline gets no reminder). Beat's sweeps send the reminders and
# apply the policy's rule at the deadline (info_requests.on_no_answer), every N seconds, in
# chunks of claims.
CLAIMS_INFO_REMINDER_DAYS = env.int("CLAIMS_INFO_REMINDER_DAYS", default=3)
CLAIMS_INFO_SWEEP_EVERY = env.int("CLAIMS_INFO_SWEEP_EVERY", default=900)
CLAIMS_INFO_SWEEP_CHUNK = env.int("CLAIMS_INFO_SWEEP_CHUNK", default=500)
# Target hours per status (the SLA clock restarts at each change of status).
CLAIMS_SLA_HOURS = {
    "submitted": env.int("CLAIMS_SLA_SUBMITTED_HOURS", default=72),
    "in_review": env.int("CLAIMS_SLA_IN_REVIEW_HOURS", default=120),
    "referred": env.int("CLAIMS_SLA_REFERRED_HOURS", default=240),
    "pending_approval": env.int("CLAIMS_SLA_PENDING_APPROVAL_HOURS", default=48),
    "appealed": env.int("CLAIMS_SLA_APPEALED_HOURS", default=240),
}
CLAIMS_SLA_DUE_SOON_HOURS = env.int("CLAIMS_SLA_DUE_SOON_HOURS", default=24)
CLAIMS_SIGNIN_CODE_DIGITS = env.int("CLAIMS_SIGNIN_CODE_DIGITS", default=6)
CLAIMS_SIGNIN_CODE_TTL_SECONDS = env.int("CLAIMS_SIGNIN_CODE_TTL_SECONDS", default=600)
CLAIMS_SIGNIN_MAX_ATTEMPTS = env.int("CLAIMS_SIGNIN_MAX_ATTEMPTS", default=5)
# Live sign-in codes per address: asking again adds a code (the oldest beyond this retires).
CLAIMS_SIGNIN_LIVE_CODES = env.int("CLAIMS_SIGNIN_LIVE_CODES", default=3)
# How long a personal link in a notice signs its recipient in (once).
CLAIMS_PERSONAL_LINK_TTL_SECONDS = env.int(
    "CLAIMS_PERSONAL_LINK_TTL_SECONDS", default=7 * 24 * 3600
)
# How long a browser that signed in with an address stays trusted for it (the address-wide
# sign-in limits do not apply to it: docs/configuration.md).
CLAIMS_SIGNIN_TRUSTED_DEVICE_DAYS = env.int("CLAIMS_SIGNIN_TRUSTED_DEVICE_DAYS", default=90)
# (limit, window seconds), fixed windows from the first hit (config.ratelimit). The sign-in
# limits are per device cookie and per address first; the network ones are only a ceiling
# sized for a mobile carrier's shared addresses (docs/configuration.md, "Sign-in limits").
CLAIMS_THROTTLES = {
    "signin_address": (env.int("CLAIMS_SIGNIN_PER_ADDRESS_HOUR", default=20), 3600),
    "signin_address_network": (
        env.int("CLAIMS_SIGNIN_PER_ADDRESS_NETWORK_HOUR", default=6),
        3600,
    ),
    "signin_address_device": (
        env.int("CLAIMS_SIGNIN_PER_ADDRESS_DEVICE_15MIN", default=3),
        900,
    ),
    "signin_device": (env.int("CLAIMS_SIGNIN_PER_DEVICE_HOUR", default=10), 3600),
    "signin_cookieless": (env.int("CLAIMS_SIGNIN_COOKIELESS_PER_NETWORK_HOUR", default=20), 3600),
    "signin_network": (env.int("CLAIMS_SIGNIN_PER_NETWORK_HOUR", default=2000), 3600),
    # The notice check and claim submission: per device and subject, the network a ceiling.
    "verify_device": (env.int("CLAIMS_VERIFY_PER_DEVICE_HOUR", default=30), 3600),
    "verify_cookieless": (env.int("CLAIMS_VERIFY_COOKIELESS_PER_NETWORK_HOUR", default=60), 3600),
    "verify_reference": (env.int("CLAIMS_VERIFY_PER_REFERENCE_HOUR", default=10), 3600),
    "verify_network": (env.int("CLAIMS_VERIFY_PER_NETWORK_HOUR", default=3000), 3600),
    "submit_device": (env.int("CLAIMS_SUBMIT_PER_DEVICE_HOUR", default=10), 3600),
    "submit_cookieless": (env.int("CLAIMS_SUBMIT_COOKIELESS_PER_NETWORK_HOUR", default=20), 3600),
    "submit_identity": (env.int("CLAIMS_SUBMIT_PER_IDENTITY_HOUR", default=5), 3600),
    "submit_network": (env.int("CLAIMS_SUBMIT_PER_NETWORK_HOUR", default=1000), 3600),
}
# Claims from one network within a day above which a claim carries the "network burst" signal.
CLAIMS_NETWORK_SIGNAL_COUNT = env.int("CLAIMS_NETWORK_SIGNAL_COUNT", default=5)
CLAIMS_QUEUE_PAGE_SIZE = env.int("CLAIMS_QUEUE_PAGE_SIZE", default=50)
CELERY_BEAT_SCHEDULE["claims-flag-overdue"] = {
    "task": "claims.flag_overdue",
    "schedule": env.int("CLAIMS_OVERDUE_CHECK_EVERY", default=900),
    "options": {"expires": 600},
}
CELERY_BEAT_SCHEDULE["claims-info-reminders"] = {
    "task": "claims.info_reminders_send",
    "schedule": CLAIMS_INFO_SWEEP_EVERY,
    "options": {"expires": CLAIMS_INFO_SWEEP_EVERY},
}
CELERY_BEAT_SCHEDULE["claims-info-deadlines"] = {
    "task": "claims.info_deadlines_apply",
    "schedule": CLAIMS_INFO_SWEEP_EVERY,
    "options": {"expires": CLAIMS_INFO_SWEEP_EVERY},
}
# Uploads of drafts never submitted are deleted after two days.
CELERY_BEAT_SCHEDULE["claims-drafts-purge"] = {
    "task": "claims.drafts_purge",
    "schedule": 3600,
    "options": {"expires": 1800},
}

# --- Population imports ---------------------------------------------------------------------------
# Imports whose worker went quiet (POPULATION_IMPORT_STALE_SECONDS) are woken again.
CELERY_BEAT_SCHEDULE["compensation-imports-resume"] = {
    "task": "compensation.population_imports_resume",
    "schedule": env.int("POPULATION_IMPORT_SWEEP_EVERY", default=60),
    "options": {"expires": 55},
}

# --- Policy dry runs ------------------------------------------------------------------------------
# A dry run still pending after this many seconds never got its start (the broker was down, or
# the message was lost); beat's sweep starts it, and takes over one whose worker died.
DRY_RUN_PENDING_SECONDS = env.int("DRY_RUN_PENDING_SECONDS", default=60)
CELERY_BEAT_SCHEDULE["compensation-dry-runs-resume"] = {
    "task": "compensation.dry_runs_resume",
    "schedule": env.int("DRY_RUN_SWEEP_EVERY", default=60),
    "options": {"expires": 55},
}

# --- Oversight ------------------------------------------------------------------------------------
CELERY_BEAT_SCHEDULE["oversight-snapshots"] = {
    "task": "oversight.snapshots_refresh",
    "schedule": env.int("OVERSIGHT_SNAPSHOT_EVERY", default=600),
    "options": {"expires": 540},
}

# --- Vouchers -------------------------------------------------------------------------------------
# Keys that derive each voucher's code from its award, so the owner's wallet can show it
# ("version:secret,..."; the highest version derives new codes). Unset: keys separated from
# each CODE_HASH_KEYS secret by their own label (vouchers/services/codes.py). A database dump
# plus these keys gives every code: keep them as secret as CODE_HASH_KEYS.
VOUCHER_CODE_DERIVE_KEYS = env.list("VOUCHER_CODE_DERIVE_KEYS", default=[])
versioned_keys_parse(
    VOUCHER_CODE_DERIVE_KEYS, setting="VOUCHER_CODE_DERIVE_KEYS", min_secret_length=16
)
# Guesses (malformed or unknown codes) allowed per customer, and per key for requests without a
# customer_ref; failing customers per key before the key's circuit opens; per window (seconds).
VOUCHERS_FAILED_PER_KEY = env.int("VOUCHERS_FAILED_PER_KEY", default=200)
VOUCHERS_FAILED_PER_CUSTOMER = env.int("VOUCHERS_FAILED_PER_CUSTOMER", default=5)
VOUCHERS_FAILED_WINDOW_SECONDS = env.int("VOUCHERS_FAILED_WINDOW_SECONDS", default=900)
# The shop's list of a customer's vouchers: requests allowed per service key, and per key and
# customer, per window (seconds); every request counts (vouchers/services/list_throttle.py).
VOUCHERS_LIST_PER_KEY = env.int("VOUCHERS_LIST_PER_KEY", default=6000)
VOUCHERS_LIST_PER_CUSTOMER = env.int("VOUCHERS_LIST_PER_CUSTOMER", default=30)
VOUCHERS_LIST_WINDOW_SECONDS = env.int("VOUCHERS_LIST_WINDOW_SECONDS", default=60)
if min(VOUCHERS_LIST_PER_KEY, VOUCHERS_LIST_PER_CUSTOMER, VOUCHERS_LIST_WINDOW_SECONDS) < 1:
    raise ImproperlyConfigured(
        "VOUCHERS_LIST_PER_KEY, VOUCHERS_LIST_PER_CUSTOMER and VOUCHERS_LIST_WINDOW_SECONDS "
        "must be 1 or more."
    )
# Workers woken per issuance run; runs no worker touched for a while are woken again by beat.
VOUCHERS_ISSUANCE_WORKERS = env.int("VOUCHERS_ISSUANCE_WORKERS", default=2)
# Vouchers a second the start page assumes until a run has finished and measured the real rate
# (it warns when a run would outlast the validity window). Conservative: ~50,000/s measured.
VOUCHERS_ISSUANCE_RATE_PER_SECOND = env.int("VOUCHERS_ISSUANCE_RATE_PER_SECOND", default=20_000)
if VOUCHERS_ISSUANCE_RATE_PER_SECOND < 1:
    raise ImproperlyConfigured("VOUCHERS_ISSUANCE_RATE_PER_SECOND must be 1 or more.")
# A run no worker has finished a chunk of for this many seconds lost its workers (a chunk takes
# a few seconds; a false alarm only wakes workers that find the chunks taken).
VOUCHERS_REDISPATCH_STALE_SECONDS = env.int("VOUCHERS_REDISPATCH_STALE_SECONDS", default=45)
VOUCHERS_REDISPATCH_EVERY = env.int("VOUCHERS_REDISPATCH_EVERY", default=20)
CELERY_BEAT_SCHEDULE["vouchers-redispatch"] = {
    "task": "vouchers.redispatch",
    "schedule": VOUCHERS_REDISPATCH_EVERY,
    "options": {"expires": VOUCHERS_REDISPATCH_EVERY},
}
# A freeze's per-voucher marks nobody wrote for a minute (a killed worker, a lost message) are
# queued again; the freeze itself was in effect all along (vouchers/services/freeze_marks.py).
CELERY_BEAT_SCHEDULE["vouchers-freeze-marks-resume"] = {
    "task": "vouchers.freeze_marks_resume",
    "schedule": 60,
    "options": {"expires": 55},
}
# Idempotency-Key answers are kept this many days (a retry later than that is a new request,
# and a spent voucher then gets the uniform refusal); older ones are deleted hourly.
VOUCHERS_IDEMPOTENCY_DAYS = env.int("VOUCHERS_IDEMPOTENCY_DAYS", default=7)
if VOUCHERS_IDEMPOTENCY_DAYS < 1:
    raise ImproperlyConfigured("VOUCHERS_IDEMPOTENCY_DAYS must be 1 or more.")
CELERY_BEAT_SCHEDULE["vouchers-idempotency-purge"] = {
    "task": "vouchers.idempotency_purge",
    "schedule": 3600,
    "options": {"expires": 1800},
}
# No silent forfeiture (vouchers/services/expiry.py): holders of value left are reminded this
# many days before their vouchers end, each reminder once. Beat looks every hour; reminders go
# out only between these hours of the site's time (a missed hour or day is caught up).
VOUCHERS_EXPIRY_REMINDER_DAYS = env.list("VOUCHERS_EXPIRY_REMINDER_DAYS", cast=int, default=[30, 7])
VOUCHERS_EXPIRY_REMINDER_HOURS = env.list(
    "VOUCHERS_EXPIRY_REMINDER_HOURS", cast=int, default=[10, 20]
)
if not VOUCHERS_EXPIRY_REMINDER_DAYS or min(VOUCHERS_EXPIRY_REMINDER_DAYS) < 1:
    raise ImproperlyConfigured("VOUCHERS_EXPIRY_REMINDER_DAYS must list days of 1 or more.")
if len(VOUCHERS_EXPIRY_REMINDER_HOURS) != 2 or not (
    0 <= VOUCHERS_EXPIRY_REMINDER_HOURS[0] < VOUCHERS_EXPIRY_REMINDER_HOURS[1] <= 24
):
    raise ImproperlyConfigured("VOUCHERS_EXPIRY_REMINDER_HOURS is 'from,until' (0-24, from first).")
VOUCHERS_EXPIRY_REMINDER_EVERY = env.int("VOUCHERS_EXPIRY_REMINDER_EVERY", default=3600)
CELERY_BEAT_SCHEDULE["vouchers-expiry-reminders"] = {
    "task": "vouchers.expiry_reminders",
    "schedule": VOUCHERS_EXPIRY_REMINDER_EVERY,
    "options": {"expires": VOUCHERS_EXPIRY_REMINDER_EVERY},
}
# A bulk extension of a validity window moves this many voucher ids per transaction; one no
# worker moved for a minute is queued again.
VOUCHERS_EXTENSION_CHUNK = env.int("VOUCHERS_EXTENSION_CHUNK", default=50_000)
if VOUCHERS_EXTENSION_CHUNK < 1:
    raise ImproperlyConfigured("VOUCHERS_EXTENSION_CHUNK must be 1 or more.")
CELERY_BEAT_SCHEDULE["vouchers-extensions-resume"] = {
    "task": "vouchers.extensions_resume",
    "schedule": 60,
    "options": {"expires": 55},
}

# --- Payouts: sending to providers (payouts/services/sending.py) ---------------------------------
# Workers woken per released provider batch, and payouts per chunk (one transaction each).
PAYOUTS_SEND_WORKERS = env.int("PAYOUTS_SEND_WORKERS", default=2)
PAYOUTS_SEND_CHUNK = env.int("PAYOUTS_SEND_CHUNK", default=200)
if PAYOUTS_SEND_WORKERS < 1 or PAYOUTS_SEND_CHUNK < 1:
    raise ImproperlyConfigured("PAYOUTS_SEND_WORKERS and PAYOUTS_SEND_CHUNK must be 1 or more.")
# A chunk the provider asked to retry (5xx, timeout) waits BASE * 2^(attempt-1) seconds, capped
# at CELERY_RETRY_BACKOFF_MAX; after MAX_ATTEMPTS its payouts still unanswered fail
# (provider_unavailable) and can go into a later batch.
PAYOUTS_SEND_MAX_ATTEMPTS = env.int("PAYOUTS_SEND_MAX_ATTEMPTS", default=6)
PAYOUTS_SEND_RETRY_BASE_SECONDS = env.int("PAYOUTS_SEND_RETRY_BASE_SECONDS", default=30)
if PAYOUTS_SEND_MAX_ATTEMPTS < 1 or PAYOUTS_SEND_RETRY_BASE_SECONDS < 0:
    raise ImproperlyConfigured(
        "PAYOUTS_SEND_MAX_ATTEMPTS must be 1 or more, PAYOUTS_SEND_RETRY_BASE_SECONDS 0 or more."
    )
# Account credit at the integrating service: a JSON POST per payout with a bearer token and an
# Idempotency-Key (the payout's reference). Unset URL: the method cannot be sent (a chunk waits,
# saying so) and `manage.py migrate` reports programs offering it (check payouts.E001).
PAYOUTS_CREDIT_HTTP_URL = env.str("PAYOUTS_CREDIT_HTTP_URL", default="")
PAYOUTS_CREDIT_HTTP_TOKEN = env_secret("PAYOUTS_CREDIT_HTTP_TOKEN")
PAYOUTS_CREDIT_HTTP_TIMEOUT = env.int("PAYOUTS_CREDIT_HTTP_TIMEOUT", default=10)
# Beat's sweep: batches stuck building, released batches never planned or never digested, and
# sending batches no worker has touched for STALE seconds are queued again.
PAYOUTS_REDISPATCH_STALE_SECONDS = env.int("PAYOUTS_REDISPATCH_STALE_SECONDS", default=120)
PAYOUTS_REDISPATCH_EVERY = env.int("PAYOUTS_REDISPATCH_EVERY", default=30)
CELERY_BEAT_SCHEDULE["payouts-redispatch"] = {
    "task": "payouts.redispatch",
    "schedule": PAYOUTS_REDISPATCH_EVERY,
    "options": {"expires": PAYOUTS_REDISPATCH_EVERY},
}

# --- Support desk: inquiries ------------------------------------------------------------------
# The first answer to an inquiry is due this many hours after it is filed (the queue's SLA).
SUPPORT_INQUIRY_SLA_HOURS = env.int("SUPPORT_INQUIRY_SLA_HOURS", default=48)
# Inquiries per network and per contact (email or phone hash): (count, window seconds).
SUPPORT_INQUIRY_LIMITS = {
    "network": (env.int("SUPPORT_INQUIRIES_PER_NETWORK", default=20), 3600),
    "contact": (env.int("SUPPORT_INQUIRIES_PER_CONTACT", default=5), 86400),
}
# An inquiry's contact is encrypted with keys derived from these "version:secret" pairs
# (support/crypto.py; another derivation label than the payment details'); unset: those of
# PAYOUT_ACCOUNT_KEYS.
SUPPORT_CONTACT_KEYS = env.list("SUPPORT_CONTACT_KEYS", default=[]) or PAYOUT_ACCOUNT_KEYS
versioned_keys_parse(
    SUPPORT_CONTACT_KEYS, setting="SUPPORT_CONTACT_KEYS", min_secret_length=0 if DEBUG else 32
)

# --- Beat's queue (keep this last) ----------------------------------------------------------------
# Every periodic task without a queue of its own runs on the sweeps queue, never behind bulk work.
for _entry in CELERY_BEAT_SCHEDULE.values():
    _entry.setdefault("options", {}).setdefault("queue", SWEEPS_QUEUE)
del _entry
