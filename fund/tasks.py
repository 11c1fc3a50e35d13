"""The fund's scheduled job: the custodian's yearly management fee (MICRO Art. 24)."""

import logging

from celery import shared_task
from django.core.exceptions import ValidationError
from django.utils import timezone

from riskcomp.policy.fund import MANAGEMENT_FEE_FIRST_YEAR
from riskcomp.policy.reasons import CalendarUnknown

from .models import LedgerEntry
from .selectors import policy_context
from .services import ledger_management_fee_post

logger = logging.getLogger(__name__)


@shared_task(name="fund.tasks.post_management_fee", acks_late=True)
def post_management_fee(year: int | None = None) -> int | None:
    """Draw the management fee of ``year`` (default: the year just ended) and return the new
    entry's id, or ``None`` when there is nothing to do. Idempotent: a year already drawn is
    left alone, so the beat may run this daily.

    Run by the beat (no ``year``), the fee is drawn on a working day only: the first one of
    January, or the first one after the bureau has entered that year's fund size. Asked for an
    explicit year, it draws today."""
    today = timezone.localdate()
    if year is None:
        year = today.year - 1
        if year < MANAGEMENT_FEE_FIRST_YEAR:
            return None
        try:
            if not policy_context().calendar.is_workday(today):
                return None
        except CalendarUnknown:
            logger.warning("management fee %s not drawn: the %s holiday calendar is unknown",
                           year, today.year)
            return None
    if LedgerEntry.objects.filter(kind=LedgerEntry.Kind.MANAGEMENT_FEE, fee_year=year).exists():
        return None
    try:
        entry = ledger_management_fee_post(year=year, booked_on=today, actor=None)
    except ValidationError as exc:
        # A refusal (no fund size yet, balance short, year not over) is retried by tomorrow's
        # run; the log says why today's did nothing.
        logger.warning("management fee %s not drawn: %s", year, "; ".join(exc.messages))
        return None
    return entry.pk
