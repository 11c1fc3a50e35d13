"""The commit of a quarter's import takes the verdicts recorded at validation only when nothing
they depend on has changed since; anything that has (the filing date, the bank's filings or
agreements, the policy data) makes it judge every row again."""

import dataclasses
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from fund.models import LprRate
from fund.selectors import policy_context
from loans import import_services
from loans import services as loan_services
from loans.import_selectors import OK
from loans.importing import unpack_rows
from loans.models import ImportBatch, LoanFiling
from loans.services import FilingInputs, filing_inputs, inputs_digest
from riskcomp.policy.context import PolicyContext

from .conftest import client_for
from .factories import AgreementFactory, BranchFactory, FilingFactory
from .test_import import (  # noqa: F401 - _media and _today: the uploads' files and day
    TODAY,
    _media,
    _today,
    codes_of,
    preview_of,
    row,
    tech_row,
    workbook,
)

# Every judgement of a loan goes through decide_loan: counting its calls tells whether the
# commit judged the rows again.


@pytest.fixture
def judged(monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[str] = []
    real = loan_services.decide_loan

    def spy(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs["loan"].drawdown_date.isoformat())
        return real(**kwargs)

    monkeypatch.setattr(loan_services, "decide_loan", spy)
    return calls




def _rows() -> list[dict[str, object]]:
    # Two loans to one enterprise (the second's amount cap counts the first) and a TECH loan.
    return [row(), row(**{"借据号": "JJ-0003", "合同号": "HT-0003", "贷款金额": "2500000",
                          "首笔贷款": "否"}), tech_row()]


def _recorded_rows(batch: ImportBatch) -> int:
    return sum(len(unpack_rows(data)[1]) for data in
               batch.chunks.values_list("recorded", flat=True) if data is not None)


def _filed(bank) -> dict[str, dict[str, object]]:  # type: ignore[no-untyped-def]
    skip = {"id", "bank", "import_batch", "filed_by", "created_at", "updated_at"}
    return {f.iou_number: {k: v for k, v in f.__dict__.items()
                           if not k.startswith("_") and k.removesuffix("_id") not in skip}
            for f in LoanFiling.objects.filter(bank=bank)}


@pytest.mark.django_db
def test_unchanged_batch_is_committed_on_its_recorded_verdicts(
        both_schemes, bank_b, officer_a, officer_b, upload, confirm, judged, monkeypatch):
    client = client_for(officer_a)
    upload(client, workbook(_rows()))
    batch = ImportBatch.objects.get()
    assert len(judged) == 3 and _recorded_rows(batch) == 3
    confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED and batch.accepted_rows == 3
    assert len(judged) == 3  # not judged again
    assert _recorded_rows(batch) == 0  # used up: the snapshots keep them
    recorded = _filed(both_schemes)

    # The same file for another bank, its commit made to judge again: the very same filings.
    other = bank_b
    AgreementFactory(bank=other, scheme="MICRO")
    AgreementFactory(bank=other, scheme="TECH")
    monkeypatch.setattr(import_services._Recorded, "unpack", classmethod(lambda cls, data: None))
    client_b = client_for(officer_b)
    upload(client_b, workbook(_rows()))
    confirm(client_b, ImportBatch.objects.get(bank=other))
    assert len(judged) == 9  # judged at validation and again at commit
    assert _filed(other) == recorded
    assert recorded["JJ-0003"]["bank_outstanding_to_enterprise"] == Decimal("3000000.00")
    assert recorded["JJ-0003"]["snapshot"]["loan"]["bank_outstanding_to_enterprise"] == (
        "3000000.00")


def _validated(client, upload) -> ImportBatch:  # type: ignore[no-untyped-def]
    upload(client, workbook(_rows()))
    batch = ImportBatch.objects.get()
    assert batch.accepted_rows == 3
    return batch


@pytest.mark.django_db
def test_confirmed_after_the_filing_deadline_is_judged_again_and_late(
        both_schemes, officer_a, upload, confirm, judged, monkeypatch):
    client = client_for(officer_a)
    batch = _validated(client, upload)
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 7, 23))
    confirm(client, batch)
    batch.refresh_from_db()
    assert len(judged) == 6
    assert batch.accepted_rows == 0 and LoanFiling.objects.count() == 0
    assert all("FILING_LATE" in codes_of(e) for e in preview_of(batch).values())


@pytest.mark.django_db
def test_a_loan_filed_meanwhile_to_the_same_enterprise_counts_at_commit(
        both_schemes, officer_a, upload, confirm, judged):
    client = client_for(officer_a)
    batch = _validated(client, upload)
    earlier = FilingFactory(bank=both_schemes, drawdown_date=date(2026, 4, 1),
                            amount=Decimal("6000000.00"), outstanding_principal=Decimal(
                                "6000000.00"), enterprise__credit_code=row()["统一社会信用代码"])
    confirm(client, batch)
    batch.refresh_from_db()
    assert len(judged) == 6
    entries = {e[1]: e for e in preview_of(batch).values()}
    # 6m filed meanwhile + 3m is within the 10m cap; + 2.5m more is not.
    assert entries["JJ-0001"][import_services.OK] == 1
    assert "AMOUNT_CAP" in codes_of(entries["JJ-0003"])
    filed = LoanFiling.objects.exclude(pk=earlier.pk).get(iou_number="JJ-0001")
    assert filed.bank_outstanding_to_enterprise == Decimal("6000000.00")


@pytest.mark.django_db
def test_an_agreement_ended_meanwhile_is_judged_again(both_schemes, officer_a, upload, confirm,
                                                      judged):
    client = client_for(officer_a)
    batch = _validated(client, upload)
    both_schemes.agreements.filter(scheme="TECH").update(status="terminated")
    confirm(client, batch)
    batch.refresh_from_db()
    assert len(judged) == 6
    # The medium-sized tech enterprise's loan had only TECH; the others stay MICRO.
    assert dict(LoanFiling.objects.values_list("iou_number", "scheme")) == {
        "JJ-0001": "MICRO", "JJ-0003": "MICRO"}
    assert not preview_of(batch)[4][import_services.OK]


@pytest.mark.django_db
def test_new_policy_data_meanwhile_is_judged_again(both_schemes, officer_a, upload, confirm,
                                                   judged):
    client = client_for(officer_a)
    batch = _validated(client, upload)
    LprRate.objects.create(published_on=TODAY - timedelta(days=300),
                           one_year_percent=Decimal("1.0000"), five_year_percent=Decimal("1.5"))
    confirm(client, batch)
    assert len(judged) == 6


def _ctx() -> PolicyContext:
    return policy_context()


@pytest.mark.django_db
def test_the_digest_ignores_set_and_dict_order_and_sees_every_input(bank_a):
    from loans.services import FilingRequest

    def request(iou: str, code: str) -> FilingRequest:
        return FilingRequest(
            credit_code=code, enterprise_name="甲", kind="company", size="small", in_bda=True,
            micro_conduct_ok=True, tech_conduct_ok=True, tech_scope=False, iou_number=iou,
            contract_number="HT",
            loan_type="credit", amount=Decimal("1"), currency="CNY", fx_rate=None,
            drawdown_date=date(2026, 5, 1), maturity_date=date(2027, 5, 1),
            rate_percent=Decimal("3"), credit_report_outstanding=Decimal("0"),
            credit_report_date=date(2026, 5, 1), other_cover=False, first_loan=True)

    requests = [request("A", "C1"), request("B", "C2")]
    spans = (date(2026, 1, 1), date(2027, 1, 1))
    one = FilingInputs({"X", "Y", "Z"}, [("MICRO", *spans)],
                       {"C1": [(*spans, Decimal("5.00"))], "C2": [], "C9": [(*spans, Decimal(1))]})
    two = FilingInputs({"Z", "X", "Y"}, [("MICRO", *spans)],
                       {"C2": [], "C1": [(*spans, Decimal("5.00"))]})  # C9: no row asks for it
    ctx = _ctx()
    digest = inputs_digest(one, requests, ctx=ctx, filing_date=TODAY)
    assert digest == inputs_digest(two, requests, ctx=ctx, filing_date=TODAY)
    changed = [
        inputs_digest(one, requests[::-1], ctx=ctx, filing_date=TODAY),
        inputs_digest(one, requests, ctx=ctx, filing_date=TODAY + timedelta(days=1)),
        inputs_digest(one, requests, ctx=ctx, filing_date=TODAY, allow_late=True),
        inputs_digest(FilingInputs({"X"}, one.agreements, one.outstanding), requests, ctx=ctx,
                      filing_date=TODAY),
        inputs_digest(FilingInputs(one.existing_ious, [("TECH", *spans)], one.outstanding),
                      requests, ctx=ctx, filing_date=TODAY),
        inputs_digest(FilingInputs(one.existing_ious, one.agreements,
                                   {**one.outstanding, "C1": [(*spans, Decimal("6.00"))]}),
                      requests, ctx=ctx, filing_date=TODAY),
        inputs_digest(one, requests, ctx=PolicyContext(ctx.params[:-1], ctx.lpr, ctx.calendar),
                      filing_date=TODAY),
    ]
    assert digest not in changed and len(set(changed)) == len(changed)
    # Read from the database: the same inputs twice give the same digest.
    assert inputs_digest(filing_inputs(bank=bank_a, requests=requests), requests, ctx=ctx,
                         filing_date=TODAY) == inputs_digest(
        filing_inputs(bank=bank_a, requests=requests), requests, ctx=_ctx(), filing_date=TODAY)


def test_request_values_read_back_as_the_very_same_request_field_for_field():
    request = loan_services.FilingRequest(
        credit_code="91110302MA01A2B3C4", enterprise_name="北京亦庄测试企业有限公司",
        kind="company", size="small", in_bda=True, micro_conduct_ok=True, tech_conduct_ok=False,
        tech_scope=True, iou_number="JJ-0001", contract_number="HT-0001",
        loan_type="credit", amount=Decimal("1E+6"), currency="USD", fx_rate=Decimal("7.1234"),
        drawdown_date=date(2026, 7, 1), maturity_date=date(2027, 6, 30),
        rate_percent=Decimal("3.450"), credit_report_outstanding=Decimal("0.00"),
        credit_report_date=date(2026, 6, 20), other_cover=False, first_loan=True,
        bank_risk_share_percent=Decimal("30"), has_natural_person_guarantee=True,
        guarantee_institution="北京市融资担保有限公司", branch_id=7,
        qualifications=(loan_services.QualificationInput(
            type="high_tech", certificate_no="GR2025000001", valid_from=date(2025, 1, 1),
            valid_to=date(2027, 12, 31)),))
    back = loan_services.request_from_values(
        json.loads(json.dumps(loan_services.request_values(request))))
    assert back == request
    for name in request.__dataclass_fields__:  # every value of its own type, exponent and all
        assert type(getattr(back, name)) is type(getattr(request, name)), name
        assert str(getattr(back, name)) == str(getattr(request, name)), name
    none = dataclasses.replace(request, fx_rate=None, bank_risk_share_percent=None,
                               branch_id=None, qualifications=())
    assert loan_services.request_from_values(loan_services.request_values(none)) == none


@pytest.mark.django_db
def test_the_commit_takes_the_recorded_rows_without_reading_their_cells_again(
        both_schemes, officer_a, upload, confirm, monkeypatch):
    cleaned = []
    real = import_services.filing_rows

    def spy(rows, **kwargs):  # type: ignore[no-untyped-def]
        cleaned.append(len(rows))
        return real(rows, **kwargs)

    monkeypatch.setattr(import_services, "filing_rows", spy)
    client = client_for(officer_a)
    batch = _validated(client, upload)
    assert cleaned == [3]
    confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED and batch.accepted_rows == 3
    assert cleaned == [3]


@pytest.mark.django_db
def test_a_branch_deleted_before_the_commit_refuses_its_rows_with_the_reason(
        both_schemes, officer_a, upload, confirm):
    branch = BranchFactory(bank=both_schemes, code="BR-09")
    client = client_for(officer_a)
    upload(client, workbook([row(**{"经办支行编码": "BR-09"}), tech_row()]))
    batch = ImportBatch.objects.get()
    assert batch.accepted_rows == 2
    branch.delete()
    confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED
    assert batch.accepted_rows == 1 and LoanFiling.objects.count() == 1
    refused = [e for e in import_services.import_batch_preview(batch) if not e[OK]]
    assert len(refused) == 1 and "BR-09" in json.dumps(refused, ensure_ascii=False)
