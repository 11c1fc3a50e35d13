"""Developer and demo settings: SQLite and eager tasks unless DATABASE_URL / REDIS_URL are set."""

from .base import *

DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
SECRET_KEY = SECRET_KEY or "local-only-not-secret-" + "x" * 40
ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
# The demo logins of `make run` work with the password alone; RISKCOMP_2FA_REQUIRED=1 turns the
# TOTP step on (each demo user of a required role then enrolls on first login, with an enrolment
# code from `manage.py totp_enrolment_code USER`).
RISKCOMP_2FA_REQUIRED = os.environ.get("RISKCOMP_2FA_REQUIRED", "0") == "1"
