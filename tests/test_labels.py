"""Codes read as an official reads them: 小微/科创, 2026年第四季度, the reason's sentence, 王丽娜;
the audit trail as a record; a suspended bank's officers told since when, why and what they may
still do."""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from banks.services import suspension_manual_lift, suspension_manual_set
from claims.proposal.services import proposal_number_stem
from riskcomp import labels
from riskcomp.audit import audit_context, audit_entries_for
from riskcomp.templatetags.portal import cny

from .conftest import client_for
from .factories import BankFactory, FilingFactory, UserFactory, officer_for
from .test_no_raw_codes import _Text, raw_codes


@pytest.mark.parametrize(("code", "shown"), [
    ("MICRO", "小微"), ("TECH", "科创"), ("", ""), (None, ""), ("OTHER", "OTHER")])
def test_scheme_codes_read_as_the_policies_short_names(code, shown):
    assert labels.scheme_short(code) == shown


@pytest.mark.parametrize(("value", "shown"), [
    ("2026Q4", "2026年第四季度"), ("2025Q1", "2025年第一季度"), ((2026, 3), "2026年第三季度"),
    ("2025H2", "2025年下半年"), ("2026H1", "2026年上半年"), ("", ""), ("2026-Q4", "2026-Q4")])
def test_quarters_and_halves_read_in_chinese(value, shown):
    assert labels.quarter_label(value) == shown


def test_quarters_in_english_keep_the_number():
    with translation.override("en"):
        assert labels.quarter_label("2026Q4") == "Q4 2026"


def test_reason_codes_read_as_their_sentence():
    assert labels.reason_label("OUTSTANDING_CAP") == "征信未结清贷款余额超限"
    assert "CALENDAR_UNKNOWN" not in labels.reason_label("CALENDAR_UNKNOWN")
    assert "节假日安排尚未录入" in labels.reason_label("CALENDAR_UNKNOWN")
    assert labels.reason_label("") == ""


def test_identifiers_and_free_text_with_codes_read_in_chinese():
    assert labels.readable("CSYJ-MICRO-2026Q3") == "CSYJ-小微-2026年第三季度"
    assert labels.readable("工商银行经开区支行 TECH") == "工商银行经开区支行 科创"
    assert labels.readable("半年度报告 2026H1 v1") == "半年度报告 2026年上半年 v1"
    # Words that merely contain the letters are left alone.
    assert labels.readable("MICROSOFT TECHNOLOGY") == "MICROSOFT TECHNOLOGY"


def test_new_proposal_numbers_are_chinese_whatever_the_readers_language():
    with translation.override("en"):
        assert proposal_number_stem("TECH", "2026Q4") == "初审-科创-2026年第四季度"
    assert proposal_number_stem("MICRO", "2025Q1") == "初审-小微-2025年第一季度"


@pytest.mark.django_db
@pytest.mark.parametrize(("first", "last", "shown"), [
    ("丽娜", "王", "王丽娜"), ("伟", "张", "张伟"), ("Anna", "Smith", "Anna Smith"), ("", "", "")])
def test_names_put_the_family_name_first(first, last, shown):
    user = UserFactory(first_name=first, last_name=last)
    assert user.get_full_name() == shown
    assert labels.person_name(user) == shown


@pytest.mark.django_db
def test_the_header_and_the_records_name_people_family_name_first(bank_a):
    officer = officer_for(bank_a, "wang")
    officer.first_name, officer.last_name = "丽娜", "王"
    officer.save()
    filing = FilingFactory(bank=bank_a, filed_by=officer)
    html = client_for(officer).get(reverse("loans:filing_detail", args=[filing.pk])).content
    text = html.decode()
    assert "王丽娜" in text and "丽娜 王" not in text


@pytest.mark.django_db
def test_the_trail_shows_amounts_in_yuan_and_record_names_without_codes(reviewer, bank_a,
                                                                       officer_a):
    with audit_context(actor=officer_a):
        filing = FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("1234567.89"),
                               amount_cny=Decimal("1234567.89"))
    with audit_context(actor=reviewer):
        suspension_manual_set(bank=bank_a, scheme="TECH", reason="追偿不力", actor=reviewer)
    rows, _ = audit_entries_for(filing)
    changes = {c.label: c.new for r in rows for c in r.changes}
    assert cny(Decimal("1234567.89")) in changes.values(), changes
    page = client_for(reviewer).get(reverse("banks:bank_detail", args=[bank_a.pk])).content
    parser = _Text()
    parser.feed(page.decode())
    text = " ".join(parser.text)
    assert "科创" in text and "追偿不力" in text
    assert raw_codes(text) == []


@pytest.mark.django_db
@override_settings(TIME_ZONE="Asia/Shanghai")
def test_a_suspended_banks_officer_is_told_since_when_why_and_what_they_may_do(reviewer):
    bank = BankFactory(short_name="丙银行")
    officer = officer_for(bank)
    other = officer_for(BankFactory(short_name="丁银行"))
    change = suspension_manual_set(bank=bank, scheme="TECH", reason="追偿工作不力，法院驳回起诉",
                                   actor=reviewer)
    for url in (reverse("home"), reverse("loans:filing_list")):
        text = client_for(officer).get(url).content.decode()
        assert "丙银行在“科技创新类中小企业贷款风险补偿”政策下已暂停办理风险补偿业务" in text
        since = timezone.localtime(change.changed_at).strftime("%Y-%m-%d %H:%M")
        assert since in text and "北京时间" in text
        assert "追偿工作不力，法院驳回起诉" in text
        assert "备案贷款、报送五级分类" in text and "新的补偿申报不予受理" in text
        assert "由托管机构核实后解除暂停" in text
    assert "已暂停办理" not in client_for(other).get(reverse("home")).content.decode()
    assert "已暂停办理" not in client_for(reviewer).get(reverse("home")).content.decode()
    suspension_manual_lift(bank=bank, scheme="TECH", reason="已整改", actor=reviewer)
    assert "已暂停办理" not in client_for(officer).get(reverse("home")).content.decode()


@pytest.mark.django_db
def test_a_policy_versions_lists_read_as_labels_on_screen_not_json(admin_user_):
    from fund.models import PolicyVersion

    version = PolicyVersion.objects.filter(scheme="MICRO").first()
    with audit_context(actor=admin_user_):
        version.allowed_sizes = ["medium", "small"]
        version.save()
    rows, _ = audit_entries_for(version)
    shown = [c.new for r in rows for c in r.changes]
    assert "中型、小型" in shown, shown
    assert not any("[" in v or '"' in v for v in shown), shown


@pytest.mark.django_db
def test_the_audit_export_keeps_the_stored_json_that_the_screen_reads_in_words(auditor, reviewer,
                                                                              bank_a):
    import io
    import json

    import openpyxl

    with audit_context(actor=reviewer):
        suspension_manual_set(bank=bank_a, scheme="TECH", reason="追偿不力", actor=reviewer)
    screen = client_for(auditor).get(reverse("audit:search")).content.decode()
    assert "追偿不力" in screen and '"is_manually_suspended"' not in screen
    response = client_for(auditor).get(reverse("audit:search"), {"export": "xlsx"})
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(
        values_only=True))
    assert rows[0][-1] == "原始变更记录（JSON）"
    stored = [json.loads(r[-1]) for r in rows[1:]]
    assert any(s.get("is_manually_suspended") == ["False", "True"] for s in stored), stored


def test_an_uploaded_files_type_is_named_in_words_not_by_its_mime_type() -> None:
    assert labels.file_type_label("application/pdf") == "PDF 文件"
    assert labels.file_type_label("image/jpeg") == "JPEG 图片"
    assert labels.file_type_label("") == "—"


@pytest.mark.django_db
def test_the_claim_page_names_its_documents_types_in_words(bank_a, officer_a) -> None:  # type: ignore[no-untyped-def]
    from claims.models import ClaimDocument

    from .conftest import client_for
    from .factories import ClaimFactory, FilingFactory

    claim = ClaimFactory.create(filing=FilingFactory.create(bank=bank_a, filed_by=officer_a),
                                created_by=officer_a)
    ClaimDocument.objects.create(claim=claim, kind=ClaimDocument.Kind.APPLICATION,
                                 file="claims/a.pdf", original_name="申请表.pdf",
                                 content_type="application/pdf", size=10, sha256="0" * 64,
                                 uploaded_by=officer_a)
    page = client_for(officer_a).get(reverse("claims:claim_detail", args=[claim.pk]))
    html = page.content.decode()
    assert "PDF 文件" in html and "application/pdf" not in html
