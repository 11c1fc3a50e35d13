"""The daily jobs. Each takes the day as an ISO date (default: today in Asia/Shanghai, the
portal's time zone) and is idempotent: the notification's key lets each event through once."""

from datetime import date

from celery import shared_task
from django.utils import timezone

from . import services


def _day(day: str | None) -> date:
    return date.fromisoformat(day) if day else timezone.localdate()


@shared_task(name="notifications.tasks.notify_overdue_returns", acks_late=True)
def notify_overdue_returns(day: str | None = None) -> int:
    return services.overdue_returns_notify(today=_day(day))


@shared_task(name="notifications.tasks.notify_filing_windows", acks_late=True)
def notify_filing_windows(day: str | None = None) -> int:
    return services.filing_windows_notify(today=_day(day))


@shared_task(name="notifications.tasks.notify_suspension_changes", acks_late=True)
def notify_suspension_changes(day: str | None = None) -> int:
    return services.suspension_changes_notify(today=_day(day))
