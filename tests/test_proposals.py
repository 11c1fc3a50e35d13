"""The custodian's proposal to the bureau (补偿初审意见), its PDF, and the bureau's written
decision on each claim: every transition and every refusal (wrong role, wrong state, suspended
bank, missing written document), all or nothing."""

import io
import subprocess
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from banks.models import SuspensionState
from claims import services
from claims.models import Claim, ClaimStatusChange, Confirmation, Proposal
from claims.proposal.services import period_admits, period_label, proposal_number_stem
from riskcomp.policy.reasons import Refusal

from .conftest import client_for
from .factories import BankFactory, ClaimFactory, EnterpriseFactory, FilingFactory
from .test_uploads import EXE_BYTES, PDF_BYTES

NOW = timezone.now()
TODAY = timezone.localdate()
THIS_QUARTER = period_label(TODAY)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def scan(name: str = "确认函.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def passed_claim(bank, officer, reviewer, *, scheme="MICRO", base="800000.00",  # type: ignore[no-untyped-def]
                 passed_at: datetime | None = None, enterprise: str | None = None) -> Claim:
    ratio = Decimal("0.50") if scheme == "TECH" else Decimal("0.30")
    extra = {"enterprise": EnterpriseFactory(name=enterprise)} if enterprise else {}
    filing = FilingFactory.create(bank=bank, filed_by=officer, scheme=scheme, ratio=ratio, **extra)
    claim = ClaimFactory.create(filing=filing, base=Decimal(base), status=Claim.Status.PASSED,
                         number=f"{'TC' if scheme == 'TECH' else 'MC'}-2026-{filing.pk:04d}")
    ClaimStatusChange.objects.create(claim=claim, from_status=Claim.Status.SUBMITTED,
                                     to_status=Claim.Status.PASSED, actor=reviewer,
                                     changed_at=passed_at or NOW - timedelta(days=1))
    return claim


def suspend(bank, scheme="MICRO", reason="怠于追偿") -> SuspensionState:  # type: ignore[no-untyped-def]
    return SuspensionState.objects.create(bank=bank, scheme=scheme, is_manually_suspended=True,
                                          manual_reason=reason)


def proposed(bank, officer, reviewer, n=2, **kw) -> tuple[Proposal, list[Claim]]:  # type: ignore[no-untyped-def]
    claims = [passed_claim(bank, officer, reviewer, **kw) for _ in range(n)]
    proposal = services.proposal_create(claims=claims, scheme=kw.get("scheme", "MICRO"),
                                        period=THIS_QUARTER, actor=reviewer)
    return proposal, [Claim.objects.get(pk=c.pk) for c in claims]


def refresh(claim: Claim) -> Claim:
    return Claim.objects.get(pk=claim.pk)


def field_codes(exc) -> dict[str, list[str | None]]:  # type: ignore[no-untyped-def]
    err: ValidationError = exc.value
    if hasattr(err, "error_dict"):
        return {k: [e.code for e in v] for k, v in err.error_dict.items()}
    return {"__all__": [e.code for e in err.error_list]}


# --- Proposal ------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_proposal_create_moves_every_claim_to_proposed_with_history(bank_a, bank_b, officer_a,
                                                                    officer_b, reviewer):
    a = passed_claim(bank_a, officer_a, reviewer)
    b = passed_claim(bank_b, officer_b, reviewer, base="1000000.00")
    proposal = services.proposal_create(claims=[a, b], scheme="MICRO", period=THIS_QUARTER,
                                        note="第一批", actor=reviewer)
    assert proposal.status == Proposal.Status.SUBMITTED
    assert proposal.number == proposal_number_stem("MICRO", THIS_QUARTER)
    assert proposal.number.startswith("初审-小微-") and "MICRO" not in proposal.number
    assert proposal.submitted_at is not None and proposal.created_by == reviewer
    for claim in (a, b):
        claim = refresh(claim)
        assert claim.status == Claim.Status.PROPOSED
        assert claim.proposal == proposal
        last = claim.status_changes.order_by("-id").first()
        assert (last.from_status, last.to_status, last.actor) == ("passed", "proposed", reviewer)
        assert proposal.number in last.note
    again = passed_claim(bank_a, officer_a, reviewer)
    second = services.proposal_create(claims=[again], scheme="MICRO", period=THIS_QUARTER,
                                      actor=reviewer)
    assert second.number == proposal_number_stem("MICRO", THIS_QUARTER) + "-2"


@pytest.mark.django_db
def test_proposal_is_all_or_nothing_when_a_claim_is_not_passed(bank_a, officer_a, reviewer):
    ok = passed_claim(bank_a, officer_a, reviewer)
    submitted = passed_claim(bank_a, officer_a, reviewer)
    Claim.objects.filter(pk=submitted.pk).update(status=Claim.Status.SUBMITTED)
    with pytest.raises(ValidationError) as exc:
        services.proposal_create(claims=[ok, submitted], scheme="MICRO", period=THIS_QUARTER,
                                 actor=reviewer)
    assert field_codes(exc) == {"claims": ["wrong_state"]}
    assert submitted.number in str(exc.value)
    assert refresh(ok).status == Claim.Status.PASSED
    assert refresh(ok).proposal is None
    assert not Proposal.objects.exists()


@pytest.mark.django_db
def test_proposal_refuses_a_claim_of_a_suspended_bank_naming_bank_and_claim(
        bank_a, bank_b, officer_a, officer_b, reviewer):
    ok = passed_claim(bank_b, officer_b, reviewer)
    held = passed_claim(bank_a, officer_a, reviewer)
    suspend(bank_a, reason="怠于追偿，法院未支持债权")
    with pytest.raises(Refusal) as exc:
        services.proposal_create(claims=[ok, held], scheme="MICRO", period=THIS_QUARTER,
                                 actor=reviewer)
    assert exc.value.codes == ("BANK_SUSPENDED",)
    message = str(exc.value.message)
    assert bank_a.short_name in message and held.number in message
    assert "怠于追偿" in message and ok.number not in message
    assert refresh(ok).status == refresh(held).status == Claim.Status.PASSED
    assert not Proposal.objects.exists()


@pytest.mark.django_db
def test_suspension_in_the_other_scheme_does_not_hold_the_claim(bank_a, officer_a, reviewer):
    claim = passed_claim(bank_a, officer_a, reviewer)
    suspend(bank_a, scheme="TECH")
    services.proposal_create(claims=[claim], scheme="MICRO", period=THIS_QUARTER,
                             actor=reviewer)
    assert refresh(claim).status == Claim.Status.PROPOSED


@pytest.mark.django_db
def test_proposal_refuses_a_claim_of_the_other_scheme(bank_a, officer_a, reviewer):
    tech = passed_claim(bank_a, officer_a, reviewer, scheme="TECH")
    with pytest.raises(ValidationError) as exc:
        services.proposal_create(claims=[tech], scheme="MICRO", period=THIS_QUARTER,
                                 actor=reviewer)
    assert field_codes(exc) == {"claims": ["wrong_scheme"]}


@pytest.mark.django_db
def test_tech_proposal_of_a_quarter_refuses_claims_passed_after_it(bank_a, officer_a,
                                                                   reviewer):
    claim = passed_claim(bank_a, officer_a, reviewer, scheme="TECH")
    earlier = (TODAY.replace(day=1) - timedelta(days=95))
    with pytest.raises(ValidationError) as exc:
        services.proposal_create(claims=[claim], scheme="TECH", period=period_label(earlier),
                                 actor=reviewer)
    assert field_codes(exc) == {"claims": ["wrong_period"]}
    assert "第十五条" in str(exc.value)
    proposal = services.proposal_create(claims=[claim], scheme="TECH", period=THIS_QUARTER,
                                        actor=reviewer)
    assert proposal.period == THIS_QUARTER and proposal.scheme == "TECH"


@pytest.mark.parametrize(("period", "passed", "admitted"), [
    ("2026Q3", "2026-09-30", True),
    ("2026Q3", "2026-07-01", True),
    ("2026Q3", "2026-03-31", True),   # held back earlier, goes with the next proposal
    ("2026Q3", "2026-10-01", False),
    ("2026Q4", "2026-10-01", True),
])
def test_a_proposal_of_a_quarter_carries_claims_passed_by_its_end(period, passed, admitted):
    from datetime import date

    assert period_admits(period, date.fromisoformat(passed)) is admitted


@pytest.mark.django_db
@pytest.mark.parametrize(("period", "code"), [("2026-3", "period_format"), ("", "period_format"),
                                               ("2099Q1", "period_future")])
def test_proposal_period_must_be_a_past_or_current_quarter(bank_a, officer_a, reviewer, period,
                                                           code):
    claim = passed_claim(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.proposal_create(claims=[claim], scheme="MICRO", period=period, actor=reviewer)
    assert field_codes(exc) == {"period": [code]}


@pytest.mark.django_db
def test_proposal_needs_at_least_one_claim(reviewer):
    with pytest.raises(ValidationError) as exc:
        services.proposal_create(claims=[], scheme="MICRO", period=THIS_QUARTER, actor=reviewer)
    assert field_codes(exc) == {"claims": ["no_claims"]}


# --- The bureau's decision ---------------------------------------------------------------------

@pytest.mark.django_db
def test_claim_confirm_records_the_written_document_and_decides_the_proposal(
        bank_a, officer_a, reviewer, approver):
    proposal, (first, second) = proposed(bank_a, officer_a, reviewer)
    confirmation = services.claim_confirm(claim=first, number="京技财〔2026〕88号", date=TODAY,
                                          document=scan(), actor=approver)
    assert confirmation.decision == Confirmation.Decision.CONFIRMED
    assert confirmation.document_number == "京技财〔2026〕88号"
    assert confirmation.document_date == TODAY and confirmation.approver == approver
    assert confirmation.document.read().startswith(b"%PDF")
    assert refresh(first).status == Claim.Status.CONFIRMED
    last = first.status_changes.order_by("-id").first()
    assert (last.to_status, last.actor) == ("confirmed", approver)
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED  # the second claim still waits
    services.claim_bureau_reject(claim=second, number="京技财〔2026〕89号", date=TODAY,
                                 document=scan(), reason="贷款用途不符", actor=approver)
    assert refresh(second).status == Claim.Status.BUREAU_REJECTED
    assert refresh(second).confirmation.note == "贷款用途不符"
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DECIDED and proposal.decided_at is not None


@pytest.mark.django_db
def test_nothing_is_confirmed_without_number_date_and_document(bank_a, officer_a, reviewer,
                                                               approver):
    _proposal, (claim, _other) = proposed(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.claim_confirm(claim=claim, number=" ", date=None, document=None,
                               actor=approver)
    assert field_codes(exc) == {"number": ["number_missing"], "date": ["date_missing"],
                                "document": ["upload_missing"]}
    assert refresh(claim).status == Claim.Status.PROPOSED
    assert not Confirmation.objects.exists()


@pytest.mark.django_db
def test_confirmation_document_must_be_a_real_scan(bank_a, officer_a, reviewer, approver):
    _proposal, (claim, _other) = proposed(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.claim_confirm(claim=claim, number="88号", date=TODAY,
                               document=SimpleUploadedFile("x.pdf", EXE_BYTES), actor=approver)
    assert field_codes(exc) == {"document": ["upload_type"]}


@pytest.mark.django_db
def test_confirmation_date_may_not_be_in_the_future(bank_a, officer_a, reviewer, approver):
    _proposal, (claim, _other) = proposed(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.claim_confirm(claim=claim, number="88号", date=TODAY + timedelta(days=1),
                               document=scan(), actor=approver)
    assert field_codes(exc) == {"date": ["date_in_future"]}


@pytest.mark.django_db
def test_bureau_rejection_states_its_reason(bank_a, officer_a, reviewer, approver):
    _proposal, (claim, _other) = proposed(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.claim_bureau_reject(claim=claim, number="89号", date=TODAY, document=scan(),
                                     reason="  ", actor=approver)
    assert field_codes(exc) == {"reason": ["reason_missing"]}
    assert refresh(claim).status == Claim.Status.PROPOSED


@pytest.mark.django_db
def test_a_suspended_banks_claim_cannot_be_confirmed(bank_a, officer_a, reviewer, approver):
    _proposal, (claim, _other) = proposed(bank_a, officer_a, reviewer)
    suspend(bank_a)
    with pytest.raises(Refusal) as exc:
        services.claim_confirm(claim=claim, number="88号", date=TODAY, document=scan(),
                               actor=approver)
    assert exc.value.codes == ("BANK_SUSPENDED",)
    assert bank_a.short_name in str(exc.value.message)
    assert refresh(claim).status == Claim.Status.PROPOSED
    assert not Confirmation.objects.exists()


@pytest.mark.django_db
def test_claims_are_decided_once_and_only_when_proposed(bank_a, officer_a, reviewer, approver):
    _proposal, (claim, _other) = proposed(bank_a, officer_a, reviewer)
    services.claim_confirm(claim=claim, number="88号", date=TODAY, document=scan(),
                           actor=approver)
    with pytest.raises(ValidationError) as exc:
        services.claim_bureau_reject(claim=claim, number="89号", date=TODAY, document=scan(),
                                     reason="重复", actor=approver)
    assert field_codes(exc) == {"__all__": ["wrong_state"]}
    passed = passed_claim(bank_a, officer_a, reviewer)
    with pytest.raises(ValidationError) as exc:
        services.claim_confirm(claim=passed, number="88号", date=TODAY, document=scan(),
                               actor=approver)
    assert field_codes(exc) == {"__all__": ["wrong_state"]}
    assert Confirmation.objects.count() == 1


@pytest.mark.django_db
def test_one_document_decides_several_claims_all_or_nothing(bank_a, bank_b, officer_a,
                                                            officer_b, reviewer, approver):
    a = passed_claim(bank_a, officer_a, reviewer)
    b = passed_claim(bank_b, officer_b, reviewer)
    proposal = services.proposal_create(claims=[a, b], scheme="MICRO", period=THIS_QUARTER,
                                        actor=reviewer)
    suspend(bank_b)
    with pytest.raises(Refusal):
        services.proposal_decide(proposal=proposal, claims=[refresh(a), refresh(b)],
                                 decision="confirmed", number="88号", date=TODAY,
                                 document=scan(), actor=approver)
    assert refresh(a).status == Claim.Status.PROPOSED  # rolled back with b
    SuspensionState.objects.filter(bank=bank_b).update(is_manually_suspended=False)
    services.proposal_decide(proposal=proposal, claims=[refresh(a), refresh(b)],
                             decision="confirmed", number="88号", date=TODAY, document=scan(),
                             actor=approver)
    assert {refresh(a).status, refresh(b).status} == {Claim.Status.CONFIRMED}
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.DECIDED


# --- Screens -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_reviewer_previews_totals_then_creates_the_proposal(bank_a, bank_b, officer_a,
                                                            officer_b, reviewer):
    a1 = passed_claim(bank_a, officer_a, reviewer, base="800000.00")
    a2 = passed_claim(bank_a, officer_a, reviewer, base="200000.00")
    b1 = passed_claim(bank_b, officer_b, reviewer, base="1000000.00")
    client = client_for(reviewer)
    page = client.get(reverse("claims:proposal_create"), {"scheme": "MICRO"})
    assert page.status_code == 200
    html = page.content.decode()
    assert all(c.number in html for c in (a1, a2, b1))
    assert "300,000.00" in html and "600,000.00" in html  # 甲 240k+60k; total 600k
    data = {"claims": [a1.pk, b1.pk], "scheme": "MICRO", "period": THIS_QUARTER, "note": "x"}
    preview = client.post(reverse("claims:proposal_create"), data)
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "540,000.00" in text and a2.number not in text  # 240,000 + 300,000
    assert not Proposal.objects.exists()
    done = client.post(reverse("claims:proposal_create"), {**data, "confirmed": "1"})
    proposal = Proposal.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("claims:proposal_detail", args=[proposal.pk])
    assert set(proposal.claims.values_list("pk", flat=True)) == {a1.pk, b1.pk}
    detail = client.get(done["Location"]).content.decode()
    assert "540,000.00" in detail and bank_a.short_name in detail


@pytest.mark.django_db
def test_create_screen_shows_the_suspension_refusal(bank_a, officer_a, reviewer):
    claim = passed_claim(bank_a, officer_a, reviewer)
    suspend(bank_a)
    response = client_for(reviewer).post(reverse("claims:proposal_create"), {
        "claims": [claim.pk], "scheme": "MICRO", "period": THIS_QUARTER, "confirmed": "1"})
    assert response.status_code == 200
    assert "BANK_SUSPENDED" in response.content.decode()
    assert refresh(claim).status == Claim.Status.PASSED


@pytest.mark.django_db
def test_approver_decides_on_the_proposal_page(bank_a, officer_a, reviewer, approver):
    proposal, (first, second) = proposed(bank_a, officer_a, reviewer)
    client = client_for(approver)
    page = client.get(reverse("claims:proposal_detail", args=[proposal.pk])).content.decode()
    assert "登记财政书面意见" in page
    url = reverse("claims:proposal_decide", args=[proposal.pk])
    missing = client.post(url, {"claims": [first.pk], "decision": "confirmed", "number": "88号",
                                "date": TODAY.isoformat()})
    assert missing.status_code == 200
    assert refresh(first).status == Claim.Status.PROPOSED
    done = client.post(url, {"claims": [first.pk], "decision": "confirmed", "number": "88号",
                             "date": TODAY.isoformat(), "document": scan()})
    assert done.status_code == 302
    assert refresh(first).status == Claim.Status.CONFIRMED
    assert refresh(second).status == Claim.Status.PROPOSED
    reject = client.post(url, {"claims": [second.pk], "decision": "rejected", "number": "89号",
                               "date": TODAY.isoformat(), "document": scan()})
    assert "请填写不予确认的理由" in reject.content.decode()
    doc = client.get(reverse("claims:confirmation_document",
                             args=[refresh(first).confirmation.pk]))
    assert doc.status_code == 200 and doc["Content-Type"] == "application/pdf"


@pytest.mark.django_db
def test_roles_that_may_not_act_get_403(bank_a, officer_a, reviewer, approver, auditor):
    proposal, (claim, _other) = proposed(bank_a, officer_a, reviewer)
    decide = reverse("claims:proposal_decide", args=[proposal.pk])
    body = {"claims": [claim.pk], "decision": "confirmed", "number": "88号",
            "date": TODAY.isoformat(), "document": scan()}
    assert client_for(reviewer).post(decide, body).status_code == 403
    assert client_for(auditor).post(decide, body).status_code == 403
    assert client_for(approver).get(reverse("claims:proposal_create")).status_code == 403
    assert client_for(auditor).get(reverse("claims:proposal_create")).status_code == 403
    assert refresh(claim).status == Claim.Status.PROPOSED
    for user in (reviewer, approver, auditor):
        client = client_for(user)
        assert client.get(reverse("claims:proposal_list")).status_code == 200
        assert client.get(reverse("claims:proposal_detail", args=[proposal.pk])).status_code \
            == 200
        assert client.get(reverse("claims:approver_queue")).status_code == 200


@pytest.mark.django_db
def test_bank_officers_see_nothing_of_proposals(bank_a, officer_a, reviewer):
    proposal, _claims = proposed(bank_a, officer_a, reviewer)
    client = client_for(officer_a)
    for url in (reverse("claims:proposal_list"), reverse("claims:proposal_create"),
                reverse("claims:approver_queue"),
                reverse("claims:proposal_detail", args=[proposal.pk]),
                reverse("claims:proposal_pdf", args=[proposal.pk])):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("claims:proposal_decide", args=[proposal.pk])).status_code == 403


@pytest.mark.django_db
def test_proposal_list_queries_do_not_grow_with_rows(bank_a, officer_a, reviewer,
                                                     django_assert_max_num_queries):
    for _ in range(3):
        proposed(bank_a, officer_a, reviewer, n=3)
    client = client_for(reviewer)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("claims:proposal_list")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("claims:proposal_create")).status_code == 200


# --- PDF -----------------------------------------------------------------------------------------

def _pdf_text(content: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(content))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


@pytest.mark.django_db
def test_proposal_pdf_totals_equal_the_claims(bank_a, officer_a, reviewer, auditor, approver):
    bank_c = BankFactory(short_name="丙银行")
    claims = [passed_claim(bank_a, officer_a, reviewer, base=f"{100000 + i * 12345}.67",
                           enterprise=f"北京亦庄精密制造有限公司{i}") for i in range(30)]
    claims.append(passed_claim(bank_c, officer_a, reviewer, base="5000000.00"))
    proposal = services.proposal_create(claims=claims, scheme="MICRO", period=THIS_QUARTER,
                                        actor=reviewer)
    response = client_for(auditor).get(reverse("claims:proposal_pdf", args=[proposal.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    reader, text = _pdf_text(content)
    total = sum((refresh(c).compensation for c in claims), Decimal("0"))
    bank_a_total = sum((refresh(c).compensation for c in claims[:30]), Decimal("0"))
    assert f"{total:,.2f}" in text
    assert f"{bank_a_total:,.2f}" in text and "1,500,000.00" in text  # 丙: 5,000,000 × 30%
    assert all(c.number in text for c in claims)
    assert proposal.number in text and "补偿初审意见" in text
    pages = len(reader.pages)
    assert pages >= 2
    assert f"第 1 页，共 {pages} 页" in text and f"第 {pages} 页，共 {pages} 页" in text
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert round(width) == 595 and round(height) == 842  # A4 in points
    for user in (reviewer, approver):
        assert client_for(user).get(reverse("claims:proposal_pdf", args=[proposal.pk])) \
            .status_code == 200


@pytest.mark.django_db
def test_proposal_pdf_page_renders_to_an_image(bank_a, officer_a, reviewer, tmp_path):
    proposal, _claims = proposed(bank_a, officer_a, reviewer, n=3)
    response = client_for(reviewer).get(reverse("claims:proposal_pdf", args=[proposal.pk]))
    pdf_path = Path(tmp_path) / "proposal.pdf"
    pdf_path.write_bytes(response.content)
    subprocess.run(["/usr/bin/pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1",  # noqa: S603
                    str(pdf_path), str(tmp_path / "page")], check=True)
    png = next(Path(tmp_path).glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
