"""The portal's clock during the demo: the services read "today" and "now" from
``django.utils.timezone``, so the loader sets both to each step's business moment."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, tzinfo

from django.utils import timezone


@contextmanager
def business_clock(moment: datetime) -> Iterator[None]:
    """Within the block, ``timezone.now()`` is ``moment`` (aware) and ``timezone.localdate()``
    its date in the portal's time zone: records get their business timestamps and every check
    against "today" is made as on that day. The real clock is back when the block ends."""
    if timezone.is_naive(moment):
        raise ValueError("business_clock needs an aware datetime")
    real_now, real_localdate = timezone.now, timezone.localdate

    def now() -> datetime:
        return moment

    # the parameters as Django names them, for callers passing ``timezone=`` by keyword
    def localdate(value: datetime | None = None, timezone: tzinfo | None = None) -> date:
        return real_localdate(moment if value is None else value, timezone)

    timezone.now, timezone.localdate = now, localdate
    try:
        yield
    finally:
        timezone.now, timezone.localdate = real_now, real_localdate
