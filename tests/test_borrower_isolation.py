"""A bank's input changes only its own records: importing or filing another bank's borrower with
a new name, size or certificate leaves the shared enterprise row, the other bank's filings and
claims, the custodian's queue and the bureau's report as they were."""

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from loans.models import Enterprise, LoanFiling, Qualification
from reports.figures import report_data

from .conftest import client_for
from .factories import AgreementFactory, ClaimFactory, make_credit_code
from .test_import import row, workbook

TODAY = date(2026, 7, 10)
CODE = make_credit_code(101)
NAME_A = "北京亦庄芯测科技有限公司"
HOSTILE = '<b id="x">乙行改写的名称</b>'


@pytest.fixture(autouse=True)
def _today(monkeypatch, settings, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def two_banks(bank_a, bank_b):  # type: ignore[no-untyped-def]
    for bank in (bank_a, bank_b):
        AgreementFactory(bank=bank, scheme="MICRO")
        AgreementFactory(bank=bank, scheme="TECH")
    return bank_a, bank_b


def _import(client, content, upload, confirm):  # type: ignore[no-untyped-def]
    from loans.models import ImportBatch

    upload(client, content)
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == ImportBatch.Status.VALIDATED, batch.message
    confirm(client, batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.COMMITTED, batch.message
    return batch


@pytest.mark.django_db
def test_another_banks_import_leaves_the_shared_borrower_and_the_first_banks_records(
        two_banks, officer_a, officer_b, reviewer, upload, confirm):
    _import(client_for(officer_a), workbook([row(**{
        "资质1类型": "国家高新技术企业", "资质1证书编号": "GR2025001",
        "资质1有效期起": "2025-01-01", "资质1有效期止": "2027-12-31"})]), upload, confirm)
    filing_a = LoanFiling.objects.get(bank=two_banks[0])
    claim_a = ClaimFactory(filing=filing_a, created_by=officer_a)

    # Bank B files a loan to the same borrower, naming it otherwise, as micro, with a certificate.
    _import(client_for(officer_b), workbook([row(**{
        "企业名称": HOSTILE, "企业规模": "微型", "借据号": "JJ-B-1", "合同号": "HT-B-1",
        "资质1类型": "北京市专精特新中小企业", "资质1证书编号": "ZJTX-EVIL",
        "资质1有效期起": "2025-01-01", "资质1有效期止": "2027-12-31"})]), upload, confirm)

    enterprise = Enterprise.objects.get(credit_code=CODE)
    assert (enterprise.name, enterprise.size) == (NAME_A, "small")
    assert list(Qualification.objects.values_list("certificate_no", flat=True)) == ["GR2025001"]
    filing_b = LoanFiling.objects.get(bank=two_banks[1])
    assert filing_b.enterprise_id == enterprise.pk  # one borrower, two banks' own snapshots
    assert filing_b.enterprise_name == HOSTILE
    assert filing_b.snapshot["enterprise"]["size"] == "micro"
    filing_a.refresh_from_db()
    assert filing_a.enterprise_name == NAME_A

    # What bank A, the custodian's queue and claim, and the bureau's report show.
    pages = [
        client_for(officer_a).get(reverse("loans:filing_detail", args=[filing_a.pk])),
        client_for(officer_a).get(reverse("loans:filing_list")),
        client_for(reviewer).get(reverse("claims:review_queue")),
        client_for(reviewer).get(reverse("claims:claim_detail", args=[claim_a.pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        text = response.content.decode()
        assert NAME_A in text and "乙行改写的名称" not in text
    data = report_data("semiannual", "2026H2")
    filings_table = next(t for t in data.details if t.key == "filings_detail")
    names = {r[0]: r[1] for r in filings_table.rows}
    assert names[filing_a.iou_number] == NAME_A and names["JJ-B-1"] == HOSTILE

    # Bank B sees its own name, escaped, never markup.
    own = client_for(officer_b).get(reverse("loans:filing_detail", args=[filing_b.pk]))
    text = own.content.decode()
    assert "&lt;b id=&quot;x&quot;&gt;乙行改写的名称&lt;/b&gt;" in text and HOSTILE not in text


@pytest.mark.django_db
def test_the_filing_form_of_another_bank_leaves_the_shared_borrower(
        two_banks, officer_a, officer_b, upload, confirm):
    from .test_filing_form import post_data

    _import(client_for(officer_a), workbook([row()]), upload, confirm)
    response = client_for(officer_b).post(reverse("loans:filing_create"), post_data(
        credit_code=CODE, enterprise_name="乙行改写的名称", size="micro",
        iou_number="JJ-B-FORM", contract_number="HT-B-FORM"))
    assert response.status_code == 302
    assert Enterprise.objects.get(credit_code=CODE).name == NAME_A
    assert LoanFiling.objects.get(iou_number="JJ-B-FORM").enterprise_name == "乙行改写的名称"


@pytest.mark.django_db
def test_a_bank_updates_a_borrower_only_it_has_filed(two_banks, officer_a, upload, confirm):
    client = client_for(officer_a)
    _import(client, workbook([row()]), upload, confirm)
    _import(client, workbook([row(**{"企业名称": "北京亦庄芯测科技股份有限公司",
                                     "借据号": "JJ-0002", "合同号": "HT-0002"})]),
            upload, confirm)
    assert Enterprise.objects.get(credit_code=CODE).name == "北京亦庄芯测科技股份有限公司"
    # Each filing keeps the name it was filed under.
    assert dict(LoanFiling.objects.values_list("iou_number", "enterprise_name")) == {
        "JJ-0001": NAME_A, "JJ-0002": "北京亦庄芯测科技股份有限公司"}


@pytest.mark.django_db
def test_lookup_returns_each_bank_its_own_name_of_a_shared_borrower(
        two_banks, officer_a, officer_b, upload, confirm):
    _import(client_for(officer_a), workbook([row()]), upload, confirm)
    _import(client_for(officer_b), workbook([row(**{
        "企业名称": "乙行所称企业名称", "借据号": "JJ-B-1", "合同号": "HT-B-1"})]), upload, confirm)

    def lookup(user) -> str:  # type: ignore[no-untyped-def]
        return client_for(user).get(reverse("loans:enterprise_lookup"), {"credit_code": CODE},
                                    HTTP_HX_REQUEST="true").content.decode()

    assert NAME_A in lookup(officer_a) and "乙行所称企业名称" not in lookup(officer_a)
    assert "乙行所称企业名称" in lookup(officer_b) and NAME_A not in lookup(officer_b)


@pytest.mark.django_db
def test_the_migration_gives_existing_filings_their_enterprises_name(world):
    migration = importlib.import_module("loans.migrations.0008_filing_enterprise_name")
    LoanFiling.objects.update(enterprise_name="")
    migration.copy_names(apps, None)
    for filing in LoanFiling.objects.select_related("enterprise"):
        assert filing.enterprise_name == filing.enterprise.name != ""


@pytest.mark.django_db
def test_lookup_returns_each_bank_its_own_certificate_number(
        two_banks, officer_a, officer_b, upload, confirm):
    certificate = {"资质1类型": "国家高新技术企业", "资质1有效期起": "2025-01-01",
                   "资质1有效期止": "2027-12-31"}
    _import(client_for(officer_a), workbook([row(**certificate, **{"资质1证书编号": "GR-A-2025"})]),
            upload, confirm)
    _import(client_for(officer_b), workbook([row(**certificate, **{
        "资质1证书编号": "GR-B-2025", "借据号": "JJ-B-1", "合同号": "HT-B-1"})]), upload, confirm)
    page = client_for(officer_b).get(reverse("loans:enterprise_lookup"), {"credit_code": CODE},
                                     HTTP_HX_REQUEST="true").content.decode()
    assert "GR-B-2025" in page and "GR-A-2025" not in page
