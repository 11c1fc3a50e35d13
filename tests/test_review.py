"""The custodian's first review: the three decisions and their refusals, the review clock that
stops while the bank prepares supplements, the contradictions the review page highlights, the
queue's filters and query count, and who may see and decide what."""

import hashlib
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import BytesIO
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from banks.models import SuspensionState
from claims import services
from claims.models import (
    Claim,
    ClaimDocument,
    ClaimReviewAge,
    ClaimStatusChange,
    ReviewDecision,
    SupplementRequest,
)
from claims.review.selectors import (
    WorkdayIndex,
    pauses_from_changes,
    queue_ages,
    review_age,
    review_age_at_least,
)
from loans.models import ClassificationReport
from riskcomp.policy.contradictions import CONTRADICTION, WARNING, claim_contradictions
from riskcomp.policy.reasons import CalendarUnknown
from riskcomp.policy.workdays import WorkdayCalendar

from .conftest import client_for
from .factories import BankFactory, ClaimFactory, EnterpriseFactory, FilingFactory
from .test_uploads import PDF_BYTES, PNG_BYTES

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)  # a Friday; November 2026 has no public holiday
_real_localdate = timezone.localdate


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    """Today is TODAY; converting a moment to its local day still works."""
    def localdate(value=None, timezone=None):  # type: ignore[no-untyped-def]
        return TODAY if value is None else _real_localdate(value, timezone)

    monkeypatch.setattr(timezone, "localdate", localdate)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def at(d: date, hour: int = 10) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=SHANGHAI)


def make_claim(bank, officer, *, submitted=date(2026, 11, 2), status=Claim.Status.SUBMITTED,  # type: ignore[no-untyped-def]
               enterprise=None, scheme="MICRO", **kw):
    filing_kw = {"bank": bank, "filed_by": officer, "scheme": scheme}
    if enterprise is not None:
        filing_kw["enterprise"] = enterprise
    filing = FilingFactory(**filing_kw)
    claim = ClaimFactory(filing=filing, created_by=officer, submitted_at=at(submitted),
                         status=status, **kw)
    ClaimStatusChange.objects.create(claim=claim, from_status="", to_status="submitted",
                                     actor=officer, changed_at=at(submitted))
    return claim


def change(claim, officer, frm, to, on):  # type: ignore[no-untyped-def]
    ClaimStatusChange.objects.create(claim=claim, from_status=frm, to_status=to, actor=officer,
                                     changed_at=at(on))
    Claim.objects.filter(pk=claim.pk).update(status=to)


def attach(claim, content=PDF_BYTES, name="申请表.pdf", mime="application/pdf"):  # type: ignore[no-untyped-def]
    doc = ClaimDocument(claim=claim, kind=ClaimDocument.Kind.APPLICATION, original_name=name,
                        content_type=mime, size=len(content),
                        sha256=hashlib.sha256(content).hexdigest(), uploaded_by=claim.created_by)
    doc.file.save(name, ContentFile(content), save=False)
    doc.save()
    return doc


# --- Decisions --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_pass_writes_the_decision_and_the_transition(bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)
    decision = services.claim_review_pass(claim=claim, note="材料齐全", actor=reviewer)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PASSED
    assert decision.decision == ReviewDecision.Decision.PASS
    assert decision.message == "材料齐全" and decision.reviewer == reviewer
    last = claim.status_changes.order_by("-id").first()
    assert (last.from_status, last.to_status, last.actor) == ("submitted", "passed", reviewer)


@pytest.mark.django_db
def test_reject_needs_a_reason_code_and_a_note(bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)
    with pytest.raises(ValidationError) as missing_note:
        services.claim_review_reject(claim=claim, code="CLAIM_LATE", note="  ", actor=reviewer)
    assert "note" in missing_note.value.error_dict
    with pytest.raises(ValidationError) as bad_code:
        services.claim_review_reject(claim=claim, code="NO_SUCH_CODE", note="逾期",
                                     actor=reviewer)
    assert "code" in bad_code.value.error_dict
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED and not claim.reviews.exists()

    services.claim_review_reject(claim=claim, code="CLAIM_LATE", note="超过申报期限",
                                 actor=reviewer)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.REJECTED
    assert claim.reject_code == "CLAIM_LATE"
    review = claim.reviews.get()
    assert (review.decision, review.reason_code, review.message) == (
        "reject", "CLAIM_LATE", "超过申报期限")


@pytest.mark.django_db
def test_supplement_request_then_the_bank_resubmits_and_the_claim_can_pass(
        bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)
    with pytest.raises(ValidationError):
        services.claim_request_supplement(claim=claim, message="", actor=reviewer)
    request = services.claim_request_supplement(claim=claim, message="请补充催收记录原件",
                                                actor=reviewer)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUPPLEMENT_REQUESTED
    assert request.answered_at is None and request.requested_by == reviewer
    assert claim.reviews.get().decision == ReviewDecision.Decision.SUPPLEMENT
    # While the bank prepares the documents there is nothing to decide.
    with pytest.raises(ValidationError) as exc:
        services.claim_review_pass(claim=claim, actor=reviewer)
    assert exc.value.code == "wrong_state"

    services.claim_resubmit(claim=claim, answer="已补充", actor=officer_a)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED
    assert SupplementRequest.objects.get(pk=request.pk).answered_at is not None
    services.claim_review_pass(claim=claim, actor=reviewer)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PASSED


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["approver", "auditor", "officer_a"])
def test_only_reviewers_decide(request, bank_a, officer_a, role_fixture):
    claim = make_claim(bank_a, officer_a)
    actor = request.getfixturevalue(role_fixture)
    for call in (
        lambda: services.claim_review_pass(claim=claim, actor=actor),
        lambda: services.claim_review_reject(claim=claim, code="NOT_NPL", note="x", actor=actor),
        lambda: services.claim_request_supplement(claim=claim, message="x", actor=actor),
    ):
        with pytest.raises(PermissionDenied):
            call()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.SUBMITTED and not claim.reviews.exists()


@pytest.mark.django_db
def test_admin_may_decide(bank_a, officer_a, admin_user_):
    claim = make_claim(bank_a, officer_a)
    services.claim_review_pass(claim=claim, actor=admin_user_)
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.PASSED


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["passed", "rejected", "proposed", "paid"])
def test_a_claim_not_waiting_for_review_is_refused(bank_a, officer_a, reviewer, status):
    claim = make_claim(bank_a, officer_a, status=status)
    for call in (
        lambda: services.claim_review_pass(claim=claim, actor=reviewer),
        lambda: services.claim_review_reject(claim=claim, code="NOT_NPL", note="x",
                                             actor=reviewer),
        lambda: services.claim_request_supplement(claim=claim, message="x", actor=reviewer),
    ):
        with pytest.raises(ValidationError) as exc:
            call()
        assert exc.value.code == "wrong_state"
        assert "不在待初审状态" in exc.value.messages[0]
    assert not claim.reviews.exists()


@pytest.mark.django_db
def test_deciding_twice_is_refused_even_from_a_stale_copy(bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)
    stale = Claim.objects.get(pk=claim.pk)  # the second request loaded the claim before
    services.claim_review_pass(claim=claim, actor=reviewer)
    assert stale.status == Claim.Status.SUBMITTED
    with pytest.raises(ValidationError):
        services.claim_review_reject(claim=stale, code="NOT_NPL", note="重复", actor=reviewer)
    with pytest.raises(ValidationError):
        services.claim_review_pass(claim=stale, actor=reviewer)
    assert claim.reviews.count() == 1
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.PASSED


@pytest.mark.django_db
def test_double_submit_of_the_form_decides_once_and_says_why(bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)
    client = client_for(reviewer)
    url = reverse("claims:review", args=[claim.pk])
    data = {"decision": "pass", "pass-note": "同意"}
    first = client.post(url, data)
    assert first.status_code == 302 and first["Location"] == reverse("claims:review_queue")
    second = client.post(url, data, follow=True)
    assert "不在待初审状态" in second.content.decode()
    assert claim.reviews.count() == 1
    assert claim.status_changes.filter(to_status="passed").count() == 1


@pytest.mark.django_db
def test_review_views_decide_each_way(bank_a, officer_a, reviewer):
    client = client_for(reviewer)
    a, b, c = (make_claim(bank_a, officer_a) for _ in range(3))
    client.post(reverse("claims:review", args=[a.pk]), {"decision": "pass"})
    client.post(reverse("claims:review", args=[b.pk]),
                {"decision": "reject", "reject-code": "NPL_BEFORE_FILING",
                 "reject-note": "备案前已不良"})
    client.post(reverse("claims:review", args=[c.pk]),
                {"decision": "supplement", "supplement-message": "请补充征信报告"})
    assert [Claim.objects.get(pk=x.pk).status for x in (a, b, c)] == [
        "passed", "rejected", "supplement"]
    assert Claim.objects.get(pk=b.pk).reject_code == "NPL_BEFORE_FILING"
    assert SupplementRequest.objects.get(claim=c).message == "请补充征信报告"


@pytest.mark.django_db
def test_invalid_decision_forms_show_errors_and_change_nothing(bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)
    client = client_for(reviewer)
    url = reverse("claims:review", args=[claim.pk])
    page = client.post(url, {"decision": "reject", "reject-code": "", "reject-note": ""})
    assert page.status_code == 200
    assert "该字段是必填项" in page.content.decode()
    page = client.post(url, {"decision": "supplement", "supplement-message": ""})
    assert page.status_code == 200
    unknown = client.post(url, {"decision": "approve-all"}, follow=True)
    assert "请选择初审结论" in unknown.content.decode()
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.SUBMITTED
    assert not claim.reviews.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["approver", "auditor"])
def test_bureau_and_auditors_read_the_review_page_but_cannot_decide(
        request, bank_a, officer_a, role_fixture):
    claim = make_claim(bank_a, officer_a)
    client = client_for(request.getfixturevalue(role_fixture))
    url = reverse("claims:review", args=[claim.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="decision"' not in page.content.decode()
    assert client.post(url, {"decision": "pass"}).status_code == 403
    assert client.get(reverse("claims:review_queue")).status_code == 200
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.SUBMITTED


@pytest.mark.django_db
def test_bank_officers_get_403_on_the_queue_the_review_and_inline_documents(
        bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)  # even their own bank's claim
    doc = attach(claim)
    client = client_for(officer_a)
    assert client.get(reverse("claims:review_queue")).status_code == 403
    assert client.get(reverse("claims:review", args=[claim.pk])).status_code == 403
    assert client.post(reverse("claims:review", args=[claim.pk]),
                       {"decision": "pass"}).status_code == 403
    assert client.get(reverse("claims:document_inline", args=[doc.pk])).status_code == 403
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.SUBMITTED


@pytest.mark.django_db
def test_a_suspended_banks_claim_is_reviewed_with_the_suspension_shown(
        bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)
    SuspensionState.objects.create(bank=bank_a, scheme="MICRO", is_manually_suspended=True,
                                   manual_reason="追偿不力")
    client = client_for(reviewer)
    page = client.get(reverse("claims:review", args=[claim.pk])).content.decode()
    assert "该银行在本政策下暂停中" in page and "追偿不力" in page
    assert "不能报送财政、确认或拨付" in page
    queue = client.get(reverse("claims:review_queue")).content.decode()
    assert "暂停" in queue
    client.post(reverse("claims:review", args=[claim.pk]), {"decision": "pass"})
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.PASSED


# --- The review clock -------------------------------------------------------------------------

# 2031 is beyond chinesecalendar: the weekend rule, declared known, with one holiday by hand.
WEEKENDS_2031 = WorkdayCalendar(overrides={date(2031, 3, 12): False}, known_years=[2031])
MON = date(2031, 3, 3)  # Monday 3 March 2031


def test_the_clock_counts_working_days_after_submission():
    assert MON.weekday() == 0
    assert review_age(submitted_on=MON, until=MON, pauses=[], calendar=WEEKENDS_2031) == 0
    assert review_age(submitted_on=MON, until=MON + timedelta(days=4), pauses=[],
                      calendar=WEEKENDS_2031) == 4
    # The next Monday: Tue–Fri and Mon; the weekend does not count.
    assert review_age(submitted_on=MON, until=MON + timedelta(days=7), pauses=[],
                      calendar=WEEKENDS_2031) == 5
    # Wednesday 12 March is a holiday here: 3–14 March has 9 working days after the 3rd.
    assert review_age(submitted_on=MON, until=date(2031, 3, 14), pauses=[],
                      calendar=WEEKENDS_2031) == 8


def test_the_clock_pauses_from_the_request_to_the_answer():
    # Requested Wednesday 5th, answered Monday 10th: Thu, Fri and Mon do not count.
    pauses = [(date(2031, 3, 5), date(2031, 3, 10))]
    assert review_age(submitted_on=MON, until=date(2031, 3, 11), pauses=pauses,
                      calendar=WEEKENDS_2031) == 6 - 3
    # Not answered yet: the clock stands still since the request.
    waiting = [(date(2031, 3, 5), None)]
    assert review_age(submitted_on=MON, until=date(2031, 3, 21), pauses=waiting,
                      calendar=WEEKENDS_2031) == 2
    # Two overlapping requests pause once (6–11 March); a request made before the submission
    # counts from the submission (it covers the 4th): only the 5th is left.
    overlapping = [(date(2031, 3, 5), date(2031, 3, 10)), (date(2031, 3, 7), date(2031, 3, 11)),
                   (date(2031, 2, 20), date(2031, 3, 4))]
    assert review_age(submitted_on=MON, until=date(2031, 3, 11), pauses=overlapping,
                      calendar=WEEKENDS_2031) == 1


def test_the_clock_in_an_unknown_year_says_so():
    with pytest.raises(CalendarUnknown):
        review_age(submitted_on=date(2032, 1, 5), until=date(2032, 1, 9), pauses=[],
                   calendar=WorkdayCalendar())


# 2026 is known (the package), 2027 is not: 1 December 2026 is a Tuesday, December has 22
# working days after it.
@pytest.mark.parametrize(("submitted", "until", "pauses", "expected"), [
    (date(2026, 12, 1), date(2026, 12, 31), [], (22, True)),
    (date(2026, 12, 1), date(2027, 1, 6), [], (22, False)),  # at least 22 (6 January)
    # Waiting on the bank over New Year: the unknown days might all be working days there.
    (date(2026, 12, 1), date(2027, 1, 6), [(date(2026, 12, 29), date(2027, 1, 4))],
     (22 - 2 - 4, False)),
    # A pause wholly in the known year keeps the count exact below it.
    (date(2026, 12, 1), date(2026, 12, 31), [(date(2026, 12, 7), date(2026, 12, 14))],
     (22 - 5, True)),
    (date(2027, 1, 4), date(2027, 1, 4), [], (0, True)),
])
def test_the_clock_in_an_unknown_year_gives_the_least_age(submitted, until, pauses, expected):
    cal = WorkdayCalendar()
    assert review_age_at_least(submitted_on=submitted, until=until, pauses=pauses,
                               calendar=cal) == expected
    index = WorkdayIndex(cal, date(2026, 11, 1), date(2027, 2, 1))
    assert review_age_at_least(submitted_on=submitted, until=until, pauses=pauses,
                               calendar=index) == expected


def test_the_least_age_is_the_age_once_the_year_is_known():
    # With 2027 entered (1 January off), the claim of 1 December is 25 working days old on
    # 6 January: the lower bound shown before was 22.
    cal = WorkdayCalendar(overrides={date(2027, 1, 1): False}, known_years=[2027])
    assert review_age_at_least(submitted_on=date(2026, 12, 1), until=date(2027, 1, 6),
                               pauses=[], calendar=cal) == (25, True)
    assert review_age(submitted_on=date(2026, 12, 1), until=date(2027, 1, 6), pauses=[],
                      calendar=cal) == 25


def test_the_working_day_index_agrees_with_the_calendar():
    cal = WorkdayCalendar()
    first, last = date(2025, 9, 20), date(2026, 2, 28)  # National Day, New Year, Spring Festival
    index = WorkdayIndex(cal, first, last)
    days = [first + timedelta(days=n) for n in range(0, (last - first).days + 1, 3)]
    for a in days:
        for b in days[::5]:
            assert index.workdays_between(a, b) == cal.workdays_between(a, b), (a, b)
    # Outside the indexed period it asks the calendar.
    assert index.workdays_between(date(2025, 9, 1), date(2025, 9, 5)) == 4


def test_pauses_are_read_from_the_status_history():
    changes = [
        ("", "submitted", date(2026, 11, 2)),
        ("submitted", "supplement", date(2026, 11, 4)),
        ("supplement", "submitted", date(2026, 11, 9)),
        ("submitted", "supplement", date(2026, 11, 12)),
    ]
    assert pauses_from_changes(changes) == [(date(2026, 11, 4), date(2026, 11, 9)),
                                            (date(2026, 11, 12), None)]


@pytest.mark.django_db
def test_queue_ages_leave_out_the_time_waiting_on_the_bank(bank_a, officer_a):
    plain = make_claim(bank_a, officer_a, submitted=date(2026, 11, 2))
    paused = make_claim(bank_a, officer_a, submitted=date(2026, 11, 2))
    change(paused, officer_a, "submitted", "supplement", date(2026, 11, 4))
    change(paused, officer_a, "supplement", "submitted", date(2026, 11, 11))
    waiting = make_claim(bank_a, officer_a, submitted=date(2026, 11, 2))
    change(waiting, officer_a, "submitted", "supplement", date(2026, 11, 5))
    closed = make_claim(bank_a, officer_a, submitted=date(2026, 11, 2))
    change(closed, officer_a, "submitted", "rejected", date(2026, 11, 6))
    ages = queue_ages(Claim.objects.all(), today=TODAY, calendar=WorkdayCalendar())
    # 3–20 November: 14 working days.
    assert ages[plain.pk] == 14
    # Paused 4th → 11th: the 5, 6, 9, 10 and 11 November do not count.
    assert ages[paused.pk] == 14 - 5
    # Waiting since the 5th: only the 3, 4 and 5 November count.
    assert ages[waiting.pk] == 3
    # A rejected claim's clock stopped when it was rejected.
    assert ages[closed.pk] == 4


# --- Contradictions ---------------------------------------------------------------------------

def facts(**over):  # type: ignore[no-untyped-def]
    base = {
        "drawdown_date": date(2026, 4, 15), "maturity_date": date(2027, 4, 15),
        "filed_on": date(2026, 7, 10), "amount": Decimal("1000000.00"),
        "outstanding": Decimal("800000.00"), "base": Decimal("800000.00"),
        "ratio": Decimal("0.3000"), "filing_ratio": Decimal("0.3000"),
        "compensation": Decimal("240000.00"), "classification_date": date(2026, 9, 30),
        "history_classified_on": date(2026, 9, 30), "submitted_on": date(2026, 11, 2),
        "deadline": date(2028, 4, 15), "scheme": "MICRO", "filing_scheme": "MICRO",
        "snapshot": {"ratio": "0.30", "loan": {"drawdown_date": "2026-04-15",
                                               "maturity_date": "2027-04-15",
                                               "cny_amount": "1000000.00"}},
    }
    base.update(over)
    return base


def codes(found):  # type: ignore[no-untyped-def]
    return {(f.code, f.level) for f in found}


def test_a_consistent_claim_has_no_contradiction():
    assert claim_contradictions(**facts()) == []


@pytest.mark.parametrize(("over", "expected"), [
    ({"classification_date": date(2026, 7, 1)}, ("NPL_BEFORE_FILING", CONTRADICTION)),
    ({"base": Decimal("700000.00"), "compensation": Decimal("210000.00")},
     ("BASE_DIFFERS", WARNING)),
    ({"base": Decimal("900000.00"), "compensation": Decimal("270000.00")},
     ("BASE_ABOVE_OUTSTANDING", CONTRADICTION)),
    ({"base": Decimal("1200000.00"), "outstanding": Decimal("1200000.00"),
      "compensation": Decimal("360000.00")}, ("BASE_ABOVE_AMOUNT", CONTRADICTION)),
    ({"compensation": Decimal("240000.01")}, ("COMPENSATION_WRONG", CONTRADICTION)),
    ({"drawdown_date": date(2027, 5, 1)}, ("DATES_ORDER", CONTRADICTION)),
    ({"filed_on": date(2026, 4, 1), "classification_date": date(2026, 9, 30)},
     ("DATES_ORDER", CONTRADICTION)),
    ({"classification_date": date(2026, 11, 10), "history_classified_on": date(2026, 11, 10)},
     ("DATES_ORDER", CONTRADICTION)),
    ({"submitted_on": date(2028, 5, 1)}, ("CLAIM_LATE", CONTRADICTION)),
    ({"history_classified_on": date(2026, 10, 8)}, ("CLASSIFICATION_MISMATCH", WARNING)),
    ({"maturity_date": date(2027, 10, 15)}, ("SNAPSHOT_DIFFERS", CONTRADICTION)),
    ({"amount": Decimal("1500000.00")}, ("SNAPSHOT_DIFFERS", CONTRADICTION)),
    ({"ratio": Decimal("0.4000"), "compensation": Decimal("320000.00")},
     ("RATIO_DIFFERS", CONTRADICTION)),
    ({"scheme": "TECH"}, ("SCHEME_DIFFERS", CONTRADICTION)),
])
def test_each_contradiction_is_found(over, expected):  # type: ignore[no-untyped-def]
    assert expected in codes(claim_contradictions(**facts(**over)))


def test_findings_name_the_fields_to_highlight():
    found = claim_contradictions(**facts(drawdown_date=date(2027, 5, 1), snapshot={}))
    late_drawdown = next(f for f in found if "晚于合同到期日" in f.message)
    assert late_drawdown.fields == {"drawdown_date", "maturity_date"}
    assert all(f.fields for f in found)


@pytest.mark.django_db
def test_review_page_highlights_the_contradictions(bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a, classification_date=date(2026, 7, 1),
                       base=Decimal("1000000.00"))
    ClassificationReport.objects.create(filing=claim.filing, classification="substandard",
                                        classified_on=date(2026, 7, 1), reported_by=officer_a)
    page = client_for(reviewer).get(reverse("claims:review", args=[claim.pk])).content.decode()
    assert "NPL_BEFORE_FILING" in page
    assert "发现 1 处矛盾" in page
    assert 'class="overdue"' in page  # the classification row is marked
    assert "BASE_DIFFERS" not in page  # base equals the outstanding principal here


@pytest.mark.django_db
def test_review_page_shows_snapshot_history_and_documents_inline(bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)
    claim.filing.snapshot = {"decided_on": "2026-07-10", "scheme": "MICRO", "ratio": "0.30",
                             "loan": {"drawdown_date": "2026-04-15", "type": "credit",
                                      "maturity_date": "2027-04-15",
                                      "cny_amount": "1000000.00"}}
    claim.filing.save(update_fields=["snapshot"])
    pdf_doc = attach(claim)
    png_doc = attach(claim, PNG_BYTES, "扫描件.png", "image/png")
    services.claim_request_supplement(claim=claim, message="请补充催收记录", actor=reviewer)
    services.claim_resubmit(claim=claim, answer="已补充", actor=officer_a)
    client = client_for(reviewer)
    page = client.get(reverse("claims:review", args=[claim.pk])).content.decode()
    assert "备案快照（备案时冻结）" in page and "信用贷款" in page
    assert f'<iframe src="{reverse("claims:document_inline", args=[pdf_doc.pk])}"' in page
    assert f'<img src="{reverse("claims:document_inline", args=[png_doc.pk])}"' in page
    assert "要求补充材料" in page and "请补充催收记录" in page and "已补充" in page
    inline = client.get(reverse("claims:document_inline", args=[pdf_doc.pk]))
    assert inline["Content-Disposition"].startswith("inline")
    assert inline["Content-Type"] == "application/pdf"
    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    assert b"".join(inline.streaming_content) == PDF_BYTES


# --- The queue --------------------------------------------------------------------------------

def queue_numbers(client, **params):  # type: ignore[no-untyped-def]
    page = client.get(reverse("claims:review_queue"), params)
    assert page.status_code == 200
    return [c.number for c in page.context["listing"].page.object_list]


@pytest.mark.django_db
def test_queue_shows_open_claims_oldest_first_by_default(bank_a, officer_a, reviewer):
    young = make_claim(bank_a, officer_a, submitted=date(2026, 11, 18))
    old = make_claim(bank_a, officer_a, submitted=date(2026, 10, 9))
    # Submitted earlier but long paused: younger in review than ``middle``.
    paused = make_claim(bank_a, officer_a, submitted=date(2026, 11, 2))
    change(paused, officer_a, "submitted", "supplement", date(2026, 11, 3))
    change(paused, officer_a, "supplement", "submitted", date(2026, 11, 17))
    middle = make_claim(bank_a, officer_a, submitted=date(2026, 11, 9))
    rejected = make_claim(bank_a, officer_a, status="rejected")
    paid = make_claim(bank_a, officer_a, status="paid")
    client = client_for(reviewer)
    assert queue_numbers(client) == [old.number, middle.number, paused.number, young.number]
    everything = queue_numbers(client, status="all")
    assert rejected.number in everything and paid.number in everything
    assert queue_numbers(client, status="rejected") == [rejected.number]
    assert queue_numbers(client, sort="age")[0] == young.number


@pytest.mark.django_db
def test_queue_filters_by_bank_scheme_age_band_and_search(bank_a, bank_b, officer_a, officer_b,
                                                          reviewer):
    a_micro = make_claim(bank_a, officer_a, submitted=date(2026, 11, 17))  # 3 working days
    a_tech = make_claim(bank_a, officer_a, submitted=date(2026, 11, 10), scheme="TECH",
                        enterprise=EnterpriseFactory(name="亦庄星河机器人有限公司"))  # 8
    b_micro = make_claim(bank_b, officer_b, submitted=date(2026, 10, 9))  # > 10
    client = client_for(reviewer)
    assert set(queue_numbers(client, bank=bank_a.pk)) == {a_micro.number, a_tech.number}
    assert queue_numbers(client, scheme="TECH") == [a_tech.number]
    assert queue_numbers(client, age="le5") == [a_micro.number]
    assert queue_numbers(client, age="6to10") == [a_tech.number]
    assert queue_numbers(client, age="gt10") == [b_micro.number]
    assert queue_numbers(client, q="星河机器人") == [a_tech.number]
    assert queue_numbers(client, q=b_micro.number) == [b_micro.number]
    assert set(queue_numbers(client, q="乙银行")) == {b_micro.number}
    assert queue_numbers(client, bank=bank_b.pk, age="le5") == []


@pytest.mark.django_db
def test_queue_counts_states_and_marks_waiting_and_age(bank_a, officer_a, reviewer):
    make_claim(bank_a, officer_a, submitted=date(2026, 10, 9))
    waiting = make_claim(bank_a, officer_a)
    change(waiting, officer_a, "submitted", "supplement", date(2026, 11, 4))
    make_claim(bank_a, officer_a, status="rejected")
    page = client_for(reviewer).get(reverse("claims:review_queue"))
    counts = {v: n for v, _label, n, _open in page.context["status_counts"]}
    assert counts["submitted"] == 1 and counts["supplement"] == 1 and counts["rejected"] == 1
    assert page.context["open_count"] == 2
    html = page.content.decode()
    assert 'href="?status=supplement"' in html
    rows = {c.pk: c for c in page.context["listing"].page.object_list}
    assert str(rows[waiting.pk].waiting_label) == "银行"
    assert rows[waiting.pk].review_age == 2
    assert 'class="overdue"' in html  # the claim 30 working days in the custodian's hands


@pytest.mark.django_db
def test_queue_export_has_every_filtered_row_with_its_age(bank_a, officer_a, reviewer):
    make_claim(bank_a, officer_a, submitted=date(2026, 11, 17))
    make_claim(bank_a, officer_a, submitted=date(2026, 11, 2))
    response = client_for(reviewer).get(reverse("claims:review_queue"),
                                        {"export": "xlsx", "per_page": 25})
    sheet = openpyxl.load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][9] == "审核时长（工作日）"
    assert [r[9] for r in rows[1:]] == [14, 3]


@pytest.mark.django_db
def test_queue_ages_follow_the_day_and_each_change_of_the_claim(bank_a, officer_a, reviewer,
                                                                 monkeypatch):
    claim = make_claim(bank_a, officer_a, submitted=date(2026, 11, 16))  # Monday
    client = client_for(reviewer)

    def age():  # type: ignore[no-untyped-def]
        rows = client.get(reverse("claims:review_queue")).context["listing"].page.object_list
        return {c.pk: c.review_age for c in rows}[claim.pk]

    def today(day):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: (
            day if value is None else _real_localdate(value, timezone)))

    assert age() == 4  # the 17th to the 20th
    # Supplements requested today: the clock stops (the stored age is of the old status).
    change(claim, officer_a, "submitted", "supplement", TODAY)
    assert age() == 4
    assert ClaimReviewAge.objects.get(claim=claim).status == Claim.Status.SUPPLEMENT_REQUESTED
    today(date(2026, 11, 27))  # a week later, still waiting on the bank
    assert age() == 4
    change(claim, officer_a, "supplement", "submitted", date(2026, 11, 27))
    today(date(2026, 12, 1))  # answered on the 27th; the 30th and the 1st count again
    assert age() == 6
    assert ClaimReviewAge.objects.get(claim=claim).age == 6


@pytest.mark.django_db
def test_the_nightly_task_computes_every_age_before_the_first_reviewer_comes(
        bank_a, officer_a, reviewer, monkeypatch):
    from claims.review.selectors import review_ages_refresh
    from claims.tasks import refresh_review_ages
    from fund.selectors import policy_context

    open_claim = make_claim(bank_a, officer_a, submitted=date(2026, 11, 16))
    paused = make_claim(bank_a, officer_a, submitted=date(2026, 11, 2))
    change(paused, officer_a, "submitted", "supplement", date(2026, 11, 6))
    assert refresh_review_ages.delay().get() == 2
    assert {a.claim_id: a.age for a in ClaimReviewAge.objects.all()} == {
        open_claim.pk: 4, paused.pk: 4}
    # The reviewer's first request of the day finds nothing to compute.
    calendar = policy_context().calendar
    assert review_ages_refresh(Claim.objects.all(), today=TODAY, calendar=calendar) == 0
    rows = client_for(reviewer).get(reverse("claims:review_queue")).context["listing"]
    assert {c.pk: c.review_age for c in rows.page.object_list}[open_claim.pk] == 4
    # The next night, a day older.
    monkeypatch.setattr(timezone, "localdate", lambda value=None, timezone=None: (
        date(2026, 11, 23) if value is None else _real_localdate(value, timezone)))
    assert refresh_review_ages.delay().get() == 2
    assert ClaimReviewAge.objects.get(claim=open_claim).age == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the advisory lock is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_two_reviewers_opening_the_queue_at_once_compute_the_ages_once(
        bank_a, officer_a, monkeypatch):
    import threading
    import time

    from claims.review import selectors as review_selectors
    from claims.review.selectors import review_ages_refresh
    from fund.selectors import policy_context

    for day in (2, 9, 16):
        make_claim(bank_a, officer_a, submitted=date(2026, 11, day))
    calendar = policy_context().calendar
    slow_ages = review_selectors.queue_ages

    def slowly(*args, **kw):  # type: ignore[no-untyped-def]
        ages = slow_ages(*args, **kw)
        time.sleep(0.3)  # both requests have seen stale ages before either stores any
        return ages

    monkeypatch.setattr(review_selectors, "queue_ages", slowly)
    barrier = threading.Barrier(2)
    computed: list[int] = []

    def reviewer_request() -> None:
        try:
            barrier.wait()
            computed.append(review_ages_refresh(Claim.objects.all(), today=TODAY,
                                                calendar=calendar))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=reviewer_request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(computed) == [0, 3]
    assert ClaimReviewAge.objects.count() == 3


def _bulk_claims(n: int, bank, officer) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        claim = make_claim(bank, officer, submitted=date(2026, 10, 1) + timedelta(days=i % 40),
                           scheme="TECH" if i % 2 else "MICRO")
        if i % 3 == 0:
            change(claim, officer, "submitted", "supplement", date(2026, 11, 3))
            change(claim, officer, "supplement", "submitted", date(2026, 11, 6))


# Session, user, role; policy context (4); banks for the filter; count; clocks (2); suspensions;
# the page; state counts; and one for what other screens' context processors may read.
QUEUE_QUERIES = 16


@pytest.mark.django_db
@pytest.mark.parametrize("n", [10, 100])
def test_queue_queries_do_not_grow_with_the_number_of_claims(
        n, bank_a, officer_a, reviewer, django_assert_max_num_queries):
    other = BankFactory()
    SuspensionState.objects.create(bank=other, scheme="TECH", is_auto_suspended=True)
    _bulk_claims(n, bank_a, officer_a)
    client = client_for(reviewer)
    client.get(reverse("claims:review_queue"))  # session and caches warm
    with django_assert_max_num_queries(QUEUE_QUERIES):
        page = client.get(reverse("claims:review_queue"), {"per_page": 100})
    assert page.status_code == 200
    assert len(page.context["listing"].page.object_list) == n
    with django_assert_max_num_queries(QUEUE_QUERIES):
        client.get(reverse("claims:review_queue"), {"age": "gt10", "status": "all"})
    with django_assert_max_num_queries(QUEUE_QUERIES):
        client.get(reverse("claims:review_queue"), {"export": "xlsx"})


# --- Links ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_reviewers_find_the_queue_and_the_review_button(bank_a, officer_a, reviewer):
    claim = make_claim(bank_a, officer_a)
    client = client_for(reviewer)
    queue_url = reverse("claims:review_queue")
    home = client.get(reverse("home")).content.decode()
    assert f'href="{queue_url}"' in home and "待审队列" in home
    detail = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert reverse("claims:review", args=[claim.pk]) in detail
    officer_detail = client_for(officer_a).get(
        reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert reverse("claims:review", args=[claim.pk]) not in officer_detail
    assert queue_url not in client_for(officer_a).get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_queue_query_count_is_the_same_for_ten_and_a_hundred_claims(bank_a, officer_a, reviewer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(reviewer)
    url = reverse("claims:review_queue")
    counts = []
    for n in (10, 90):
        _bulk_claims(n, bank_a, officer_a)
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"per_page": 100}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_the_review_page_is_marked_in_the_nav_as_the_queue(bank_a, officer_a, reviewer):
    """/claims/<pk>/review/ starts like the claim list's address, yet belongs to the queue."""
    claim = make_claim(bank_a, officer_a)
    client = client_for(reviewer)
    for url, current in ((reverse("claims:review", args=[claim.pk]), "claims:review_queue"),
                         (reverse("claims:claim_detail", args=[claim.pk]), "claims:claim_list"),
                         (reverse("claims:review_queue"), "claims:review_queue")):
        page = client.get(url).content.decode()
        marked = [chunk.split('"')[0] for chunk in page.split('<a href="')[1:]
                  if chunk.split(">")[0].endswith('aria-current="page"')]
        assert marked == [reverse(current)], url


# --- The version the filing recorded -----------------------------------------------------------

def _under_12() -> dict[str, object]:
    from riskcomp.policy.params import MICRO_2025

    return {"recorded_version": MICRO_2025.version, "params": MICRO_2025}


def test_a_claim_consistent_with_its_recorded_version_has_no_contradiction():
    assert claim_contradictions(**facts(**_under_12())) == []


@pytest.mark.parametrize(("over", "expected"), [
    # 35 % is the successor's ratio, not one 12号 provides (30 %, 40 %).
    ({"ratio": Decimal("0.3500"), "filing_ratio": Decimal("0.3500"),
      "compensation": Decimal("280000.00"), "snapshot": {}}, "RATIO_NOT_IN_VERSION"),
    # Six months (a successor's window) instead of 12号's twelve.
    ({"deadline": date(2027, 10, 15)}, "DEADLINE_DIFFERS"),
    ({"recorded_version": "京技管发〔2026〕9号"}, "VERSION_UNKNOWN"),
])
def test_a_claim_contradicting_its_recorded_version_is_found(over, expected):  # type: ignore[no-untyped-def]
    found = claim_contradictions(**facts(**{**_under_12(), **over}))
    assert (expected, CONTRADICTION) in codes(found)
