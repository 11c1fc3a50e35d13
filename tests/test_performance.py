"""The screens at scale: the quarter filters are read from the ends of the data, the review
queue's clock from dates the database computes, and no screen runs more queries when there are
more records (``scripts/bench_screens.py`` measures the times on PostgreSQL)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.filing.selectors import claim_list_for, claim_quarter_choices
from claims.models import Claim, ClaimStatusChange
from claims.review.selectors import queue_ages
from riskcomp.listing import quarter_choices
from riskcomp.policy.workdays import WorkdayCalendar

from .conftest import client_for
from .factories import ClaimFactory, FilingFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- Quarter filters ---------------------------------------------------------------------------

@pytest.mark.parametrize(("first", "last", "expected"), [
    ("2025Q3", "2026Q2", ["2026Q2", "2026Q1", "2025Q4", "2025Q3"]),
    ("2026Q1", "2026Q1", ["2026Q1"]),
    (None, None, []),
    ("2025Q4", "2025Q4", ["2025Q4"]),
    ("odd", "2026Q1", ["2026Q1", "odd"]),
])
def test_quarter_choices_run_from_the_latest_back_to_the_first(first, last, expected):
    assert [value for value, _label in quarter_choices(first, last)] == expected


def test_quarter_choices_keep_the_sixteen_newest():
    choices = quarter_choices("2020Q1", "2026Q3")
    assert len(choices) == 16
    assert choices[0] == ("2026Q3", "2026年第三季度")
    assert choices[-1] == ("2022Q4", "2022年第四季度")


def _filter_choices(page, name):  # type: ignore[no-untyped-def]
    flt = next(f for f in page.context["listing"].filters if f["name"] == name)
    return [value for value, _label in flt["choices"]]


def test_filing_list_offers_the_quarters_of_the_users_own_filings(bank_a, bank_b, officer_a,
                                                                  reviewer):
    FilingFactory(bank=bank_a, filed_by=officer_a, quarter="2025Q3",
                  drawdown_date=date(2025, 8, 1))
    FilingFactory(bank=bank_a, filed_by=officer_a, quarter="2026Q1",
                  drawdown_date=date(2026, 2, 1))
    FilingFactory(bank=bank_b, quarter="2026Q3", drawdown_date=date(2026, 8, 1))
    officer_page = client_for(officer_a).get(reverse("loans:filing_list"))
    assert _filter_choices(officer_page, "quarter") == ["2026Q1", "2025Q4", "2025Q3"]
    reviewer_page = client_for(reviewer).get(reverse("loans:filing_list"), {"quarter": "2025Q4"})
    assert _filter_choices(reviewer_page, "quarter")[0] == "2026Q3"
    assert reviewer_page.context["listing"].total == 0  # a quarter inside the span, no filing


def test_claim_quarters_come_from_claimed_loans_only(bank_a, bank_b, officer_a, reviewer):
    claimed = FilingFactory(bank=bank_a, filed_by=officer_a, quarter="2025Q4",
                            drawdown_date=date(2025, 11, 1))
    ClaimFactory(filing=claimed)
    ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a, quarter="2026Q2"))
    FilingFactory(bank=bank_a, filed_by=officer_a, quarter="2026Q3",
                  drawdown_date=date(2026, 8, 1))  # no claim on it
    ClaimFactory(filing=FilingFactory(bank=bank_b, quarter="2025Q1",
                                      drawdown_date=date(2025, 2, 1)))
    mine = [q for q, _ in claim_quarter_choices(claim_list_for(user=officer_a))]
    assert mine == ["2026Q2", "2026Q1", "2025Q4"]
    everyone = [q for q, _ in claim_quarter_choices(claim_list_for(user=reviewer))]
    assert everyone[0] == "2026Q2" and everyone[-1] == "2025Q1"
    assert claim_quarter_choices(Claim.objects.none()) == ()


def _listed(client, name: str, **params) -> set[str]:  # type: ignore[no-untyped-def]
    page = client.get(reverse(name), params)
    assert page.status_code == 200
    return {str(row) for row in page.context["listing"].page.object_list}


def test_search_matches_own_and_related_fields_once_each(bank_a, officer_a, reviewer):
    """The fields of the enterprise are searched in its own table and matched by key."""
    mine = FilingFactory(bank=bank_a, filed_by=officer_a, iou_number="JJ-ALPHA-1",
                         enterprise__name="北京亦庄星河科技有限公司")
    other = FilingFactory(bank=bank_a, filed_by=officer_a, iou_number="JJ-BETA-2",
                          enterprise__name="北京亦庄山川制造有限公司")
    claim = ClaimFactory(filing=mine, number="MC-STAR-01")
    reviewer_client = client_for(reviewer)
    assert _listed(reviewer_client, "loans:filing_list", q="星河") == {str(mine)}
    assert _listed(reviewer_client, "loans:filing_list", q="beta") == {str(other)}
    code = other.enterprise.credit_code
    assert _listed(reviewer_client, "loans:filing_list", q=code[-6:]) == {str(other)}
    assert _listed(client_for(officer_a), "claims:claim_list", q="星河") == {str(claim)}
    assert _listed(reviewer_client, "claims:claim_list", q="alpha") == {str(claim)}
    assert _listed(reviewer_client, "claims:claim_list", q="山川") == set()


# --- The queue's clock -------------------------------------------------------------------------

def test_queue_ages_count_local_days_at_the_edges_of_midnight(bank_a, officer_a):
    """The clock reads Beijing days, whatever the date in UTC: one claim submitted at 07:30 on
    Friday 6 March (Thursday in UTC), another asked for supplements at 00:30 on Monday 9 March
    (Sunday in UTC). Both have been in review one working day by Friday 13 March."""
    calendar = WorkdayCalendar(known_years=[2026])
    early = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a),
                         submitted_at=datetime(2026, 3, 6, 7, 30, tzinfo=SHANGHAI),
                         status=Claim.Status.SUPPLEMENT_REQUESTED)
    late = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a),
                        submitted_at=datetime(2026, 3, 6, 12, 0, tzinfo=SHANGHAI),
                        status=Claim.Status.SUPPLEMENT_REQUESTED)
    for claim, asked in ((early, datetime(2026, 3, 9, 9, 0, tzinfo=SHANGHAI)),
                         (late, datetime(2026, 3, 9, 0, 30, tzinfo=SHANGHAI))):
        ClaimStatusChange.objects.create(
            claim=claim, from_status=Claim.Status.SUBMITTED,
            to_status=Claim.Status.SUPPLEMENT_REQUESTED, actor=officer_a, changed_at=asked)
    # Five working days after Friday up to the next Friday, less the four after the request.
    ages = queue_ages(Claim.objects.all(), today=date(2026, 3, 13), calendar=calendar)
    assert ages == {early.pk: 1, late.pk: 1}


# --- Query counts that do not grow with the data -----------------------------------------------

def _add_records(bank, officer, n: int, start: int) -> None:  # type: ignore[no-untyped-def]
    statuses = [Claim.Status.SUBMITTED, Claim.Status.SUPPLEMENT_REQUESTED, Claim.Status.PASSED,
                Claim.Status.PROPOSED, Claim.Status.CONFIRMED]
    for i in range(n):
        quarter_start = date(2025, 1, 1) + timedelta(days=92 * (i % 6))
        filing = FilingFactory(bank=bank, filed_by=officer, drawdown_date=quarter_start,
                               quarter=f"{quarter_start.year}Q{(quarter_start.month - 1) // 3 + 1}")
        claim = ClaimFactory.create(filing=filing, status=statuses[i % len(statuses)],
                                    submitted_at=timezone.now() - timedelta(days=start + i))
        ClaimStatusChange.objects.create(claim=claim, from_status="", to_status="submitted",
                                         actor=officer, changed_at=claim.submitted_at)


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


SCREENS = [
    ("officer", "home", None),
    ("reviewer", "home", None),
    ("approver", "home", None),
    ("auditor", "home", None),
    ("reviewer", "claims:review_queue", None),
    ("officer", "loans:filing_list", None),
    ("reviewer", "loans:filing_list", None),
    ("officer", "claims:claim_list", None),
    ("reviewer", "claims:claim_list", None),
    ("reviewer", "loans:filing_detail", "filing"),
    ("reviewer", "claims:claim_detail", "claim"),
    ("reviewer", "claims:review", "claim"),
]


@pytest.mark.parametrize(("who", "name", "record"), SCREENS)
def test_screens_run_as_many_queries_with_three_times_the_records(
        who, name, record, bank_a, bank_b, officer_a, officer_b, reviewer, approver, auditor):
    users = {"officer": officer_a, "reviewer": reviewer, "approver": approver,
             "auditor": auditor}
    _add_records(bank_a, officer_a, 4, start=0)
    _add_records(bank_b, officer_b, 4, start=0)
    claim = Claim.objects.filter(bank=bank_a).first()
    args = {"filing": [claim.filing_id], "claim": [claim.pk], None: []}[record]
    url = reverse(name, args=args)
    if name == "loans:filing_list":
        url += "?scheme=MICRO&quarter=2025Q2&q=JJ"
    client = client_for(users[who])
    client.get(url)  # the session and the first-use caches
    before = _queries(client, url)
    _add_records(bank_a, officer_a, 8, start=10)
    _add_records(bank_b, officer_b, 8, start=10)
    if name == "claims:review_queue":
        # The new claims' ages are computed and stored once, in a fixed number of queries
        # however many (the stale check, the lock on PostgreSQL, the read, the writes).
        assert _queries(client, url) <= before + 7
    assert _queries(client, url) == before
