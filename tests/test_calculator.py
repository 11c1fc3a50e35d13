"""The calculator screen (补偿测算): the engine's verdicts, ratio, compensation and deadlines."""

import pytest
from django.urls import reverse

from loans.models import Enterprise, LoanFiling
from riskcomp.labels import reason_label

from .conftest import client_for
from .factories import AgreementFactory, make_credit_code

URL = reverse("calculator")


def facts(**over):  # type: ignore[no-untyped-def]
    data = {
        "bank_schemes": ["MICRO", "TECH"], "credit_code": make_credit_code(1), "kind": "company",
        "size": "small", "in_bda": "on", "micro_conduct_ok": "on", "tech_conduct_ok": "on",
        "q1_type": "high_tech",
        "q1_from": "2024-01-01", "q1_to": "2027-12-31", "loan_type": "credit",
        "amount": "2000000.00", "currency": "CNY", "drawdown_date": "2026-05-10",
        "maturity_date": "2027-05-09", "rate_percent": "3.80",
        "bank_outstanding_to_enterprise": "0", "credit_report_outstanding": "5000000",
        "credit_report_date": "2026-05-06", "first_loan": "on", "filing_date": "2026-07-15",
        "npl_principal": "1234567.89",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


@pytest.mark.django_db
def test_micro_first_loan_of_qualified_enterprise(officer_a):
    page = client_for(officer_a).post(URL, facts()).content.decode()
    assert "适用政策" in page
    assert "40%" in page
    assert "¥493,827.16" in page
    assert reason_label("TECH_SCOPE") in page  # TECH refused because the scope is not attested
    assert "2026-07-21" in page  # filing deadline: 15th working day of 2026Q3
    assert "2028-05-09" in page  # claim deadline
    assert "按期" in page


@pytest.mark.django_db
def test_tech_first_on_overlap_and_every_failing_reason_listed(officer_a):
    page = client_for(officer_a).post(URL, facts(tech_scope="on")).content.decode()
    assert "50%" in page and "¥617,283.95" in page  # 1,234,567.89 × 50%, half-up
    refused = client_for(officer_a).post(URL, facts(
        in_bda=None, rate_percent="9.00", kind="individual")).content.decode()
    for code in ("NOT_IN_BDA", "RATE_CAP", "BORROWER_KIND"):
        assert reason_label(code) in refused and code not in refused
    assert "两项政策均不符合" in refused


@pytest.mark.django_db
def test_htmx_request_gets_only_the_result_panel(officer_a):
    response = client_for(officer_a).post(URL, facts(), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "测算结果" in html


@pytest.mark.django_db
def test_bad_credit_code_and_inconsistent_dates_are_explained(officer_a):
    code = make_credit_code(2)
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    page = client_for(officer_a).post(URL, facts(credit_code=wrong, maturity_date="2026-01-01",
                                                 currency="USD")).content.decode()
    assert "校验码" in page
    assert "合同到期日不能早于放款日期" in page
    assert "外币贷款须填写" in page


@pytest.mark.django_db
def test_unknown_holiday_year_is_said_not_guessed(officer_a):
    page = client_for(officer_a).post(URL, facts(drawdown_date="2026-11-10",
                                                 credit_report_date="2026-11-05",
                                                 filing_date="")).content.decode()
    # The Q4 filing deadline falls in 2027: said in words, never as the internal code.
    assert "待2027年节假日安排公布后确定" in page
    assert "CALENDAR_UNKNOWN" not in page


@pytest.mark.django_db
def test_calculator_saves_nothing(officer_a):
    client_for(officer_a).post(URL, facts())
    assert Enterprise.objects.count() == 0 and LoanFiling.objects.count() == 0


@pytest.mark.django_db
def test_officer_form_starts_with_the_banks_agreements(bank_a, officer_a):
    AgreementFactory(bank=bank_a, scheme="TECH", valid_from="2025-07-01", valid_to="2099-12-31")
    page = client_for(officer_a).get(URL).content.decode()
    assert 'value="TECH" id="id_bank_schemes_1" checked' in page
    assert 'value="MICRO" id="id_bank_schemes_0">' in page  # no MICRO agreement: unchecked


@pytest.mark.django_db
@pytest.mark.parametrize("fixture", ["approver", "auditor"])
def test_calculator_is_for_officers_and_reviewers(request, fixture):
    assert client_for(request.getfixturevalue(fixture)).get(URL).status_code == 403


@pytest.mark.django_db
def test_reviewer_may_use_the_calculator(reviewer):
    assert client_for(reviewer).get(URL).status_code == 200
