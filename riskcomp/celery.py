"""Celery application.

With ``REDIS_URL`` unset the settings make every task run eagerly in the web process, so the
portal needs no services; with it set, tasks go to a real worker and beat runs the schedule.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskcomp.settings.local")

app = Celery("riskcomp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
