"""The notice and return deadlines of recoveries, as a source of the fund's holiday-schedule
recompute (registered in ``ClaimsConfig.ready``): which a new schedule moves, and writing them."""

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from fund.calendar_selectors import (
    NOTICE_DEADLINE,
    RETURN_DEADLINE,
    DeadlineChange,
    decided_version,
)
from riskcomp.audit import audit_bulk_updated, audit_values
from riskcomp.policy.deadlines import recovery_deadlines
from riskcomp.policy.params import SchemeParams
from riskcomp.policy.workdays import WorkdayCalendar

from .models import Recovery


class RecoveryDeadlines:
    fields = frozenset({NOTICE_DEADLINE, RETURN_DEADLINE})

    def changes(self, *, year: int, params: Sequence[SchemeParams],
                calendar: WorkdayCalendar) -> Iterator[DeadlineChange]:
        # 20 and 10 working days reach at most a few weeks into the next year (the Spring
        # Festival included): recoveries from September of the year before may have deadlines
        # in ``year``.
        since, until = date(year - 1, 9, 1), date(year, 12, 31)
        qs = (Recovery.objects
              .filter(Q(recovered_on__range=(since, until)) | Q(notified_on__range=(since, until))
                      | Q(notice_deadline__isnull=True) | Q(return_deadline__isnull=True))
              .select_related("claim__bank", "claim__filing").order_by("recovered_on", "pk"))
        for recovery in qs.iterator(chunk_size=2000):
            claim = recovery.claim
            p = decided_version(params, claim.filing.policy_version, claim.scheme,
                                claim.filing.drawdown_date)
            if p is None:
                continue
            notice_by, return_by = recovery_deadlines(recovery.recovered_on,
                                                      recovery.notified_on, p, calendar)
            subject = _("申报 %(number)s 的回收（%(date)s）") % {
                "number": claim.number, "date": recovery.recovered_on.isoformat()}
            for field, after in ((NOTICE_DEADLINE, notice_by), (RETURN_DEADLINE, return_by)):
                before = getattr(recovery, field)
                if before != after:
                    yield DeadlineChange(record=recovery, field=field, bank_id=claim.bank_id,
                                         bank_name=claim.bank.short_name, subject=subject,
                                         before=before, after=after)

    def apply(self, changes: Sequence[DeadlineChange], *, actor: Any, reason: str) -> None:
        """Write the recomputed columns, one trail entry per recovery (both deadlines in it)."""
        recoveries: dict[int, Recovery] = {}
        before: dict[int, dict[str, str]] = {}
        for change in changes:
            record = change.record
            if record.pk not in recoveries:
                before[record.pk] = audit_values(record, (NOTICE_DEADLINE, RETURN_DEADLINE))
                recoveries[record.pk] = record
            setattr(record, change.field, change.after)
        if recoveries:
            Recovery.objects.bulk_update(list(recoveries.values()),
                                         [NOTICE_DEADLINE, RETURN_DEADLINE], batch_size=1000)
            audit_bulk_updated(recoveries.values(), before=before, actor=actor, reason=reason)


RECOVERY_DEADLINES = RecoveryDeadlines()
