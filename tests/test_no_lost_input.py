"""What a user has typed, ticked or attached survives: the credit-code lookup, the password
re-check before a decision, and a claim upload with one refused file."""

import re

import pytest
from django.urls import reverse

from .conftest import client_for
from .factories import EnterpriseFactory, FilingFactory, make_credit_code

LONG_NAME = "北京经济技术开发区亦庄新城高端装备智能制造与工业互联网创新应用科技有限公司"


def _input(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag is not None, name
    return tag.group(0)


def _selected(page: str, name: str) -> str | None:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, name
    option = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(1))
    return option.group(1) if option else None


def _lookup(user, **typed) -> str:  # type: ignore[no-untyped-def]
    response = client_for(user).get(reverse("loans:enterprise_lookup"), typed,
                                    HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


# --- The filing form ------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_filing_form_has_no_size_kind_or_attestation_chosen_in_advance(bank_a, officer_a):
    page = client_for(officer_a).get(reverse("loans:filing_create")).content.decode()
    assert _selected(page, "kind") == "" and _selected(page, "size") == ""  # 请选择
    assert page.count('<option value="" selected>请选择</option>') == 2
    for name in ("in_bda", "micro_conduct_ok", "tech_conduct_ok", "tech_scope"):
        assert "checked" not in _input(page, name), name


@pytest.mark.django_db
def test_filing_without_size_or_kind_says_in_chinese_what_to_choose(bank_a, officer_a):
    response = client_for(officer_a).post(reverse("loans:filing_create"), {
        "credit_code": make_credit_code(7), "enterprise_name": LONG_NAME, "kind": "",
        "size": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "请选择主体类型（企业法人或个体工商户）。" in page
    assert "请选择企业规模（中型、小型或微型）。" in page


@pytest.mark.django_db
def test_lookup_fills_only_the_fields_the_officer_left_empty(bank_a, officer_a):
    known = EnterpriseFactory(name="北京亦庄老客户有限公司", size="medium", kind="company")
    FilingFactory(bank=bank_a, enterprise=known, filed_by=officer_a)
    # The officer typed the name (as the contract spells it), chose 小型 and ticked 在经开区
    # before typing the credit code; the kind is still empty.
    page = _lookup(officer_a, credit_code=known.credit_code, enterprise_name=LONG_NAME,
                   kind="", size="small", in_bda="on", employees="85")
    assert "已找到企业" in page
    assert f'value="{LONG_NAME}"' in _input(page, "enterprise_name")
    assert "北京亦庄老客户有限公司" not in _input(page, "enterprise_name")
    assert _selected(page, "size") == "small"  # typed, not the filed "medium"
    assert _selected(page, "kind") == "company"  # was empty: filled
    assert 'value="85"' in _input(page, "employees")
    assert "checked" in _input(page, "in_bda")  # ticked by the officer, kept
    for name in ("micro_conduct_ok", "tech_conduct_ok"):
        assert "checked" not in _input(page, name)


@pytest.mark.django_db
def test_lookup_of_an_empty_form_fills_the_enterprise_but_ticks_nothing(bank_a, officer_a):
    known = EnterpriseFactory(name="北京亦庄老客户有限公司", size="medium", is_in_bda=True,
                              is_tech_scope=True, is_micro_conduct_ok=True)
    FilingFactory(bank=bank_a, enterprise=known, filed_by=officer_a)
    page = _lookup(officer_a, credit_code=known.credit_code, enterprise_name="", size="",
                   kind="")
    assert 'value="北京亦庄老客户有限公司"' in _input(page, "enterprise_name")
    assert _selected(page, "size") == "medium"
    for name in ("in_bda", "tech_scope", "micro_conduct_ok", "tech_conduct_ok"):
        assert "checked" not in _input(page, name), name


@pytest.mark.django_db
def test_lookup_of_an_unknown_code_keeps_everything_typed(bank_a, officer_a):
    page = _lookup(officer_a, credit_code=make_credit_code(404), enterprise_name=LONG_NAME,
                   size="micro", kind="individual", q1_type="high_tech", q1_no="GR2026110001")
    assert "本行尚未备案过该企业" in page
    assert f'value="{LONG_NAME}"' in page
    assert _selected(page, "size") == "micro" and _selected(page, "kind") == "individual"
    assert 'value="GR2026110001"' in _input(page, "q1_no")


@pytest.mark.django_db
def test_filing_form_sends_the_whole_enterprise_part_with_the_lookup(bank_a, officer_a):
    page = client_for(officer_a).get(reverse("loans:filing_create")).content.decode()
    code_input = _input(page, "credit_code")
    assert 'hx-include="#enterprise-fields"' in code_input


# --- The bureau's decision and the password re-check -----------------------------------------


def _stale_approver():  # type: ignore[no-untyped-def]
    from .test_sessions import logged_in, stale

    client = logged_in("approver")
    stale(client)
    return client


@pytest.mark.django_db
def test_decision_posted_when_the_password_is_due_is_submitted_after_it(
        bank_a, officer_a, reviewer, approver, settings, tmp_path):
    from claims.models import Claim, Confirmation

    from .test_proposals import TODAY, proposed, scan
    from .test_sessions import PASSWORD

    settings.MEDIA_ROOT = tmp_path
    proposal, (first, second) = proposed(bank_a, officer_a, reviewer)
    client = _stale_approver()
    detail = reverse("claims:proposal_detail", args=[proposal.pk])
    decide = reverse("claims:proposal_decide", args=[proposal.pk])
    asked = client.post(decide, {
        "claims": [first.pk, second.pk], "decision": "confirmed",
        "number": "京经开财〔2026〕18号", "date": TODAY.isoformat(),
        "document": scan()}, HTTP_REFERER=f"http://testserver{detail}")
    assert asked["Location"].startswith(reverse("accounts:reauth"))
    prompt = client.get(asked["Location"]).content.decode()
    assert "确认后将继续提交您填写的内容" in prompt
    assert not Confirmation.objects.exists()

    done = client.post(asked["Location"], {"password": PASSWORD, "next": detail}, follow=True)
    page = done.content.decode()
    assert "已登记财政意见“确认”（京经开财〔2026〕18号）" in page
    assert set(Claim.objects.filter(pk__in=[first.pk, second.pk])
               .values_list("status", flat=True)) == {Claim.Status.CONFIRMED}
    for confirmation in Confirmation.objects.all():
        assert confirmation.document_number == "京经开财〔2026〕18号"
        assert confirmation.document.read().startswith(b"%PDF")  # the attached file came along
    assert not list((tmp_path / "reauth-pending").iterdir())  # the held copy is gone


@pytest.mark.django_db
def test_a_kept_decision_is_not_submitted_by_a_later_unrelated_password_check(
        bank_a, officer_a, reviewer, approver, settings, tmp_path):
    from claims.models import Confirmation

    from .test_proposals import TODAY, proposed, scan
    from .test_sessions import PASSWORD

    settings.MEDIA_ROOT = tmp_path
    proposal, (first, _second) = proposed(bank_a, officer_a, reviewer)
    client = _stale_approver()
    detail = reverse("claims:proposal_detail", args=[proposal.pk])
    client.post(reverse("claims:proposal_decide", args=[proposal.pk]), {
        "claims": [first.pk], "decision": "confirmed", "number": "88号",
        "date": TODAY.isoformat(), "document": scan()},
        HTTP_REFERER=f"http://testserver{detail}")
    # The approver leaves, and later confirms the password on the way to another page.
    back = client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": "/"})
    assert back["Location"] == "/"
    assert not Confirmation.objects.exists()


@pytest.mark.django_db
def test_a_kept_decision_older_than_ten_minutes_is_not_submitted(
        bank_a, officer_a, reviewer, approver, settings, tmp_path):
    from accounts.security import PENDING_POST
    from claims.models import Confirmation

    from .test_proposals import TODAY, proposed, scan
    from .test_sessions import PASSWORD, set_session

    settings.MEDIA_ROOT = tmp_path
    proposal, (first, _second) = proposed(bank_a, officer_a, reviewer)
    client = _stale_approver()
    detail = reverse("claims:proposal_detail", args=[proposal.pk])
    client.post(reverse("claims:proposal_decide", args=[proposal.pk]), {
        "claims": [first.pk], "decision": "confirmed", "number": "88号",
        "date": TODAY.isoformat(), "document": scan()},
        HTTP_REFERER=f"http://testserver{detail}")
    pending = client.session[PENDING_POST]
    set_session(client, **{PENDING_POST: {**pending, "at": pending["at"] - 601}})
    back = client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": detail})
    assert back["Location"] == detail
    assert not Confirmation.objects.exists()


# --- A claim upload with one refused file -----------------------------------------------------


@pytest.fixture
def _claim_day(monkeypatch, settings, tmp_path):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from .test_claims_bank import TODAY

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _scans(**over):  # type: ignore[no-untyped-def]
    from claims.filing.services import REQUIRED_DOCUMENTS

    from .test_claims_bank import pdf

    names = {"application": "补偿申请书.pdf", "contract_iou": "借款合同及借据.pdf",
             "credit_report": "企业征信报告.pdf", "collection": "催收记录.pdf",
             "commitment": "承诺书.pdf"}
    files = {k: pdf(names[k]) for k in REQUIRED_DOCUMENTS}
    files.update(over)
    return {k: v for k, v in files.items() if v is not None}


@pytest.mark.django_db
def test_a_refused_exe_among_pdfs_keeps_the_pdfs_and_names_the_refused_file(
        bank_a, officer_a, _claim_day):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from claims.models import Claim

    from .test_claims_bank import npl_filing, pdf
    from .test_uploads import EXE_BYTES

    filing = npl_filing(bank_a, officer_a)
    client = client_for(officer_a)
    url = reverse("claims:claim_create", args=[filing.pk])
    exe = SimpleUploadedFile("承诺书.exe", EXE_BYTES, content_type="application/octet-stream")
    page = client.post(url, {"base": "800000.00", **_scans(commitment=exe)}).content.decode()
    assert not Claim.objects.exists()
    assert "承诺书.exe" in page and "不是 PDF、PNG 或 JPEG" in page  # which file, and why
    assert "已保留通过检查的 4 个文件" in page
    for name in ("补偿申请书.pdf", "借款合同及借据.pdf", "企业征信报告.pdf", "催收记录.pdf"):
        assert f"已保留：{name}" in page
    # The kept fields no longer insist on a file; the refused one still does.
    assert re.search(r'<input[^>]*name="application"(?![^>]*required)[^>]*>', page)
    assert re.search(r'<input[^>]*name="commitment"[^>]*required[^>]*>', page)

    # The officer chooses only the refused document again.
    done = client.post(url, {"base": "800000.00", "commitment": pdf("承诺书.pdf")})
    claim = Claim.objects.get()
    assert done["Location"] == reverse("claims:claim_detail", args=[claim.pk])
    names = sorted(claim.documents.values_list("original_name", flat=True))
    assert names == sorted(["补偿申请书.pdf", "借款合同及借据.pdf", "企业征信报告.pdf",
                            "催收记录.pdf", "承诺书.pdf"])
    assert not list((_claim_day / "held-uploads").iterdir())  # nothing left behind


@pytest.mark.django_db
def test_held_documents_stay_with_their_loan(bank_a, officer_a, _claim_day):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from claims.models import Claim

    from .test_claims_bank import npl_filing
    from .test_uploads import EXE_BYTES

    first, second = npl_filing(bank_a, officer_a), npl_filing(bank_a, officer_a)
    client = client_for(officer_a)
    exe = SimpleUploadedFile("承诺书.exe", EXE_BYTES)
    client.post(reverse("claims:claim_create", args=[first.pk]),
                {"base": "800000.00", **_scans(commitment=exe)})
    other = client.get(reverse("claims:claim_create", args=[second.pk])).content.decode()
    assert "已保留" not in other
    page = client.post(reverse("claims:claim_create", args=[second.pk]),
                       {"base": "800000.00"}).content.decode()
    assert not Claim.objects.exists() and "已保留" not in page


@pytest.mark.django_db
def test_a_supplement_answer_keeps_the_accepted_files_of_several(bank_a, officer_a, reviewer,
                                                                 _claim_day):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from claims.models import Claim, ClaimDocument

    from .factories import ClaimFactory
    from .test_claims_bank import _supplement_requested, npl_filing, pdf
    from .test_uploads import EXE_BYTES

    filing = npl_filing(bank_a, officer_a)
    claim = ClaimFactory(filing=filing, created_by=officer_a)
    _supplement_requested(claim, reviewer)
    client = client_for(officer_a)
    url = reverse("claims:claim_resubmit", args=[claim.pk])
    bad = SimpleUploadedFile("征信查询授权.exe", EXE_BYTES)
    page = client.post(url, {"answer": "已补充2026年11月征信报告及催收函",
                             "documents": [pdf("2026年11月征信报告.pdf"), bad,
                                           pdf("催收函回执.pdf")]}).content.decode()
    assert "征信查询授权.exe" in page and "已保留通过检查的 2 个文件" in page
    assert "已保留：2026年11月征信报告.pdf、催收函回执.pdf" in page
    assert "已补充2026年11月征信报告及催收函" in page  # the answer typed is still there
    done = client.post(url, {"answer": "已补充2026年11月征信报告及催收函",
                             "documents": [pdf("征信查询授权.pdf")]})
    assert done.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.SUBMITTED
    supplements = ClaimDocument.objects.filter(claim=claim, kind=ClaimDocument.Kind.SUPPLEMENT)
    assert sorted(supplements.values_list("original_name", flat=True)) == sorted(
        ["2026年11月征信报告.pdf", "催收函回执.pdf", "征信查询授权.pdf"])


@pytest.mark.django_db
def test_a_payment_posted_when_the_password_is_due_is_made_after_it(bank_a, officer_a,
                                                                     reviewer, monkeypatch):
    from django.utils import timezone

    from claims.models import Claim, Payment

    from .test_payments import TODAY, capital, confirmed
    from .test_sessions import PASSWORD, logged_in, stale

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)
    capital("5000000.00")
    claim = confirmed(bank_a, officer_a)
    client = logged_in("reviewer")
    stale(client)
    pay = reverse("claims:claim_pay", args=[claim.pk])
    asked = client.post(pay, {"paid_on": TODAY.isoformat(),
                              "reference": "FK2026071000018"},
                        HTTP_REFERER=f"http://testserver{pay}")
    assert not Payment.objects.exists()
    client.post(asked["Location"], {"password": PASSWORD, "next": pay})
    assert Payment.objects.get().reference == "FK2026071000018"
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.PAID
    # Once submitted it is gone: a later password check submits nothing again.
    stale(client)
    client.post(reverse("accounts:reauth"), {"password": PASSWORD, "next": pay})
    assert Payment.objects.count() == 1


def test_the_nightly_sweep_deletes_only_held_files_past_their_hold(settings, tmp_path):
    import os
    import time

    from riskcomp.held_uploads import DIRECTORY, MAX_AGE
    from riskcomp.tasks import sweep_held_files_task

    from .test_uploads import PDF_BYTES

    settings.MEDIA_ROOT = tmp_path
    held = tmp_path / DIRECTORY
    pending = tmp_path / "reauth-pending"
    held.mkdir()
    pending.mkdir()
    for folder in (held, pending):
        (folder / "fresh").write_bytes(PDF_BYTES)
        old = folder / "old"
        old.write_bytes(PDF_BYTES)
        then = time.time() - MAX_AGE - 60
        os.utime(old, (then, then))
    assert sweep_held_files_task.delay().get() == 2
    assert sorted(p.name for p in held.iterdir()) == ["fresh"]
    assert sorted(p.name for p in pending.iterdir()) == ["fresh"]
