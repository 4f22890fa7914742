"""Settings for Workspace Disk Admin, read from the environment (and an optional `.env`).

Every variable is listed, with a one-line comment, in `.env.example`. Defaults are safe for
production (DEBUG off, secure cookies, no secret key of our own); `make run` opts into
development values. In demo mode (WORKSPACE_DEMO, on by default only with DEBUG) the
dashboard talks to its own Workspace simulator (`workspace_sim/`); without demo mode it
needs cloud credentials, and refuses to start without them.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# ENV_FILE lets tests and tools point away from a developer's own .env.
environ.Env.read_env(env.str("ENV_FILE", default=str(BASE_DIR / ".env")), overwrite=False)

# Core Django

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "value (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "axes",
    "disks",
    # Directory sign-in (disks/directory/): allauth only for its OpenID Connect provider.
    "disks.directory.apps.DirectoryConfig",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the language cookie or Accept-Language; URLs carry no language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # 400 for a NUL anywhere in the request: PostgreSQL refuses it in any string.
    "workspace_admin.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "disks.directory.middleware.DirectoryRecheckMiddleware",
    # A request id, the actor and the URL's ids for every log line; one line per request.
    "workspace_admin.logging.RequestIdMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # A signed-in person's own language and time zone (after authentication).
    "disks.middleware.PreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "workspace_admin.urls"
# Error reports (the DEBUG 500 page, mail to ADMINS) hide every credential: by name in
# settings, request META and traceback variables, by value wherever else it shows up, and
# the password of any URL (DATABASE_URL, EMAIL_URL). See workspace_admin/error_reports.py.
DEFAULT_EXCEPTION_REPORTER_FILTER = "workspace_admin.error_reports.SecretHidingFilter"
DEFAULT_EXCEPTION_REPORTER = "workspace_admin.error_reports.SecretHidingReporter"
WSGI_APPLICATION = "workspace_admin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "disks.access.audiences",
                "disks.observability.banner.worker_banner",
            ],
        },
    },
]

# Database: SQLite by default; PostgreSQL (production) by URL, e.g.
# DATABASE_URL=postgres://user:password@127.0.0.1:5432/workspace_admin

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the task worker write at the same time: WAL lets readers go on while
    # one writes, IMMEDIATE takes the write lock up front (no upgrade deadlocks), and the busy
    # timeout makes a second writer wait instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: in the database, so that every process (gunicorn workers, task workers, commands)
# shares it: the disk-type list and the audit chain's last verdict. Created by
# migration 0007 (`migrate`); `createcachetable` would also do, and skips it once there.

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "disks_cache",
    }
}

# Authentication: every page needs a login (LoginRequiredMiddleware) except those marked
# with @login_not_required: the login page itself and /healthz.

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username/address before the password check.
    "axes.backends.AxesStandaloneBackend",
    # Local passwords (all accounts, or only staff with LOCAL_LOGIN_FOR=staff), then the
    # directory, then the session backend of single sign-on (disks/directory/).
    "disks.directory.backends.LocalBackend",
    "disks.directory.backends.DirectoryLDAPBackend",
    "disks.directory.oidc.OIDCSessionBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): after AXES_FAILURE_LIMIT failed logins for one username
# from one address, that pair is locked out for AXES_COOLOFF_MINUTES. Behind a reverse
# proxy, set TRUSTED_PROXY_COUNT to the number of proxies that append to X-Forwarded-For,
# so that the client's own address is used here and in the audit history.

TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "disks.access.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Self-service portal policy: what an end user may ask for on their own desktops.
# A request whose total size is above PORTAL_APPROVAL_ABOVE_GB waits for the helpdesk.

PORTAL_ALLOWED_DISK_TYPES = env.list("PORTAL_ALLOWED_DISK_TYPES", default=["SAS", "SSD", "GPSSD"])
PORTAL_MAX_DISK_GB = env.int("PORTAL_MAX_DISK_GB", default=1000)
PORTAL_MAX_DISKS_PER_REQUEST = env.int("PORTAL_MAX_DISKS_PER_REQUEST", default=3)
PORTAL_APPROVAL_ABOVE_GB = env.int("PORTAL_APPROVAL_ABOVE_GB", default=200)

# Deleting data disks (helpdesk only, permanent): a second helpdesk member approves each
# deletion unless turned off; disks younger than DELETE_MIN_AGE_HOURS get a warning.

DELETE_REQUIRES_APPROVAL = env.bool("DELETE_REQUIRES_APPROVAL", default=True)
DELETE_MIN_AGE_HOURS = env.int("DELETE_MIN_AGE_HOURS", default=24)

# Email to requesters (finished, failed, approved, rejected). Default: printed to the console
# in DEBUG, the local mail server otherwise. E.g. EMAIL_URL=smtp+tls://user:pw@smtp.example.com:587

_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
_smtp_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    "timeout": 10,
}
# Django 6.1's MAILERS (the EMAIL_* settings are deprecated).
MAILERS = {
    "default": {
        "BACKEND": _email["EMAIL_BACKEND"],
        "OPTIONS": {key: value for key, value in _smtp_options.items() if value}
        if _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
        else {},
    }
}
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Workspace Disk Admin <noreply@localhost>"
)
DASHBOARD_URL = env.str("DASHBOARD_URL", default="http://127.0.0.1:8000")

# Internationalisation

# The language when neither the person nor their browser names one we have; the time zone
# when neither the person nor their browser names one. People choose both on /preferences/.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# English dates with a 24-hour clock; Simplified Chinese keeps Django's own ("2026年12月1日 13:05").
FORMAT_MODULE_PATH = ["workspace_admin.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# Static files, served by whitenoise (hashed and compressed names once collected)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security headers. Production-safe by default; TLS-related switches are environment-driven
# so that a deployment behind a TLS-terminating proxy can opt in.

SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# A strict Content-Security-Policy: no inline script or style, nothing from another origin.
# htmx is served from our static files and configured (templates/base.html) not to inject
# styles or evaluate strings.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Cloud desktop API (Huawei Cloud Workspace). The variable names are the official SDK's own.
# With credentials, the dashboard talks to the cloud. Without them it needs demo mode
# (WORKSPACE_DEMO, default on only with DEBUG), in which it talks to the simulator
# (`python -m workspace_sim`, started by `make run`) with the simulator's demo credentials.
# A production server without credentials refuses to start rather than talk to a simulator.

# The simulator's defaults (workspace_sim/config.py; a test keeps the two equal). Written out
# here so that settings do not import the simulator.
DEMO_SIMULATOR = {
    "endpoint": "http://127.0.0.1:8001",
    "project_id": "7d5c2a9e4b1f4c3a8e6d0b2f9a1c3e5d",
    "ak": "WSDEMOAK0SIMULATOR01",
    "sk": "wsdemo-sk-not-a-secret-0000000000000000",
}

WORKSPACE_REGION = env.str("HUAWEICLOUD_SDK_REGION", default="ap-southeast-1")
WORKSPACE_AK = env.str("HUAWEICLOUD_SDK_AK", default="")
WORKSPACE_SK = env.str("HUAWEICLOUD_SDK_SK", default="")
WORKSPACE_SECURITY_TOKEN = env.str("HUAWEICLOUD_SDK_SECURITY_TOKEN", default="")
WORKSPACE_IAM_USERNAME = env.str("IAM_USERNAME", default="")
WORKSPACE_IAM_PASSWORD = env.str("IAM_PASSWORD", default="")
WORKSPACE_IAM_DOMAIN = env.str("IAM_DOMAIN", default="")
_HAS_CREDENTIALS = bool(WORKSPACE_AK or WORKSPACE_IAM_USERNAME)
WORKSPACE_DEMO = not _HAS_CREDENTIALS and env.bool("WORKSPACE_DEMO", default=DEBUG)
if not _HAS_CREDENTIALS and not WORKSPACE_DEMO:
    raise ImproperlyConfigured(
        "No cloud credentials are set, and demo mode is off. To talk to Huawei Cloud, set "
        "HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK and HUAWEICLOUD_SDK_PROJECT_ID (or IAM_USERNAME, "
        "IAM_PASSWORD, IAM_DOMAIN and HUAWEICLOUD_SDK_PROJECT_ID). To run against the local "
        "Workspace simulator instead, set WORKSPACE_DEMO=true."
    )
if WORKSPACE_DEMO:
    WORKSPACE_ENDPOINT = env.str("WORKSPACE_ENDPOINT", default=DEMO_SIMULATOR["endpoint"])
    WORKSPACE_PROJECT_ID = env.str(
        "HUAWEICLOUD_SDK_PROJECT_ID", default=DEMO_SIMULATOR["project_id"]
    )
    WORKSPACE_AK, WORKSPACE_SK = DEMO_SIMULATOR["ak"], DEMO_SIMULATOR["sk"]
    WORKSPACE_IAM_ENDPOINT = env.str("HUAWEICLOUD_SDK_IAM_ENDPOINT", default=WORKSPACE_ENDPOINT)
else:
    WORKSPACE_ENDPOINT = env.str(
        "WORKSPACE_ENDPOINT", default=f"https://workspace.{WORKSPACE_REGION}.myhuaweicloud.com"
    )
    WORKSPACE_PROJECT_ID = env.str("HUAWEICLOUD_SDK_PROJECT_ID", default="")
    WORKSPACE_IAM_ENDPOINT = env.str(
        "HUAWEICLOUD_SDK_IAM_ENDPOINT", default="https://iam.myhuaweicloud.com"
    )
    if not WORKSPACE_PROJECT_ID:
        raise ImproperlyConfigured(
            "HUAWEICLOUD_SDK_PROJECT_ID is not set. With cloud credentials in the environment, "
            "set it to the project id of the region (IAM console > My Credentials > Projects)."
        )
WORKSPACE_ENDPOINT = WORKSPACE_ENDPOINT.rstrip("/")
WORKSPACE_TIMEOUT = tuple(
    float(part) for part in env.list("WORKSPACE_TIMEOUT", default=["3.05", "20"])
)
if len(WORKSPACE_TIMEOUT) != 2:
    raise ImproperlyConfigured(
        "WORKSPACE_TIMEOUT takes two numbers, connect and read seconds, e.g. WORKSPACE_TIMEOUT=3,20"
    )
WORKSPACE_GET_RETRIES = env.int("WORKSPACE_GET_RETRIES", default=3)
WORKSPACE_RETRY_BACKOFF = env.float("WORKSPACE_RETRY_BACKOFF", default=0.5)
WORKSPACE_JOB_POLL_SECONDS = env.int("WORKSPACE_JOB_POLL_SECONDS", default=15)
WORKSPACE_JOB_DEADLINE_MINUTES = env.int("WORKSPACE_JOB_DEADLINE_MINUTES", default=30)
# An upper bound on the poll period, whatever periodicQueryTime says. The simulator's jobs
# take seconds, not minutes, so demo mode polls every 2 seconds; production leaves it unset.
WORKSPACE_JOB_POLL_MAX_SECONDS = env.int(
    "WORKSPACE_JOB_POLL_MAX_SECONDS", default=2 if WORKSPACE_DEMO else None
)
# How often the browser re-reads a running request's status fragment (it reads the database).
STATUS_FRAGMENT_POLL_SECONDS = env.int("STATUS_FRAGMENT_POLL_SECONDS", default=2)
# Seconds the tenant's disk quotas (ShowQuotas) are cached for the add-disk form's check.
QUOTA_CACHE_SECONDS = env.int("QUOTA_CACHE_SECONDS", default=60)

# Batches: desktops per AddVolumes call (the API takes at most 100), and how many
# ListDesktopsDetail pages (100 desktops each) the preview reads at once.
BATCH_CHUNK_SIZE = min(100, max(1, env.int("BATCH_CHUNK_SIZE", default=100)))
BATCH_PREVIEW_PARALLEL = max(1, env.int("BATCH_PREVIEW_PARALLEL", default=4))
# A batch form carries one `desktop` field per desktop, up to MAX_BATCH_DESKTOPS (1,000, in
# disks/services/batches.py), plus its own few dozen (the disk rows, the token, the key):
# more than Django's default 1,000 fields a request may send. The margin is for those.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1_000 + 200

# Background tasks: django.tasks with the database backend. `manage.py run_worker` runs them
# (django-tasks-db's db_worker) and the periodic jobs below.

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Seconds between sweeps that re-queue requests whose poll task was lost.
WORKER_SWEEP_SECONDS = env.int("WORKER_SWEEP_SECONDS", default=30)
# Minutes between inventory syncs (ListDesktopsDetail); 0 turns the periodic sync off.
INVENTORY_SYNC_MINUTES = env.int("INVENTORY_SYNC_MINUTES", default=15)
# Minutes between checks of the audit history's hash chain; 0 turns the periodic check off.
AUDIT_VERIFY_MINUTES = env.int("AUDIT_VERIFY_MINUTES", default=60)
# Days a finished background task's row is kept (for looking into a failure) before the worker
# deletes it (0 keeps them all); every poll of every job is a row, so otherwise the table grows.
TASK_RESULTS_KEEP_DAYS = env.int("TASK_RESULTS_KEEP_DAYS", default=7)
# Up to this many events, "Verify now" checks the chain while the auditor waits; beyond it
# the check runs on the worker and the page shows its verdict when it is done.
AUDIT_VERIFY_INLINE_LIMIT = env.int("AUDIT_VERIFY_INLINE_LIMIT", default=100_000)

# The audit history's anchor outside the database: signed checkpoints (last sequence, head
# hash, time; HMAC-SHA256 with AUDIT_CHECKPOINT_KEY, which the database never sees),
# appended to AUDIT_CHECKPOINT_PATH (JSON lines) and/or mailed to AUDIT_CHECKPOINT_EMAIL,
# every AUDIT_CHECKPOINT_MINUTES by the worker and by `manage.py audit_checkpoint`.
# `manage.py verify_audit --checkpoint FILE` checks the history against them.
AUDIT_CHECKPOINT_KEY = env.str("AUDIT_CHECKPOINT_KEY", default="")
AUDIT_CHECKPOINT_PATH = env.str("AUDIT_CHECKPOINT_PATH", default="")
AUDIT_CHECKPOINT_EMAIL = env.list("AUDIT_CHECKPOINT_EMAIL", default=[])
AUDIT_CHECKPOINT_MINUTES = env.int("AUDIT_CHECKPOINT_MINUTES", default=60)

# A sync that would remove more than this share of the inventory at once (an empty or
# truncated desktop list from the API) removes nothing and says so, unless told to
# (`sync_desktops --allow-mass-removal`). Up to INVENTORY_REMOVAL_FLOOR desktops may
# always go, so that a small inventory still syncs.
INVENTORY_MAX_REMOVAL_SHARE = env.float("INVENTORY_MAX_REMOVAL_SHARE", default=0.2)
INVENTORY_REMOVAL_FLOOR = env.int("INVENTORY_REMOVAL_FLOOR", default=5)
# API (/api/v1/) and webhooks. Calls per minute per API token (0: no limit); how long a new
# token lives unless its maker says otherwise; webhook calls' timeout in seconds; and, if set,
# the only hosts webhooks may call (private, loopback and link-local addresses are refused
# unless listed here).

API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=120)
API_TOKEN_DEFAULT_EXPIRY_DAYS = env.int("API_TOKEN_DEFAULT_EXPIRY_DAYS", default=90)
API_TOKEN_MAX_EXPIRY_DAYS = env.int("API_TOKEN_MAX_EXPIRY_DAYS", default=365)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
WEBHOOK_ALLOWED_HOSTS = env.list("WEBHOOK_ALLOWED_HOSTS", default=[])

# Operations: structured logs, metrics, readiness, audit forwarding (docs/operations.md).
# LOG_FORMAT=json writes one JSON object per line with the request id, the actor and the
# desktop and request ids; "text" (the default) is for people. /metrics answers a bearer
# METRICS_TOKEN or an address in METRICS_ALLOWED_IPS (addresses or networks), else 403.
# PROMETHEUS_MULTIPROC_DIR (read by prometheus-client itself) adds up gunicorn's processes.

from workspace_admin.logging import logging_config  # noqa: E402

LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# A worker silent for longer than this counts as stopped (readiness, banner, metrics).
WORKER_STALE_SECONDS = env.int("WORKER_STALE_SECONDS", default=60)
# /readyz: seconds its answer is reused, and the age past which the last sync is "stale".
READYZ_CACHE_SECONDS = env.int("READYZ_CACHE_SECONDS", default=10)
READYZ_SYNC_STALE_MINUTES = env.int("READYZ_SYNC_STALE_MINUTES", default=60)
# Audit forwarding: "syslog://host:port", "syslog+tls://host:port" or "file:///path.jsonl";
# empty turns it off. AUDIT_FORWARD_CA_FILE verifies the TLS receiver's certificate.
AUDIT_FORWARD_URL = env.str("AUDIT_FORWARD_URL", default="")
AUDIT_FORWARD_CA_FILE = env.str("AUDIT_FORWARD_CA_FILE", default="")
AUDIT_FORWARD_SECONDS = env.int("AUDIT_FORWARD_SECONDS", default=10)
AUDIT_FORWARD_BATCH = env.int("AUDIT_FORWARD_BATCH", default=500)

# --- Directory sign-in: LDAP / Active Directory and OpenID Connect --------------------------
# Every name is read in workspace_admin/directory_settings.py; the code is in disks/directory/.
from workspace_admin.directory_settings import directory_settings  # noqa: E402

_directory = directory_settings(env)
# django-auth-ldap's and allauth's own settings (AUTH_LDAP_*, SOCIALACCOUNT_*), read by them.
globals().update(_directory)
# The names disks/directory/ reads as settings.X, spelled out so the type checker knows them.
LOCAL_LOGIN_FOR: str = _directory["LOCAL_LOGIN_FOR"]
DIRECTORY_RECHECK_MINUTES: float = _directory["DIRECTORY_RECHECK_MINUTES"]
AUTH_LDAP_SERVER_URI: str = _directory["AUTH_LDAP_SERVER_URI"]
DIRECTORY_LDAP_ROLE_GROUPS: dict[str, str] = _directory["DIRECTORY_LDAP_ROLE_GROUPS"]
OIDC_ENABLED: bool = _directory["OIDC_ENABLED"]
OIDC_ISSUER: str = _directory["OIDC_ISSUER"]
OIDC_PROVIDER_NAME: str = _directory["OIDC_PROVIDER_NAME"]
OIDC_USERNAME_CLAIM: str = _directory["OIDC_USERNAME_CLAIM"]
OIDC_GROUPS_CLAIM: str = _directory["OIDC_GROUPS_CLAIM"]
DIRECTORY_OIDC_ROLE_GROUPS: dict[str, str] = _directory["DIRECTORY_OIDC_ROLE_GROUPS"]
# --- end of directory sign-in ---------------------------------------------------------------
