"""The filing deadline recorded with each filing, as a source of the fund's holiday-schedule
recompute (registered in ``LoansConfig.ready``): which a new schedule moves, and writing them."""

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from fund.calendar_selectors import FILING_DEADLINE, DeadlineChange, decided_version
from riskcomp.audit import audit_changed
from riskcomp.policy.deadlines import filing_deadline, next_quarter_start
from riskcomp.policy.params import SchemeParams
from riskcomp.policy.reasons import CalendarUnknown
from riskcomp.policy.workdays import WorkdayCalendar

from .models import LoanFiling


def _stored_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class FilingDeadlines:
    fields = frozenset({FILING_DEADLINE})

    def changes(self, *, year: int, params: Sequence[SchemeParams],
                calendar: WorkdayCalendar) -> Iterator[DeadlineChange]:
        # A filing deadline falls in the quarter after the drawdown: in ``year`` for loans
        # drawn from the fourth quarter of the year before to the third of this one; those of
        # the fourth quarter are listed too, as they fall in the next year (unknown, or known
        # already).
        qs = (LoanFiling.objects.filter(drawdown_date__gte=date(year - 1, 10, 1),
                                        drawdown_date__lte=date(year, 12, 31))
              .select_related("bank").order_by("drawdown_date", "pk")
              .only("pk", "bank__short_name", "iou_number", "drawdown_date", "scheme",
                    "policy_version", "snapshot"))
        cache: dict[tuple[date, str], date | None] = {}
        for filing in qs.iterator(chunk_size=2000):
            snapshot = filing.snapshot
            if not isinstance(snapshot, dict) or FILING_DEADLINE not in snapshot:
                continue  # no decision was recorded with the filing
            p = decided_version(params, filing.policy_version, filing.scheme,
                                filing.drawdown_date)
            if p is None:
                continue
            key = (next_quarter_start(filing.drawdown_date), p.version)
            if key not in cache:
                try:
                    cache[key] = filing_deadline(filing.drawdown_date, p, calendar)
                except CalendarUnknown:
                    cache[key] = None
            before, after = _stored_date(snapshot.get(FILING_DEADLINE)), cache[key]
            if before != after:
                yield DeadlineChange(
                    record=filing, field=FILING_DEADLINE, bank_id=filing.bank_id,
                    bank_name=filing.bank.short_name,
                    subject=_("备案 %(iou)s") % {"iou": filing.iou_number},
                    before=before, after=after)

    def apply(self, changes: Sequence[DeadlineChange], *, actor: Any, reason: str) -> None:
        """Write the recomputed deadline into each filing's recorded decision, one trail entry
        per filing."""
        filings: list[LoanFiling] = []
        diffs: list[dict[str, tuple[str, str]]] = []
        for change in changes:
            record = change.record
            record.snapshot[FILING_DEADLINE] = change.after.isoformat() if change.after else None
            filings.append(record)
            diffs.append({"snapshot": (
                change.before.isoformat() if change.before else "None",
                change.after.isoformat() if change.after else "None")})
        if filings:
            LoanFiling.objects.bulk_update(filings, ["snapshot"], batch_size=1000)
            audit_changed(filings, diffs, actor=actor, reason=reason)


FILING_DEADLINES = FilingDeadlines()
