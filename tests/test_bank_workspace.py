"""The bank officer's screens around a filing: the Excel export of the filing list, the claim
button on a non-performing loan, the filing's own record, and overdue returns on the home."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from claims.models import Claim
from loans.models import LoanFiling

from .conftest import client_for
from .factories import ClaimFactory, EnterpriseFactory, FilingFactory
from .test_claims_bank import classify, npl_filing, paid_claim


def _sheet(response):  # type: ignore[no-untyped-def]
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    ws = load_workbook(BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    return rows[0], rows[1:], ws


@pytest.mark.django_db
def test_filing_export_follows_the_filters_and_keeps_formulas_as_text(bank_a, bank_b, officer_a,
                                                                      officer_b):
    FilingFactory(bank=bank_a, filed_by=officer_a, scheme="MICRO", amount_cny=Decimal("1234.5"),
                  enterprise=EnterpriseFactory(name="=HYPERLINK(\"x\")"))
    FilingFactory(bank=bank_a, filed_by=officer_a, scheme="TECH", ratio=Decimal("0.50"))
    FilingFactory(bank=bank_b, filed_by=officer_b, scheme="MICRO")
    response = client_for(officer_a).get(reverse("loans:filing_list"),
                                         {"scheme": "MICRO", "export": "xlsx"})
    header, rows, ws = _sheet(response)
    assert "借据号" in header and "补偿比例" in header
    assert len(rows) == 1  # the other scheme and the other bank are not exported
    row = rows[0]
    assert Decimal(str(row[header.index("金额（元）")])) == Decimal("1234.50")
    name_cell = ws.cell(row=2, column=header.index("借款企业") + 1)
    assert name_cell.data_type == "s" and name_cell.value == "=HYPERLINK(\"x\")"


@pytest.mark.django_db
def test_claim_button_only_on_an_open_non_performing_loan_without_a_claim(bank_a, officer_a,
                                                                          reviewer):
    client = client_for(officer_a)
    performing = FilingFactory(bank=bank_a, filed_by=officer_a)
    classify(performing, officer_a, classification="normal")
    npl = npl_filing(bank_a, officer_a)
    claimed = npl_filing(bank_a, officer_a)
    ClaimFactory(filing=claimed)
    closed = npl_filing(bank_a, officer_a, status=LoanFiling.Status.CLOSED)
    claim_url = reverse("claims:claim_create", args=[npl.pk])

    def shows_button(filing: LoanFiling, user=officer_a) -> bool:  # type: ignore[no-untyped-def]
        page = client_for(user).get(reverse("loans:filing_detail", args=[filing.pk]))
        return reverse("claims:claim_create", args=[filing.pk]) in page.content.decode()

    assert shows_button(npl)
    assert not shows_button(performing)
    assert not shows_button(claimed)
    assert not shows_button(closed)
    assert not shows_button(npl, reviewer)  # the custodian does not claim for the bank
    assert client.get(claim_url).status_code == 200


@pytest.mark.django_db
def test_a_rejected_claim_does_not_hide_the_button(bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    ClaimFactory(filing=filing, status=Claim.Status.REJECTED)
    page = client_for(officer_a).get(reverse("loans:filing_detail", args=[filing.pk]))
    assert reverse("claims:claim_create", args=[filing.pk]) in page.content.decode()


@pytest.mark.django_db
def test_filing_page_shows_who_filed_it_and_its_classification_history(bank_a, officer_a):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a)
    classify(filing, officer_a, classification="normal", on=date(2026, 7, 1))
    classify(filing, officer_a, classification="substandard", on=date(2026, 10, 8))
    page = client_for(officer_a).get(reverse("loans:filing_detail", args=[filing.pk]))
    html = page.content.decode()
    assert "备案人" in html
    assert (officer_a.get_full_name() or officer_a.username) in html
    assert "2026-07-01" in html and "2026-10-08" in html


@pytest.mark.django_db
def test_home_lists_overdue_returns_in_red(bank_a, officer_a, reviewer):
    from claims import services

    claim = paid_claim(bank_a, officer_a, reviewer)
    services.recovery_report(claim=claim, recovered_on=date(2026, 10, 21),
                             amount=Decimal("100.00"), notified_on=date(2026, 10, 22),
                             actor=officer_a)  # return due 2026-11-05
    html = client_for(officer_a).get(reverse("home")).content.decode()
    assert "逾期的回收返还" in html and 'class="overdue"' in html
    assert claim.number in html


@pytest.mark.django_db
def test_home_without_overdue_returns_has_no_alert(bank_a, officer_a):
    html = client_for(officer_a).get(reverse("home")).content.decode()
    assert "逾期的回收返还" not in html


@pytest.mark.django_db
def test_filing_list_links_to_the_import_for_officers_only(bank_a, officer_a, reviewer):
    import_url = reverse("loans:import_list")
    assert import_url in client_for(officer_a).get(reverse("loans:filing_list")).content.decode()
    assert import_url not in client_for(reviewer).get(reverse("loans:filing_list")).content.decode()


def test_the_snapshot_reads_in_words_not_codes():
    from loans.views import snapshot_rows

    rows = dict(snapshot_rows({
        "enterprise": {"credit_code": "X", "kind": "company", "in_bda": True,
                       "qualifications": [{"type": "high_tech", "valid_from": "2025-01-01",
                                           "valid_to": "2027-12-31"}]},
        "loan": {"type": "credit", "fx_rate": None, "first_loan": False,
                 "amount": "10000000.00"},
        "verdicts": {"MICRO": {"eligible": False, "reasons": ["AMOUNT_CAP"], "ratio": None}},
        "ratio": "0.4000",
    }))
    assert rows["企业 · 主体类型"] == "企业法人" and rows["企业 · 在经开区经营"] == "是"
    assert rows["企业 · 资质1 · 资质类型"] == "国家高新技术企业"
    assert rows["贷款 · 贷款品种"] == "信用贷款" and rows["贷款 · 首笔贷款"] == "否"
    assert rows["贷款 · 折算汇率"] == "—" and rows["补偿比例"] == "40%"
    assert rows["贷款 · 贷款金额"] == "10,000,000.00"
    assert rows["政策判断 · 小微企业贷款风险补偿 · 不符合原因"] == "单户贷款金额超限"


@pytest.mark.django_db
def test_home_shows_how_far_over_a_threshold_as_a_positive_amount(bank_a, officer_a):
    from banks.models import SuspensionState

    SuspensionState.objects.create(
        bank=bank_a, scheme="MICRO", is_auto_suspended=True,
        filed_principal=Decimal("100000000.00"), claimed_principal=Decimal("4000000.00"),
        net_compensation=Decimal("5500000.00"))
    html = client_for(officer_a).get(reverse("home")).content.decode()
    assert "已超出 ¥500,000.00" in html  # 5,500,000 against the 5,000,000 threshold
    assert "已超出 ¥1,000,000.00" in html  # 4,000,000 claimed against 3% of 100,000,000
    assert "-¥" not in html
