"""Filing one loan at a time: live verdicts, find-or-create the enterprise, the frozen snapshot,
refusals with reason codes, and the classification history."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from loans.models import ClassificationReport, Enterprise, LoanFiling
from riskcomp.labels import reason_label

from .conftest import client_for
from .factories import AgreementFactory, EnterpriseFactory, FilingFactory, make_credit_code

TODAY = date(2026, 7, 10)




@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


def post_data(**over):  # type: ignore[no-untyped-def]
    data = {
        "credit_code": make_credit_code(101), "enterprise_name": "北京亦庄芯测科技有限公司",
        "kind": "company", "size": "small", "in_bda": "on", "micro_conduct_ok": "on",
        "tech_conduct_ok": "on",
        "iou_number": "JJ-0001", "contract_number": "HT-0001", "loan_type": "credit",
        "amount": "3000000.00", "currency": "CNY", "drawdown_date": "2026-05-12",
        "maturity_date": "2027-05-11", "rate_percent": "3.6",
        "credit_report_outstanding": "1000000", "credit_report_date": "2026-05-08",
        "first_loan": "on",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_preview_shows_the_verdict_and_saves_nothing(both_schemes, officer_a):
    page = client_for(officer_a).post(reverse("loans:filing_preview"), post_data(),
                                      HTTP_HX_REQUEST="true").content.decode()
    assert "可以备案" in page and "40%" in page  # MICRO, first loan raise
    assert "2026-07-21" in page  # 15th working day of 2026Q3
    assert LoanFiling.objects.count() == 0 and Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_filing_creates_enterprise_and_freezes_snapshot(both_schemes, officer_a):
    response = client_for(officer_a).post(reverse("loans:filing_create"), post_data())
    filing = LoanFiling.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("loans:filing_detail", args=[filing.pk])
    assert filing.scheme == "MICRO" and filing.ratio == Decimal("0.4000")
    assert filing.quarter == "2026Q2" and filing.filed_on == TODAY
    assert filing.snapshot["enterprise"]["size"] == "small"
    assert filing.snapshot["verdicts"]["TECH"]["reasons"] == ["TECH_SCOPE"]
    assert filing.enterprise.name == "北京亦庄芯测科技有限公司"
    # Later edits to the enterprise do not change the filing's decision.
    Enterprise.objects.filter(pk=filing.enterprise_id).update(size="medium")
    filing.refresh_from_db()
    assert filing.scheme == "MICRO" and filing.snapshot["enterprise"]["size"] == "small"


@pytest.mark.django_db
def test_existing_enterprise_is_found_by_credit_code(both_schemes, officer_a):
    ent = EnterpriseFactory(name="北京亦庄老客户有限公司", size="medium", is_tech_scope=True)
    FilingFactory(bank=both_schemes, enterprise=ent, filed_by=officer_a)
    page = client_for(officer_a).get(reverse("loans:enterprise_lookup"),
                                     {"credit_code": ent.credit_code.lower()}).content.decode()
    assert "已找到企业" in page and "北京亦庄老客户有限公司" in page
    assert 'value="medium" selected' in page
    client_for(officer_a).post(reverse("loans:filing_create"), post_data(
        credit_code=ent.credit_code, enterprise_name=ent.name, size="medium", tech_scope="on"))
    assert Enterprise.objects.count() == 1
    assert LoanFiling.objects.latest("pk").scheme == "TECH"  # a medium tech enterprise: 50%


@pytest.mark.django_db
@pytest.mark.parametrize(("over", "code"), [
    ({"in_bda": None}, "NOT_IN_BDA"),
    ({"rate_percent": "4.51"}, "RATE_CAP"),
    ({"credit_report_date": "2026-06-30"}, "CREDIT_REPORT_DATE"),
    ({"amount": "10000000.01", "credit_report_outstanding": "0"}, "AMOUNT_CAP"),
    ({"drawdown_date": "2026-03-20", "credit_report_date": "2026-03-18"}, "FILING_LATE"),
    ({"other_cover": "on"}, "OTHER_COVER"),
])
def test_refused_filing_names_its_reasons_and_writes_nothing(both_schemes, officer_a, over, code):
    page = client_for(officer_a).post(reverse("loans:filing_create"),
                                      post_data(**over)).content.decode()
    assert "不予备案" in page and reason_label(code) in page and code not in page
    assert LoanFiling.objects.count() == 0 and Enterprise.objects.count() == 0


@pytest.mark.django_db
def test_same_iou_twice_is_duplicate(both_schemes, officer_a):
    client = client_for(officer_a)
    client.post(reverse("loans:filing_create"), post_data())
    page = client.post(reverse("loans:filing_create"), post_data()).content.decode()
    assert reason_label("DUPLICATE") in page
    assert LoanFiling.objects.count() == 1


@pytest.mark.django_db
def test_amount_cap_counts_the_banks_outstanding_filings_to_the_enterprise(both_schemes,
                                                                           officer_a):
    ent = EnterpriseFactory(credit_code=make_credit_code(101))
    FilingFactory(bank=both_schemes, enterprise=ent, filed_by=officer_a,
                  amount=Decimal("8000000.00"), drawdown_date=date(2026, 1, 10),
                  maturity_date=date(2027, 1, 9))
    page = client_for(officer_a).post(reverse("loans:filing_create"), post_data(
        amount="2000000.01")).content.decode()
    assert reason_label("AMOUNT_CAP") in page  # 8,000,000.00 + 2,000,000.01 > 10,000,000.00
    client_for(officer_a).post(reverse("loans:filing_create"), post_data(amount="2000000.00"))
    assert LoanFiling.objects.filter(iou_number="JJ-0001").get().bank_outstanding_to_enterprise \
        == Decimal("8000000.00")


@pytest.mark.django_db
def test_bad_credit_code_is_a_form_error(both_schemes, officer_a):
    code = make_credit_code(5)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    page = client_for(officer_a).post(reverse("loans:filing_create"),
                                      post_data(credit_code=wrong)).content.decode()
    assert "校验码" in page
    assert LoanFiling.objects.count() == 0


@pytest.mark.django_db
def test_only_officers_file(reviewer, auditor):
    for user in (reviewer, auditor):
        assert client_for(user).get(reverse("loans:filing_create")).status_code == 403


@pytest.mark.django_db
def test_classification_history_is_kept(officer_a, bank_a):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, drawdown_date=date(2026, 1, 5))
    client = client_for(officer_a)
    url = reverse("loans:classification_create", args=[filing.pk])
    client.post(url, {"classification": "special_mention", "classified_on": "2026-05-31"})
    client.post(url, {"classification": "substandard", "classified_on": "2026-06-30"})
    assert list(ClassificationReport.objects.filter(filing=filing).values_list(
        "classification", flat=True)) == ["substandard", "special_mention"]
    page = client.get(reverse("loans:filing_detail", args=[filing.pk])).content.decode()
    assert "次级" in page and "关注" in page


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["2025-12-31", (TODAY + timedelta(days=1)).isoformat()])
def test_classification_dated_before_drawdown_or_in_future_is_refused(officer_a, bank_a, day):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a, drawdown_date=date(2026, 1, 5))
    response = client_for(officer_a).post(
        reverse("loans:classification_create", args=[filing.pk]),
        {"classification": "loss", "classified_on": day}, follow=True)
    assert ClassificationReport.objects.count() == 0
    assert "分类日期不能" in response.content.decode()


@pytest.mark.django_db
def test_classification_on_another_banks_filing_is_404(officer_b, bank_a, officer_a):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a)
    response = client_for(officer_b).post(
        reverse("loans:classification_create", args=[filing.pk]),
        {"classification": "loss", "classified_on": "2026-06-30"})
    assert response.status_code == 404
    assert ClassificationReport.objects.count() == 0


# --- Each scheme's own conduct attestation (MICRO Art. 5(2); TECH Art. 2, 6(2)) ---------------

@pytest.mark.django_db
def test_the_form_has_one_unticked_attestation_per_scheme_with_its_conditions(both_schemes,
                                                                               officer_a):
    page = client_for(officer_a).get(reverse("loans:filing_create")).content.decode()
    for name in ("micro_conduct_ok", "tech_conduct_ok"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert box is not None and 'type="checkbox"' in box.group(0)
        assert "checked" not in box.group(0)
    assert 'name="conduct_ok"' not in page
    assert "符合小微政策信用合规条件" in page and "符合科创政策信用合规条件" in page
    assert "刑事犯罪记录" in page and "严重违法失信主体名单" in page  # MICRO Art. 5(2)
    assert "经营异常名录" in page and "偷税漏税" in page  # TECH Art. 2, 6(2)


@pytest.mark.django_db
def test_looking_up_a_known_enterprise_does_not_tick_the_attestations(both_schemes, officer_a):
    ent = EnterpriseFactory(is_micro_conduct_ok=True, is_tech_conduct_ok=True)
    FilingFactory(bank=both_schemes, enterprise=ent, filed_by=officer_a)
    page = client_for(officer_a).get(reverse("loans:enterprise_lookup"),
                                     {"credit_code": ent.credit_code}).content.decode()
    assert "已找到企业" in page
    for name in ("micro_conduct_ok", "tech_conduct_ok"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert box is not None and "checked" not in box.group(0)


@pytest.mark.django_db
@pytest.mark.parametrize(("micro", "tech", "scheme", "refused"), [
    ("on", None, "MICRO", "TECH"),  # on the abnormal-operations list, no penalty
    (None, "on", "TECH", "MICRO"),  # a major administrative penalty, on no TECH list
])
def test_each_scheme_is_judged_on_its_own_attestation(both_schemes, officer_a, micro, tech,
                                                      scheme, refused):
    data = post_data(tech_scope="on", micro_conduct_ok=micro, tech_conduct_ok=tech)
    client = client_for(officer_a)
    client.post(reverse("loans:filing_create"), data)
    filing = LoanFiling.objects.select_related("enterprise").get()
    detail = client.get(reverse("loans:filing_detail", args=[filing.pk])).content.decode()
    assert "符合小微政策信用合规条件" in detail and "符合科创政策信用合规条件" in detail
    assert filing.scheme == scheme
    assert filing.snapshot["verdicts"][refused]["reasons"] == ["CONDUCT"]
    assert filing.snapshot["enterprise"]["micro_conduct_ok"] is (micro == "on")
    assert filing.snapshot["enterprise"]["tech_conduct_ok"] is (tech == "on")
    assert filing.enterprise.is_micro_conduct_ok is (micro == "on")
    assert filing.enterprise.is_tech_conduct_ok is (tech == "on")


@pytest.mark.django_db
def test_no_attestation_at_all_refuses_with_conduct_for_each_scheme(both_schemes, officer_a):
    page = client_for(officer_a).post(reverse("loans:filing_create"), post_data(
        tech_scope="on", micro_conduct_ok=None, tech_conduct_ok=None)).content.decode()
    assert "不予备案" in page
    assert "京技管发〔2025〕12号第五条" in page and "京技管发〔2025〕13号第二条、第六条" in page
    assert LoanFiling.objects.count() == 0


# --- Agreements: the same reasons, per scheme, after submit as in the live check ---------------

def scheme_verdicts(page: str) -> dict[str, list[str]]:
    """The verdict panel's per-scheme blocks: scheme label -> its reasons as shown."""
    found = {}
    for block in re.findall(r'<div class="verdict [^"]*small">(.*?)</div>', page, re.S):
        heading = re.search(r"<h3>(.*?)</h3>", block, re.S)
        assert heading is not None, block
        label = re.sub(r"<[^>]+>", "", heading.group(1))
        found[label.split()[0]] = [re.sub(r"<[^>]+>|\s+", " ", li).strip()
                                   for li in re.findall(r"<li>(.*?)</li>", block, re.S)]
    return found


@pytest.fixture(params=["expired", "terminated"])
def micro_ended(request, bank_a):  # type: ignore[no-untyped-def]
    """A bank whose MICRO agreement has ended before the drawdown; its TECH one holds."""
    AgreementFactory(bank=bank_a, scheme="TECH")
    if request.param == "expired":
        AgreementFactory(bank=bank_a, scheme="MICRO", valid_to=date(2026, 3, 31))
    else:
        AgreementFactory(bank=bank_a, scheme="MICRO", status="terminated")
    return bank_a


@pytest.mark.django_db
def test_an_ended_micro_agreement_is_refused_with_no_agreement_after_submit(micro_ended,
                                                                            officer_a):
    client = client_for(officer_a)
    data = post_data()  # a small firm outside the tech scope: only MICRO could take it
    live = client.post(reverse("loans:filing_preview"), data,
                       HTTP_HX_REQUEST="true").content.decode()
    submitted = client.post(reverse("loans:filing_create"), data).content.decode()
    assert LoanFiling.objects.count() == 0
    summary = submitted[submitted.index("不予备案："):submitted.index('<div class="calc">')]
    assert reason_label("NO_AGREEMENT") in summary and "京技管发〔2025〕12号第二条" in summary
    assert reason_label("TECH_SCOPE") in summary
    after = scheme_verdicts(submitted)
    assert after == scheme_verdicts(live)
    assert ([r.split("：")[0].strip() for r in after["小微企业贷款风险补偿"]]
            == [reason_label("NO_AGREEMENT")])
    assert ([r.split("：")[0].strip() for r in after["科技创新类中小企业贷款风险补偿"]]
            == [reason_label("TECH_SCOPE")])


@pytest.mark.django_db
@pytest.mark.parametrize("over", [
    {},  # MICRO: no agreement; TECH: outside the tech scope
    {"tech_scope": "on", "size": "medium", "rate_percent": "4.51"},  # only TECH's own reasons
    {"tech_scope": "on", "micro_conduct_ok": None, "tech_conduct_ok": None,
     "in_bda": None},  # several reasons in each scheme
])
def test_reasons_after_submit_are_the_live_checks_scheme_by_scheme(micro_ended, officer_a,
                                                                    over):
    client = client_for(officer_a)
    data = post_data(**over)
    live = scheme_verdicts(client.post(reverse("loans:filing_preview"), data,
                                       HTTP_HX_REQUEST="true").content.decode())
    after = scheme_verdicts(client.post(reverse("loans:filing_create"), data).content.decode())
    assert len(live) == 2 and all(live.values())
    assert after == live
    assert LoanFiling.objects.count() == 0


# --- A database error is not a duplicate --------------------------------------------------------

@pytest.mark.django_db
def test_the_ious_unique_constraint_at_insert_is_a_duplicate(both_schemes, officer_a,
                                                            monkeypatch):
    from loans import services

    client = client_for(officer_a)
    client.post(reverse("loans:filing_create"), post_data())
    # Another filing of the same IOU won the race: judged before it was written, inserted after.
    real = services.filing_inputs

    def before_the_other(**kwargs):  # type: ignore[no-untyped-def]
        inputs = real(**kwargs)
        inputs.existing_ious.clear()
        return inputs

    monkeypatch.setattr(services, "filing_inputs", before_the_other)
    page = client.post(reverse("loans:filing_create"), post_data()).content.decode()
    assert reason_label("DUPLICATE") in page and "同一借据已经备案" in page
    assert LoanFiling.objects.count() == 1


@pytest.mark.django_db
def test_another_constraint_violated_at_insert_is_an_error_not_a_duplicate(both_schemes,
                                                                           officer_a,
                                                                           monkeypatch, caplog):
    from loans import services

    real = services._filing_row

    def out_of_range(*args, **kwargs):  # type: ignore[no-untyped-def]
        row = real(*args, **kwargs)
        row.ratio = Decimal("1.5")  # breaks filing_ratio_in_range, a check of the database
        return row

    monkeypatch.setattr(services, "_filing_row", out_of_range)
    with caplog.at_level("ERROR", logger="loans.services"):
        response = client_for(officer_a).post(reverse("loans:filing_create"), post_data())
    page = response.content.decode()
    assert response.status_code == 200
    assert "数据完整性错误" in page and "并非重复备案" in page
    assert "<strong>重复</strong>" not in page and "同一借据已经备案" not in page
    assert LoanFiling.objects.count() == 0 and Enterprise.objects.count() == 0
    logged = [r for r in caplog.records if r.name == "loans.services"]
    assert logged and "filing_ratio_in_range" in logged[0].getMessage()
