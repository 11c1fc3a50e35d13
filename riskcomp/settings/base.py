"""Settings shared by every environment. Environment variables choose the services:
``DATABASE_URL`` (default: SQLite under var/) and ``REDIS_URL`` (default: none, tasks eager)."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("RISKCOMP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)  # the SQLite file and uploads live here; not in git

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS: list[str] = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "import_export",
    "django_htmx",
    "riskcomp",
    "banks",
    "loans",
    "claims",
    "fund",
    "reports",
    "notifications",
    "accounts",
    "jobs",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "auditlog",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
    # Above every business app: the screens that read across them, and the demo loader.
    "portal",
    "demo",
]

MIDDLEWARE = [
    # Outermost, so that every response carries it, the health check's included.
    "riskcomp.request_guards.PermissionsPolicyMiddleware",
    # Before HTTPS redirect, sessions and login: the reverse proxy's probe (riskcomp/health.py).
    "riskcomp.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A request body over RISKCOMP_MAX_REQUEST_BYTES is a 413 before CSRF or a view reads it.
    "riskcomp.body_limit.RequestBodyLimitMiddleware",
    # A NUL in a query parameter is a 400 before any list or search sends it to PostgreSQL.
    "riskcomp.request_guards.NulByteMiddleware",
    # Every change made during a request records who made it and from which address.
    "riskcomp.audit.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "riskcomp.middleware.SessionLifetimeMiddleware",
    "riskcomp.middleware.TwoFactorMiddleware",
    "riskcomp.middleware.ReadOnlyRoleMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged by its backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "riskcomp.urls"
WSGI_APPLICATION = "riskcomp.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
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
                "riskcomp.context_processors.portal",
                "notifications.context_processors.unread",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username+address is refused before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Django's model backend, reading the user's role with the user (one query, not two).
    "accounts.auth_backends.RoleModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# Bank officers never act anonymously; guardian's anonymous user would only add a row to users.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded documents are never served by URL; views stream them after a permission check.
MEDIA_URL = "/_never_served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# A session ends after 30 minutes without a request and 12 hours after login, whatever the
# activity (riskcomp.middleware.SessionLifetimeMiddleware). The middleware stamps activity at most
# once a minute, and that save pushes the session row's expiry SESSION_COOKIE_AGE ahead: an idle
# session also dies on the server, without a session write on every request.
SESSION_COOKIE_AGE = 30 * 60
RISKCOMP_SESSION_MAX_AGE = 12 * 60 * 60
RISKCOMP_SESSION_TOUCH_EVERY = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "riskcomp.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "riskcomp@localhost")
# The portal's address, prefixed to the links in notification mails (e.g. https://fund.example).
RISKCOMP_PORTAL_URL = os.environ.get("RISKCOMP_PORTAL_URL", "")
# The names printed on the cover of the half-year and annual reports.
RISKCOMP_FUND_NAME = os.environ.get("RISKCOMP_FUND_NAME", "北京经济技术开发区贷款风险补偿资金")
RISKCOMP_CUSTODIAN_NAME = os.environ.get("RISKCOMP_CUSTODIAN_NAME",
                                         "北京经济技术开发区贷款风险补偿资金受托管理机构")
RISKCOMP_FUND_BUREAU_NAME = os.environ.get("RISKCOMP_FUND_BUREAU_NAME",
                                           "北京经济技术开发区财政国资局")

# Celery: a real broker when REDIS_URL is set, otherwise every task runs in-process.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {"reports.tasks.*": {"queue": "reports"}}
# A Redis host that drops packets, or accepts connections and never answers, must not hold the
# request that sends a task: the send gives up within about two seconds, the view says
# "队列暂时不可用" and the jobs' sweeper sends the job later. Redis on the intranet answers in
# milliseconds. The read timeout stays at the worker's BRPOP wait (1 s), which kombu reads only
# once the socket is readable.
REDIS_CONNECT_TIMEOUT_SECONDS = 0.5
REDIS_READ_TIMEOUT_SECONDS = 1.0
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT_SECONDS
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Left long: a task of a killed worker is run again by the jobs' sweeper within minutes
    # (heartbeat, below); a short timeout would redeliver long reports and imports still running.
    "visibility_timeout": 2 * 60 * 60,
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
    "socket_timeout": REDIS_READ_TIMEOUT_SECONDS,
}
# One immediate retry (a pooled connection that Redis closed when it restarted), no back-off.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1, "interval_start": 0, "interval_step": 0, "interval_max": 0}
# Sending a task also subscribes to its result on the result backend: the same bounds, no
# retries (the default retries 20 times, a second apart).
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT_SECONDS
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_READ_TIMEOUT_SECONDS
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

# Background jobs (jobs/): a running job writes a heartbeat every JOBS_HEARTBEAT_SECONDS; the
# sweeper, every JOBS_SWEEP_SECONDS, sends again what the broker never received and retries a
# job silent for JOBS_STALE_SECONDS (its worker died), JOBS_MAX_ATTEMPTS runs at most; a job
# sent JOBS_UNSTARTED_SECONDS ago, never started and in no queue (a worker took it and died
# before running it) is sent again.
JOBS_HEARTBEAT_SECONDS = float(os.environ.get("RISKCOMP_JOBS_HEARTBEAT_SECONDS", "15"))
JOBS_STALE_SECONDS = float(os.environ.get("RISKCOMP_JOBS_STALE_SECONDS", "90"))
JOBS_SWEEP_SECONDS = float(os.environ.get("RISKCOMP_JOBS_SWEEP_SECONDS", "60"))
JOBS_UNSTARTED_SECONDS = float(os.environ.get("RISKCOMP_JOBS_UNSTARTED_SECONDS", "60"))
JOBS_MAX_ATTEMPTS = 3

CELERY_BEAT_SCHEDULE = {
    "jobs-sweeper": {
        "task": "jobs.tasks.sweep_jobs",
        "schedule": JOBS_SWEEP_SECONDS,
        "options": {"expires": JOBS_SWEEP_SECONDS},  # a sweep that waited that long is moot
    },
    # Just after midnight, when every stored review age is a day old (claims.tasks).
    "review-ages-nightly": {
        "task": "claims.tasks.refresh_review_ages",
        "schedule": crontab(hour=0, minute=5),
    },
    "suspension-recompute-nightly": {
        "task": "banks.tasks.recompute_suspensions",
        "schedule": crontab(hour=1, minute=30),
    },
    # After the recompute above, whose changes are written in bulk (no save signal).
    "notify-suspension-changes": {
        "task": "notifications.tasks.notify_suspension_changes",
        "schedule": crontab(hour=1, minute=50),
    },
    "notify-overdue-returns": {
        "task": "notifications.tasks.notify_overdue_returns",
        "schedule": crontab(hour=7, minute=30),
    },
    "notify-filing-windows": {
        "task": "notifications.tasks.notify_filing_windows",
        "schedule": crontab(hour=7, minute=35),
    },
    # Reports of the period just ended (H1 in July; H2 and the annual report in January); run
    # on the first seven days so that a day the scheduler was down is made up. Idempotent.
    "request-due-reports": {
        "task": "reports.tasks.request_due_reports",
        "schedule": crontab(hour=2, minute=10, day_of_month="1-7", month_of_year="1,7"),
    },
    # Daily and idempotent: draws last year's fee on the first working day it can (MICRO Art. 24).
    "management-fee-yearly": {
        "task": "fund.tasks.post_management_fee",
        "schedule": crontab(hour=2, minute=20),
    },
    # Documents held for a form the user never came back to (riskcomp.held_uploads).
    "sweep-held-files": {
        "task": "riskcomp.tasks.sweep_held_files",
        "schedule": crontab(hour=3, minute=15),
    },
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {
        "format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"},
                # WeasyPrint logs every page it lays out at INFO; a report has hundreds.
                "weasyprint": {"level": "WARNING"}},
}
# RISKCOMP_LOG_DIR=/var/log/riskcomp: the web processes also write riskcomp.log there. A
# WatchedFileHandler reopens the file once logrotate has moved it (no copytruncate needed).
RISKCOMP_LOG_DIR = os.environ.get("RISKCOMP_LOG_DIR", "")
if RISKCOMP_LOG_DIR:
    LOGGING["handlers"]["file"] = {
        "class": "logging.handlers.WatchedFileHandler", "formatter": "line", "encoding": "utf-8",
        "filename": str(Path(RISKCOMP_LOG_DIR) / "riskcomp.log")}
    LOGGING["root"]["handlers"] = ["console", "file"]

# Upload limits for documents and spreadsheets (bytes).
RISKCOMP_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A whole request body, an upload and its form included, is refused above this with a 413
# before anything reads it (riskcomp.body_limit), whatever the reverse proxy lets through.
RISKCOMP_MAX_REQUEST_BYTES = RISKCOMP_MAX_UPLOAD_BYTES + 1024 * 1024
# Uploaded files above this go to a temporary file rather than memory while the body is read.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Login throttling (django-axes): five failures for one username from one address lock that
# pair for 30 minutes; a success clears the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=30)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.views.lockout"
# Behind reverse proxies, RISKCOMP_PROXY_COUNT says how many there are (README): the client's
# address is then read from X-Forwarded-For, which the outermost proxy overwrites. ipware counts
# only the proxies named in that header, which is all of them but the one that connects to us.
RISKCOMP_PROXY_COUNT = int(os.environ.get("RISKCOMP_PROXY_COUNT", "0"))
AXES_IPWARE_PROXY_COUNT = RISKCOMP_PROXY_COUNT - 1 if RISKCOMP_PROXY_COUNT else None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if RISKCOMP_PROXY_COUNT else ("REMOTE_ADDR",))
# The audit trail records the client's address (riskcomp.audit reads it through the proxies
# above). django-auditlog's own default, stated here so that the setting is declared.
AUDITLOG_DISABLE_REMOTE_ADDR = False

# Two-factor authentication (TOTP) for custodian reviewers, bureau approvers, auditors and admins
# (accounts.security.TWO_FACTOR_ROLES). On unless a settings module turns it off (local, test).
RISKCOMP_2FA_REQUIRED = True
OTP_TOTP_ISSUER = "BDA RiskComp"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # admins reset a device; they never read its secret
# Binding an authenticator needs a one-time code from the administrator, valid this long.
RISKCOMP_TOTP_ENROLMENT_CODE_HOURS = int(os.environ.get("RISKCOMP_TOTP_ENROLMENT_CODE_HOURS",
                                                        "72"))

# Content-Security-Policy (django-csp): no inline script or style anywhere; htmx is told not to
# inject its indicator <style> (see the htmx-config meta tag in base.html).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "frame-ancestors": [SELF],
        "object-src": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    },
}

# The caches. "api" holds the bank API's rate-limit counters: in Redis when REDIS_URL is set, so
# that every gunicorn worker counts against the same limit per key; otherwise in each process's
# memory (a development server is one process). "default" stays in each process's memory.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "api": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "riskcomp-api",
        "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
                    "socket_timeout": REDIS_READ_TIMEOUT_SECONDS},
    } if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                         "LOCATION": "api"},
}

# The bank API (api/, /api/v1/): Django REST framework, keys per bank, OpenAPI 3 by
# drf-spectacular, its documentation page from the sidecar's local assets (no CDN).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.auth.KeyScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.auth.PerKeyThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": os.environ.get("RISKCOMP_API_RATE", "600/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "经开区贷款风险补偿资金平台 银行接口",
    "DESCRIPTION": "合作银行的核心系统通过本接口备案贷款、报送五级分类，提交补偿申报（随附材料）、"
                   "答复补充材料要求，报送追偿回收、登记返还，并查询申报与回收的状态。"
                   "认证：请求头 Authorization: Bearer <密钥>；写操作须带 Idempotency-Key 请求头。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The two qualification columns share one list of types.
    "ENUM_NAME_OVERRIDES": {"QualificationTypeEnum": "riskcomp.choices.QualificationType"},
}
# A batch of up to 100,000 filings as JSON: this much body on the API's batch path only.
RISKCOMP_API_MAX_BATCH_ROWS = 100_000
RISKCOMP_API_MAX_REQUEST_BYTES = int(os.environ.get("RISKCOMP_API_MAX_REQUEST_BYTES",
                                                    str(160 * 1024 * 1024)))
RISKCOMP_API_CALL_LOG_DAYS = int(os.environ.get("RISKCOMP_API_CALL_LOG_DAYS", "180"))
RISKCOMP_API_KEY_DAYS = 365  # a new key's default validity
