"""The year-end transition of MICRO: the administrator creates the successor of 京技管发〔2025〕12号
(from 2027-01-01, a cap of ¥8,000,000, a ratio of 35 %, a six-month claim window and its own
articles). A loan drawn on 2026-12-20 and one drawn on 2027-01-05 are each filed, claimed,
reviewed, proposed, confirmed and paid through the real services, each under its own version,
and the H1-2027 report lists each under its own document number."""

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims import services
from claims.filing.selectors import claim_check
from claims.models import Claim
from claims.review.selectors import review_findings
from fund.models import CalendarDay, CalendarYear, LedgerEntry, LprRate, PolicyVersion
from fund.params_services import (
    lpr_record,
    policy_version_create,
    policy_version_delete,
    policy_version_update,
)
from fund.selectors import policy_context
from loans.services import FilingRequest, classification_report, filing_create
from reports.figures import report_data
from riskcomp.policy.reasons import Refusal
from riskcomp.policy.types import ReasonCode

from .factories import (
    AgreementFactory,
    BankFactory,
    FilingFactory,
    UserFactory,
    make_credit_code,
    officer_for,
)

OLD = "京技管发〔2025〕12号"
NEW = "京技管发〔2026〕9号"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCUMENTS = ("application", "contract_iou", "credit_report", "collection", "commitment")


@pytest.fixture
def clock(monkeypatch):  # type: ignore[no-untyped-def]
    """The portal's date, moved forward by the test (10:00 in Beijing on that day)."""
    state: dict[str, date] = {"today": date(2027, 1, 8)}

    def now() -> datetime:
        return datetime.combine(state["today"], time(10), tzinfo=SHANGHAI)

    def localdate(value: datetime | None = None, tz: Any = None) -> date:
        return state["today"] if value is None else value.astimezone(SHANGHAI).date()

    monkeypatch.setattr(timezone, "now", now)
    monkeypatch.setattr(timezone, "localdate", localdate)

    def set_today(day: date) -> None:
        state["today"] = day

    return set_today


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def year_2027(db):  # type: ignore[no-untyped-def]
    """2027's schedule as the administrator enters it (New Year's Day off; the rest of the
    year's holidays fall after the dates these loans need)."""
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕")


@pytest.fixture
def admin(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def successor_values(**over: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "version": NEW, "title": "北京经济技术开发区小微企业贷款风险补偿资金管理办法（2027年修订）",
        "valid_from": date(2027, 1, 1), "valid_to": date(2029, 12, 31),
        "amount_cap": Decimal("8000000.00"), "base_ratio": Decimal("0.35"),
        "raised_ratio": Decimal("0.45"), "claim_window_months": 6,
        "articles": {"AMOUNT_CAP": "第五条第（三）项", "CLAIM_LATE": "第十一条",
                     "OUTSIDE_VALIDITY": "第三十条"},
    }
    values.update(over)
    return values


def micro_2025() -> PolicyVersion:
    return PolicyVersion.objects.get(version=OLD)


def request(n: int, drawdown: date, amount: str) -> FilingRequest:
    return FilingRequest(
        credit_code=make_credit_code(900 + n), enterprise_name=f"北京亦庄承接{n}科技有限公司",
        kind="company", size="small", in_bda=True, micro_conduct_ok=True, tech_conduct_ok=True,
        tech_scope=False,
        iou_number=f"JJ-V{n:03d}", contract_number=f"HT-V{n:03d}", loan_type="credit",
        amount=Decimal(amount), currency="CNY", fx_rate=None, drawdown_date=drawdown,
        maturity_date=date(drawdown.year + 1, drawdown.month, drawdown.day),
        rate_percent=Decimal("3.6"), credit_report_outstanding=Decimal("1000000.00"),
        credit_report_date=drawdown, other_cover=False, first_loan=False)


def documents() -> dict[str, SimpleUploadedFile]:
    return {k: SimpleUploadedFile(f"{k}.pdf", PDF, content_type="application/pdf")
            for k in DOCUMENTS}


def table(data, key):  # type: ignore[no-untyped-def]
    return next(t for t in data.details if t.key == key)


@pytest.mark.django_db
def test_two_micro_versions_each_loan_filed_claimed_paid_and_reported_under_its_own(
        clock, year_2027, admin):
    bank = BankFactory(name="甲银行经开区支行", short_name="甲银行")
    AgreementFactory(bank=bank, scheme="MICRO")
    officer = officer_for(bank, "officer_v")
    reviewer = UserFactory(username="reviewer_v", role="custodian_reviewer")
    approver = UserFactory(username="approver_v", role="bureau_approver")
    LedgerEntry.objects.create(kind=LedgerEntry.Kind.CAPITAL, amount=Decimal("50000000.00"),
                               booked_on=date(2026, 1, 5), memo="财政拨入风险补偿资金")

    successor = policy_version_create(source=micro_2025(), values=successor_values(),
                                      actor=admin)
    # Everything not changed was copied from 12号.
    assert successor.scheme == "MICRO"
    assert successor.outstanding_cap == micro_2025().outstanding_cap
    assert successor.filing_deadline_workday == micro_2025().filing_deadline_workday

    # 2027-01-08: both loans filed on the portal's judgement of the day.
    ctx = policy_context()
    december = filing_create(bank=bank, actor=officer, ctx=ctx,
                             request=request(1, date(2026, 12, 20), "9000000.00"))
    assert (december.policy_version, december.ratio) == (OLD, Decimal("0.3000"))
    # ¥9,000,000 is within 12号's cap but above the successor's: refused citing its article.
    with pytest.raises(Refusal) as refused:
        filing_create(bank=bank, actor=officer, ctx=ctx,
                      request=request(2, date(2027, 1, 5), "9000000.00"))
    assert ReasonCode.AMOUNT_CAP in refused.value.codes
    assert f"（{NEW}第五条第（三）项）" in str(refused.value.message)
    january = filing_create(bank=bank, actor=officer, ctx=ctx,
                            request=request(3, date(2027, 1, 5), "7000000.00"))
    assert (january.policy_version, january.ratio) == (NEW, Decimal("0.3500"))

    # Both turn non-performing in February and are claimed on 2027-03-01.
    clock(date(2027, 2, 10))
    for filing in (december, january):
        classification_report(filing=filing, classification="substandard",
                              classified_on=date(2027, 2, 10), actor=officer)
    clock(date(2027, 3, 1))
    # The claim form states each loan's own claim window.
    from django.urls import reverse

    from .conftest import client_for

    officer_client = client_for(officer)
    for filing, months in ((december, 12), (january, 6)):
        page = officer_client.get(reverse("claims:claim_create", args=[filing.pk]))
        assert f"（合同到期日后{months}个月）" in page.content.decode()
    claims = {}
    for filing, base in ((december, "9000000.00"), (january, "7000000.00")):
        claims[filing.policy_version] = services.claim_submit(
            filing=filing, base=Decimal(base), documents=documents(), actor=officer)
    old_claim, new_claim = claims[OLD], claims[NEW]
    assert (old_claim.ratio, old_claim.compensation) == (Decimal("0.3000"),
                                                         Decimal("2700000.00"))
    assert (new_claim.ratio, new_claim.compensation) == (Decimal("0.3500"),
                                                         Decimal("2450000.00"))
    # Each claim window is its own version's: 12 months under 12号, 6 under the successor.
    assert old_claim.deadline == date(2028, 12, 20)
    assert new_claim.deadline == date(2028, 7, 5)
    # The review re-check reads the recorded version: nothing contradicts either claim.
    for claim in (old_claim, new_claim):
        check = claim_check(filing=claim.filing, on=date(2027, 3, 1), ctx=policy_context())
        assert check.params is not None and check.params.version == claim.filing.policy_version
        assert not [f for f in review_findings(claim, check) if f.level == "contradiction"]

    # Review, proposal, the bureau's confirmation and the payment.
    clock(date(2027, 3, 3))
    for claim in (old_claim, new_claim):
        services.claim_review_pass(claim=claim, actor=reviewer)
    proposal = services.proposal_create(claims=[old_claim, new_claim], scheme="MICRO",
                                        period="2027Q1", actor=reviewer)
    clock(date(2027, 3, 10))
    for n, claim in enumerate((old_claim, new_claim), start=1):
        services.claim_confirm(
            claim=claim, number=f"京经开财〔2027〕{n}号", date=date(2027, 3, 10),
            document=SimpleUploadedFile("c.pdf", PDF, content_type="application/pdf"),
            actor=approver)
    clock(date(2027, 3, 15))
    paid = {c.filing.policy_version: services.claim_pay(
        claim=c, paid_on=date(2027, 3, 15), reference=f"PAY-V{n}", actor=reviewer)
        for n, c in enumerate((old_claim, new_claim), start=1)}
    assert paid[OLD].amount == Decimal("2700000.00")
    assert paid[NEW].amount == Decimal("2450000.00")
    proposal.refresh_from_db()

    # The H1-2027 report lists each loan, claim and payment under its own document number.
    clock(date(2027, 7, 2))
    data = report_data("semiannual", "2027H1")
    filings = {r[0]: r for r in table(data, "filings_detail").rows}
    assert filings["JJ-V003"][4] == NEW
    claims_rows = {r[4]: r for r in table(data, "claims_detail").rows}
    assert claims_rows[OLD][7] == "30%" and claims_rows[OLD][8] == Decimal("2700000.00")
    assert claims_rows[NEW][7] == "35%" and claims_rows[NEW][8] == Decimal("2450000.00")
    payments = {r[6]: r[7] for r in table(data, "payments_detail").rows}
    assert payments == {OLD: Decimal("2700000.00"), NEW: Decimal("2450000.00")}
    # The 2026Q4 loan was filed in 2027 too: the listing names 12号 for it, not the successor.
    assert filings["JJ-V001"][4] == OLD
    assert Claim.objects.get(pk=old_claim.pk).status == Claim.Status.PAID

    # 12号 and its successor are now both in use: neither can be edited or deleted.
    for version in (micro_2025(), successor):
        with pytest.raises(ValidationError) as exc:
            policy_version_update(version=version, values={"base_ratio": Decimal("0.5")},
                                  actor=admin)
        assert "不能修改" in " ".join(exc.value.messages)
        with pytest.raises(ValidationError):
            policy_version_delete(version=version, actor=admin)
    assert PolicyVersion.objects.get(version=NEW).base_ratio == Decimal("0.3500")


@pytest.mark.django_db
def test_a_successor_overlapping_its_predecessor_is_refused_and_nothing_saved(admin):
    with pytest.raises(ValidationError) as exc:
        policy_version_create(source=micro_2025(), actor=admin,
                              values=successor_values(valid_from=date(2026, 12, 1)))
    assert OLD in " ".join(exc.value.message_dict["valid_from"])
    assert not PolicyVersion.objects.filter(version=NEW).exists()


@pytest.mark.django_db
def test_the_database_refuses_an_overlap_that_bypassed_validation():
    row = micro_2025()
    row.pk = None
    row.version = NEW
    row.valid_from = date(2026, 12, 1)
    row.valid_to = date(2029, 12, 31)
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()
    # Adjacent validity passes the same trigger.
    row.valid_from = date(2027, 1, 1)
    row.save()
    assert PolicyVersion.objects.filter(version=NEW).exists()


@pytest.mark.django_db
def test_the_database_refuses_a_ratio_of_three():
    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyVersion.objects.filter(version=OLD).update(base_ratio=Decimal("3.0"))


@pytest.mark.django_db
@pytest.mark.parametrize(("over", "field"), [
    ({"base_ratio": Decimal("3.0")}, "base_ratio"),
    ({"amount_cap": Decimal("0")}, "amount_cap"),
    ({"filing_deadline_workday": 0}, "filing_deadline_workday"),
    ({"valid_to": date(2026, 6, 30)}, "valid_to"),
    ({"rate_margin_percent": Decimal("-1")}, "rate_margin_percent"),
    ({"articles": {"AMOUNT_CAP": "Art. 5"}}, "articles"),
])
def test_a_successor_with_a_figure_out_of_bounds_is_refused_in_chinese(admin, over, field):
    with pytest.raises(ValidationError) as exc:
        policy_version_create(source=micro_2025(), actor=admin, values=successor_values(**over))
    assert field in exc.value.message_dict
    assert not PolicyVersion.objects.filter(version=NEW).exists()


@pytest.mark.django_db
def test_an_unused_version_may_be_corrected_and_deleted_and_both_are_audited(admin):
    successor = policy_version_create(source=micro_2025(), values=successor_values(),
                                      actor=admin)
    policy_version_update(version=successor, values={"base_ratio": Decimal("0.33")}, actor=admin)
    assert PolicyVersion.objects.get(pk=successor.pk).base_ratio == Decimal("0.3300")
    pk = successor.pk
    policy_version_delete(version=successor, actor=admin)
    entries = LogEntry.objects.filter(object_pk=str(pk)).order_by("timestamp", "pk")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE,
                                           LogEntry.Action.DELETE]
    assert all(e.actor == admin for e in entries)
    assert f"承接{OLD}" in entries[0].additional_data["reason"]


@pytest.mark.django_db
def test_a_drawdown_in_no_version_is_refused_in_words(clock, year_2027, admin):
    bank = BankFactory()
    AgreementFactory(bank=bank, scheme="MICRO")
    officer = officer_for(bank, "officer_w")
    with pytest.raises(Refusal) as refused:
        filing_create(bank=bank, actor=officer, ctx=policy_context(),
                      request=request(4, date(2027, 1, 5), "500000.00"))
    message = str(refused.value.message)
    assert "放款日2027-01-05不在小微企业贷款风险补偿任何政策版本的有效期内" in message
    assert OLD in message and "OUTSIDE_VALIDITY" not in message


# --- The LPR ----------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("one", "five", "field"), [
    ("29", "3.50", "one_year_percent"),
    ("3.00", "-1", "five_year_percent"),
])
def test_a_29_percent_one_year_or_a_negative_five_year_lpr_is_refused(clock, admin, one, five,
                                                                      field):
    with pytest.raises(ValidationError) as exc:
        lpr_record(published_on=date(2026, 12, 21), one_year_percent=Decimal(one),
                   five_year_percent=Decimal(five), actor=admin)
    assert field in exc.value.message_dict
    assert "%" in exc.value.message_dict[field][0]
    assert not LprRate.objects.filter(published_on=date(2026, 12, 21)).exists()


@pytest.mark.django_db
def test_the_database_refuses_an_lpr_out_of_bounds():
    with pytest.raises(IntegrityError), transaction.atomic():
        LprRate.objects.create(published_on=date(2026, 12, 21), one_year_percent=Decimal("29"),
                               five_year_percent=Decimal("3.5"))


@pytest.mark.django_db
def test_a_jump_above_one_point_is_saved_only_when_confirmed(clock, admin):
    kwargs = {"published_on": date(2026, 12, 21), "one_year_percent": Decimal("4.20"),
              "five_year_percent": Decimal("3.50"), "actor": admin}
    with pytest.raises(ValidationError) as exc:
        lpr_record(**kwargs)
    assert "jump_confirmed" in exc.value.message_dict
    assert not LprRate.objects.filter(published_on=date(2026, 12, 21)).exists()
    rate = lpr_record(jump_confirmed=True, **kwargs)
    entry = LogEntry.objects.get(object_pk=str(rate.pk), content_type__model="lprrate")
    assert entry.actor == admin and "已确认" in entry.additional_data["reason"]
    # The next loans are judged against it.
    assert max(policy_context().lpr, key=lambda r: r.published_on).one_year_percent == \
        Decimal("4.2000")


@pytest.mark.django_db
def test_an_lpr_in_the_future_or_entered_twice_is_refused(clock, admin):
    with pytest.raises(ValidationError):
        lpr_record(published_on=date(2027, 1, 20), one_year_percent=Decimal("3.0"),
                   five_year_percent=Decimal("3.5"), actor=admin)
    with pytest.raises(ValidationError):
        lpr_record(published_on=date(2025, 5, 20), one_year_percent=Decimal("3.0"),
                   five_year_percent=Decimal("3.5"), actor=admin)


@pytest.mark.django_db
def test_the_claim_check_reads_the_recorded_document_number_not_the_drawdown(admin):
    """Whatever version the drawdown date would choose today, the filing's record governs."""
    policy_version_create(source=micro_2025(), values=successor_values(), actor=admin)
    filing = FilingFactory(drawdown_date=date(2026, 12, 20), maturity_date=date(2027, 12, 20),
                           policy_version=NEW)
    check = claim_check(filing=filing, on=date(2028, 1, 5), ctx=policy_context())
    assert check.params is not None and check.params.version == NEW
    assert check.deadline == date(2028, 6, 20)  # the successor's six months, not 12号's twelve
