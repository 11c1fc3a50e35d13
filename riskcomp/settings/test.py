"""Test settings: SQLite in memory by default; DATABASE_URL selects PostgreSQL instead."""

from .base import *

DEBUG = False
SECRET_KEY = "test-only-not-secret-" + "x" * 40
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(os.environ.get("RISKCOMP_TEST_MEDIA", VAR_DIR / "test-media"))
if not os.environ.get("DATABASE_URL"):
    DATABASES["default"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
else:
    # pytest-django empties the tables with TRUNCATE after each transactional test; the history
    # tables refuse it unless the session allows it (fund migration 0008).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c riskcomp.allow_truncate=on"

# Tests run tasks in-process; the worker tests switch to the real Redis broker (when REDIS_URL is
# set) for themselves and start a worker on the test database.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_EXTENDED = True

# Most tests log in with force_login and need no TOTP step; tests/test_two_factor.py turns it on.
RISKCOMP_2FA_REQUIRED = False
