"""Reads for the custodian's review: the claims queue with each claim's review age, and the
re-check of one claim against its filing (contradictions to highlight on the review page, found
by ``riskcomp.policy.contradictions``).

The age is counted in Chinese working days (``fund.selectors.policy_context().calendar``) from
submission, and the clock stops while the claim waits on the bank for supplements: from the
request to the bank's answer. Computing a clock reads the claims' history in two queries and counts
the working days of the whole period once (``WorkdayIndex``), whatever the number of claims;
the queue stores the ages (``ClaimReviewAge``) and computes only those out of date, so that it
sorts, filters and pages by age in the database.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, cast

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy

from riskcomp.listing import StrOrPromise
from riskcomp.policy.contradictions import CONTRADICTION, Finding, claim_contradictions
from riskcomp.policy.reasons import CalendarUnknown, Reason
from riskcomp.policy.types import ReasonCode
from riskcomp.policy.workdays import WorkdayCalendar

from ..filing.selectors import ClaimCheck, claim_detail_for, claim_list_for
from ..models import Claim, ClaimReviewAge, ClaimStatusChange

_ONE_DAY = timedelta(days=1)

# What the queue shows by default: claims somebody still has to act on.
OPEN_STATUSES: tuple[str, ...] = (
    Claim.Status.SUBMITTED, Claim.Status.SUPPLEMENT_REQUESTED, Claim.Status.PASSED,
    Claim.Status.PROPOSED, Claim.Status.CONFIRMED,
)
# Reaching one of these ends the claim's review clock (a paid claim stays paid when written off).
CLOCK_STOPS: tuple[str, ...] = (
    Claim.Status.REJECTED, Claim.Status.BUREAU_REJECTED, Claim.Status.PAID,
)
WAITING_LABELS = {
    "custodian": gettext_lazy("托管机构"),
    "bank": gettext_lazy("银行"),
    "bureau": gettext_lazy("财政国资局"),
}


@dataclass(frozen=True)
class AgeBand:
    key: str
    label: Any
    low: int
    high: int | None  # inclusive; None: no upper bound

    def holds(self, age: int | None) -> bool:
        return age is not None and age >= self.low and (self.high is None or age <= self.high)


AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("le5", gettext_lazy("5个工作日以内"), 0, 5),
    AgeBand("6to10", gettext_lazy("6–10个工作日"), 6, 10),
    AgeBand("gt10", gettext_lazy("超过10个工作日"), 11, None),
)
# Older than this many working days, the queue shows the age as overdue.
AGE_ALERT = AGE_BANDS[-1].low


# --- The review clock (pure) ------------------------------------------------------------------

class WorkdayCounter(Protocol):
    def workdays_between(self, a: date, b: date) -> int: ...


class WorkdayBounds(Protocol):
    def workdays_at_least(self, a: date, b: date) -> tuple[int, int]: ...


class WorkdayIndex:
    """Working days from ``first`` to ``last`` counted once, so that any count inside the
    period is a subtraction. Outside the period it asks the calendar. A day of a year whose
    holiday schedule nobody knows makes a count through it raise ``CalendarUnknown``."""

    def __init__(self, calendar: WorkdayCalendar, first: date, last: date) -> None:
        self.calendar = calendar
        self.first = first
        self.last = max(first, last)
        # _worked[i]: working days in (first, first + i]; _unknown[i]: days of unknown years.
        self._worked = [0]
        self._unknown = [0]
        self._unknown_year: int | None = None
        d = first
        while d < self.last:
            d += _ONE_DAY
            try:
                working, unknown = int(calendar.is_workday(d)), 0
            except CalendarUnknown as exc:
                working, unknown = 0, 1
                self._unknown_year = self._unknown_year or exc.year
            self._worked.append(self._worked[-1] + working)
            self._unknown.append(self._unknown[-1] + unknown)

    def workdays_between(self, a: date, b: date) -> int:
        """Working days after ``a`` up to and including ``b`` (as ``WorkdayCalendar``)."""
        if b < a:
            return -self.workdays_between(b, a)
        if a < self.first or b > self.last:
            return self.calendar.workdays_between(a, b)
        i, j = (a - self.first).days, (b - self.first).days
        if self._unknown[j] - self._unknown[i]:
            raise CalendarUnknown(self._unknown_year or b.year)
        return self._worked[j] - self._worked[i]

    def workdays_at_least(self, a: date, b: date) -> tuple[int, int]:
        """Known working days after ``a`` up to and including ``b`` and the days of unknown
        years among them (as ``WorkdayCalendar.workdays_at_least``)."""
        if a < self.first or b > self.last:
            return self.calendar.workdays_at_least(a, b)
        i, j = (a - self.first).days, (b - self.first).days
        return self._worked[j] - self._worked[i], self._unknown[j] - self._unknown[i]


def pauses_from_changes(
    changes: Iterable[tuple[str, str, date]],
) -> list[tuple[date, date | None]]:
    """The spans a claim waited on the bank, from its status history (``from``, ``to``, day)
    in time order: from entering ``supplement`` to leaving it (``None``: still waiting)."""
    spans: list[tuple[date, date | None]] = []
    start: date | None = None
    for from_status, to_status, day in changes:
        if to_status == Claim.Status.SUPPLEMENT_REQUESTED and start is None:
            start = day
        elif from_status == Claim.Status.SUPPLEMENT_REQUESTED and start is not None:
            spans.append((start, day))
            start = None
    if start is not None:
        spans.append((start, None))
    return spans


def _merged_pauses(submitted_on: date, until: date,
                   pauses: Sequence[tuple[date, date | None]]) -> list[tuple[date, date]]:
    clipped = sorted(
        (max(start, submitted_on), min(end or until, until)) for start, end in pauses
    )
    merged: list[tuple[date, date]] = []
    for start, end in clipped:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:  # overlapping requests pause once
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def review_age(*, submitted_on: date, until: date,
               pauses: Sequence[tuple[date, date | None]], calendar: WorkdayCounter) -> int:
    """Working days the claim has been in review: after ``submitted_on`` up to and including
    ``until``, less the working days it waited on the bank (each pause counts the days after the
    request up to and including the answer; an unanswered request pauses until ``until``).
    Raises ``CalendarUnknown`` when the period reaches a year whose schedule is unknown."""
    if until <= submitted_on:
        return 0
    age = calendar.workdays_between(submitted_on, until)
    for start, end in _merged_pauses(submitted_on, until, pauses):
        age -= calendar.workdays_between(start, end)
    return age


def review_age_at_least(*, submitted_on: date, until: date,
                        pauses: Sequence[tuple[date, date | None]],
                        calendar: WorkdayBounds) -> tuple[int, bool]:
    """``review_age`` when it may reach a year whose schedule is unknown: the least age the
    claim can have, and whether that is its exact age. Days of an unknown year count as
    days off while in review and as working days while waiting on the bank, so the age is
    never overstated; it is exact when no such day lies in the period."""
    if until <= submitted_on:
        return 0, True
    age, unknown = calendar.workdays_at_least(submitted_on, until)
    exact = not unknown
    for start, end in _merged_pauses(submitted_on, until, pauses):
        working, maybe = calendar.workdays_at_least(start, end)
        age -= working + maybe
        exact = exact and not maybe
    return max(age, 0), exact


# --- The queue --------------------------------------------------------------------------------

def review_queue_for(*, user: Any) -> QuerySet[Claim]:
    """Every claim the user may see, with what a queue row shows."""
    return claim_list_for(user=user)


def queue_status_counts(*, user: Any) -> dict[str, int]:
    rows = review_queue_for(user=user).order_by().values("status").annotate(n=Count("id"))
    return {r["status"]: r["n"] for r in rows}


class QueueAges(dict[int, int]):
    """Review ages by claim id; ``lower_bounds`` maps the claims whose period reaches a year
    whose holiday schedule is unknown to that year: their age is the least it can be."""

    def __init__(self) -> None:
        super().__init__()
        self.lower_bounds: dict[int, int] = {}


def queue_ages(qs: QuerySet[Claim], *, today: date,
               calendar: WorkdayCalendar) -> QueueAges:
    """The review age of every claim in ``qs`` (a lower bound where the calendar is unknown:
    ``QueueAges.lower_bounds``), keyed in the queryset's order, in two queries: the claims'
    submission dates and states, and the status changes that pause or stop their clocks. The
    database turns the moments into local days (``TruncDate`` in the current time zone, as
    ``timezone.localdate``): converting thousands of datetimes in Python would cost more than
    the ages themselves."""
    rows = list(qs.annotate(queue_submitted_on=TruncDate("submitted_at"),
                            queue_updated_on=TruncDate("updated_at"))
                .values_list("pk", "queue_submitted_on", "status", "queue_updated_on"))
    ages = QueueAges()
    if not rows:
        return ages
    changes: dict[int, list[tuple[str, str, date]]] = defaultdict(list)
    stopped: dict[int, date] = {}
    history = (ClaimStatusChange.objects
               .filter(claim__in=qs.order_by().values("pk"))
               .filter(Q(to_status=Claim.Status.SUPPLEMENT_REQUESTED)
                       | Q(from_status=Claim.Status.SUPPLEMENT_REQUESTED)
                       | Q(to_status__in=CLOCK_STOPS))
               .annotate(changed_on=TruncDate("changed_at"))
               .order_by("claim_id", "changed_at", "id")
               .values_list("claim_id", "from_status", "to_status", "changed_on"))
    for claim_id, from_status, to_status, day in history:
        if to_status in CLOCK_STOPS:
            stopped.setdefault(claim_id, day)
        else:
            changes[claim_id].append((from_status, to_status, day))
    first = min(submitted_on for _pk, submitted_on, _s, _u in rows)
    index = WorkdayIndex(calendar, min(first, today), today)
    for pk, submitted_on, status, updated_on in rows:
        until = today
        if status in CLOCK_STOPS or status == Claim.Status.WRITTEN_OFF:
            # A claim closed without a history row (imported or older data): its last change.
            until = min(stopped.get(pk, updated_on), today)
        ages[pk], exact = review_age_at_least(
            submitted_on=submitted_on, until=until,
            pauses=pauses_from_changes(changes.get(pk, ())), calendar=index)
        if not exact:
            ages.lower_bounds[pk] = calendar.first_unknown_year(submitted_on) or until.year
    return ages


def review_age_key(today: date, calendar: WorkdayCalendar) -> str:
    """What a stored age depends on besides its claim: the day and the holiday schedule."""
    schedule = repr((sorted(calendar.overrides.items()), sorted(calendar.known_years)))
    digest = hashlib.sha1(schedule.encode(), usedforsecurity=False).hexdigest()[:24]
    return f"{today.isoformat()}:{digest}"


# The advisory lock key of the review age refresh ("AGEQUEUE" in ASCII).
REVIEW_AGES_LOCK_KEY = 0x4147455155455545


def _stale_ages(qs: QuerySet[Claim], key: str) -> QuerySet[Claim]:
    return qs.filter(Q(review_clock__isnull=True) | ~Q(review_clock__key=key)
                     | ~Q(review_clock__status=F("status"))
                     | Q(updated_at__gt=F("review_clock__computed_at")))


def review_ages_refresh(qs: QuerySet[Claim], *, today: date,
                        calendar: WorkdayCalendar) -> int:
    """Store the review age (``ClaimReviewAge``) of each claim of ``qs`` whose stored age is
    missing or out of date: computed for another day or schedule, or before the claim changed.
    The queue then orders, filters and pages by age in the database; the ages are computed
    (``queue_ages``) only for those claims: all of them each night (``claims.tasks``), during
    the day those changed since. Returns how many were computed."""
    key = review_age_key(today, calendar)
    if not _stale_ages(qs, key).exists():
        return 0
    with transaction.atomic():
        # Two refreshes (two reviewers opening the queue, or one and the nightly task) would
        # compute the same thousands of ages: the second waits for the first, then computes
        # what is still stale. An advisory lock for the transaction serialises them; SQLite
        # writers are serial anyway.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REVIEW_AGES_LOCK_KEY])
        # Taken before reading: a claim changed while this runs is computed again next time.
        computed_at = timezone.now()
        stale = dict(_stale_ages(qs, key).order_by("pk").values_list("pk", "status"))
        if not stale:
            return 0
        ages = queue_ages(Claim.objects.filter(pk__in=stale), today=today, calendar=calendar)
        ClaimReviewAge.objects.bulk_create(
            [ClaimReviewAge(claim_id=pk, age=age, pending_year=ages.lower_bounds.get(pk),
                            key=key, status=stale[pk], computed_at=computed_at)
             for pk, age in sorted(ages.items())],
            update_conflicts=True, unique_fields=["claim"],
            update_fields=["age", "pending_year", "key", "status", "computed_at"],
            batch_size=1000)
    return len(ages)


def with_review_age(qs: QuerySet[Claim], band: AgeBand | None = None) -> QuerySet[Claim]:
    """``qs`` (refreshed by ``review_ages_refresh``) with each claim's stored ``queue_age`` and
    ``queue_pending_year``, limited to the age ``band`` if one is given."""
    qs = qs.annotate(queue_age=F("review_clock__age"),
                     queue_pending_year=F("review_clock__pending_year"))
    if band is not None:
        qs = qs.filter(review_clock__age__gte=band.low)
        if band.high is not None:
            qs = qs.filter(review_clock__age__lte=band.high)
    return qs


def queue_claims(qs: QuerySet[Claim], ids: Sequence[int]) -> Iterator[Claim]:
    """The claims ``ids`` of ``qs`` in that order, a thousand a query. The queue pages over the
    ids alone (claims and their stored ages): joined with their filings the database would join
    all of them before sorting, where this joins only the page."""
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        by_pk = qs.in_bulk(chunk)
        yield from (by_pk[pk] for pk in chunk if pk in by_pk)


class QueueMarks(TypedDict):
    """What ``queue_marks`` sets on each claim of the queue, for its template and export."""

    review_age: int | None
    age_pending_year: int | None
    age_alert: bool
    waiting_label: StrOrPromise
    bank_suspended: bool


if TYPE_CHECKING:  # a typing construct only: it cannot be subscripted at run time
    from django_stubs_ext import WithAnnotations

    QueueClaim = WithAnnotations[Claim, QueueMarks]


def queue_marks(claims: Iterable[Claim], suspended: set[tuple[int, str]]) -> "list[QueueClaim]":
    """The claims of a queue page (or export) from ``with_review_age``, each with its
    ``review_age``, ``age_pending_year`` (the year whose schedule the age waits for: it is then
    a lower bound), ``age_alert``, ``waiting_label`` and ``bank_suspended``."""
    rows = []
    for plain in claims:
        # the marks are set on the model instances themselves, which the template reads
        claim = cast("QueueClaim", plain)
        claim.review_age = getattr(claim, "queue_age", None)
        claim.age_pending_year = getattr(claim, "queue_pending_year", None)
        claim.age_alert = claim.review_age is not None and claim.review_age >= AGE_ALERT
        claim.waiting_label = WAITING_LABELS.get(claim.waiting_on or "", "")
        claim.bank_suspended = (claim.bank_id, claim.scheme) in suspended
        rows.append(claim)
    return rows


# --- One claim under review -------------------------------------------------------------------

def review_detail_for(*, user: Any) -> QuerySet[Claim]:
    """A claim with its whole history (``claims.filing.views.claim_timeline`` reads the
    prefetches)."""
    return claim_detail_for(user=user)


def review_findings(claim: Claim, check: ClaimCheck) -> list[Finding]:
    """The policy re-check of ``claim`` as of its submission (``claim_check`` on that day) and
    its contradictions, without repeats; suspension is shown apart (it is today's state)."""
    filing = claim.filing
    found: list[Finding] = []
    for r in check.refusals:
        if r.code == ReasonCode.BANK_SUSPENDED:
            continue
        if (r.code == ReasonCode.DUPLICATE and check.open_claim is not None
                and check.open_claim.pk == claim.pk):
            continue  # the open claim is this one
        found.append(_from_reason(r))
    codes = {f.code for f in found}
    for f in claim_contradictions(
        drawdown_date=filing.drawdown_date, maturity_date=filing.maturity_date,
        filed_on=filing.filed_on, amount=filing.amount_cny,
        outstanding=filing.outstanding_principal, base=claim.base, ratio=claim.ratio,
        filing_ratio=filing.ratio, compensation=claim.compensation,
        classification_date=claim.classification_date,
        history_classified_on=check.classified_on,
        submitted_on=timezone.localdate(claim.submitted_at), deadline=claim.deadline,
        scheme=claim.scheme, filing_scheme=filing.scheme, snapshot=filing.snapshot or {},
        recorded_version=filing.policy_version, params=check.params,
    ):
        # The rule's own message (with its article) already says it.
        if f.code in (ReasonCode.NPL_BEFORE_FILING, ReasonCode.CLAIM_LATE) and f.code in codes:
            found = [Finding(x.code, x.level, x.message, x.fields | f.fields)
                     if x.code == f.code else x for x in found]
            continue
        found.append(f)
    return found


_REASON_FIELDS = {
    ReasonCode.NPL_BEFORE_FILING: frozenset({"classification_date", "filed_on"}),
    ReasonCode.CLAIM_LATE: frozenset({"submitted_on", "deadline", "maturity_date"}),
    ReasonCode.NOT_NPL: frozenset({"classification_date"}),
    ReasonCode.OUTSIDE_VALIDITY: frozenset({"drawdown_date"}),
}


def _from_reason(r: Reason) -> Finding:
    return Finding(str(r.code), CONTRADICTION, str(r.message),
                   _REASON_FIELDS.get(ReasonCode(r.code), frozenset()))
