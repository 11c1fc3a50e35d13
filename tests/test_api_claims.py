"""The bank API's claims with documents, supplements, recoveries and returns, through the Django
test client: keys and scopes, bank isolation, idempotency of multipart writes, every endpoint's
bad input (missing or refused documents, wrong state, text where a number belongs), and a claim
filed through the API equal to one filed on the bank officer's screen."""

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.test.client import encode_multipart
from django.urls import reverse
from django.utils import timezone

from api.models import ApiKey, IdempotentResponse
from api.services import api_key_create
from claims.filing.services import REQUIRED_DOCUMENTS
from claims.models import (
    Claim,
    ClaimDocument,
    ClaimStatusChange,
    Recovery,
    ReturnPayment,
    SupplementRequest,
)
from loans.models import LoanFiling

from .conftest import client_for
from .factories import FilingFactory
from .test_active_content import HOSTILE_PDFS
from .test_claims_bank import TODAY, npl_filing, paid_claim, pdf
from .test_uploads import EXE_BYTES, PDF_BYTES, PNG_BYTES, TEXT_BYTES

FUTURE = timezone.now() + timedelta(days=30)


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def issue(bank, actor, scope=ApiKey.Scope.READ_WRITE):  # type: ignore[no-untyped-def]
    return api_key_create(bank=bank, name="核心系统", scope=scope, expires_at=FUTURE,
                          actor=actor)


class Api:
    """A bank's core system: JSON or multipart, with its key and an Idempotency-Key."""

    def __init__(self, key: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path: str, **params: Any):  # type: ignore[no-untyped-def]
        return self.client.get(f"/api/v1/{path}", params, headers=self.headers)

    def post(self, path: str, data: Any, key: str | None = "new",  # type: ignore[no-untyped-def]
             content_type: str | None = None, boundary: str | None = None):
        headers = dict(self.headers)
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4()) if key == "new" else key
        if content_type is not None:  # JSON or a raw body
            return self.client.post(f"/api/v1/{path}", data, content_type=content_type,
                                    headers=headers)
        if boundary is not None:  # the same form under another boundary, as a retry sends it
            return self.client.post(f"/api/v1/{path}", encode_multipart(boundary, data),
                                    content_type=f"multipart/form-data; boundary={boundary}",
                                    headers=headers)
        return self.client.post(f"/api/v1/{path}", data, headers=headers)


@pytest.fixture
def key_a(bank_a, reviewer):  # type: ignore[no-untyped-def]
    return issue(bank_a, reviewer)


@pytest.fixture
def api(key_a):  # type: ignore[no-untyped-def]
    return Api(key_a[1])


def claim_form(filing: LoanFiling, **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"filing_id": str(filing.pk), "base": "800000.00",
                            **{k: pdf(f"{k}.pdf") for k in REQUIRED_DOCUMENTS}}
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def errors_of(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return response.json()["errors"]


def codes_of(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {e["field"]: e["code"] for e in errors_of(response)}


# --- Claim ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_claim_filed_through_the_api_equals_one_filed_on_the_screen(api, key_a, bank_a,
                                                                   officer_a):
    from auditlog.models import LogEntry

    on_screen, by_api = npl_filing(bank_a, officer_a), npl_filing(bank_a, officer_a)
    form = claim_form(on_screen)
    del form["filing_id"]
    screen = client_for(officer_a).post(reverse("claims:claim_create", args=[on_screen.pk]),
                                        form)
    assert screen.status_code == 302
    response = api.post("claims/", claim_form(by_api))
    assert response.status_code == 201, response.content
    body = response.json()
    a, b = Claim.objects.get(filing=on_screen), Claim.objects.get(filing=by_api)
    assert body["id"] == b.pk and body["number"] == b.number == "小微补偿-2026-0002"
    same = ("status", "scheme", "base", "ratio", "compensation", "classification_date",
            "deadline", "bank_id")
    assert {f: getattr(a, f) for f in same} == {f: getattr(b, f) for f in same}
    assert (b.status, b.deadline, b.compensation) == ("submitted", date(2028, 4, 15),
                                                      Decimal("240000.00"))
    assert body["status"] == "submitted" and body["deadline"] == "2028-04-15"
    assert body["compensation"] == "240000.00"

    def docs(claim: Claim) -> list[tuple[str, str, str, int]]:
        return sorted(claim.documents.values_list("kind", "sha256", "content_type", "size"))

    assert docs(a) == docs(b) and len(docs(b)) == len(REQUIRED_DOCUMENTS)
    assert sorted(d["kind"] for d in body["documents"]) == sorted(REQUIRED_DOCUMENTS)
    assert (list(ClaimStatusChange.objects.filter(claim=a).values_list("from_status",
                                                                        "to_status"))
            == list(ClaimStatusChange.objects.filter(claim=b).values_list("from_status",
                                                                           "to_status"))
            == [("", "submitted")])
    assert [h["to_status"] for h in body["history"]] == ["submitted"]
    assert ClaimStatusChange.objects.get(claim=b).actor == key_a[0].user
    by_api.refresh_from_db()
    on_screen.refresh_from_db()
    assert by_api.status == on_screen.status == LoanFiling.Status.CLAIMED
    # The audit trail: the same entries, in the officer's name and in the key's.
    entry_a, entry_b = (LogEntry.objects.get_for_object(c).get() for c in (a, b))
    assert entry_a.action == entry_b.action == LogEntry.Action.CREATE
    assert set(entry_a.changes_dict) == set(entry_b.changes_dict)
    assert entry_a.actor == officer_a and entry_b.actor == key_a[0].user
    assert key_a[0].prefix in (entry_b.additional_data or {}).get("reason", "")
    assert (LogEntry.objects.get_for_objects(b.documents.all()).count()
            == LogEntry.objects.get_for_objects(a.documents.all()).count() == 5)


@pytest.mark.django_db
def test_claim_needs_a_read_write_key_and_an_idempotency_key(bank_a, officer_a, reviewer):
    filing = npl_filing(bank_a, officer_a)
    assert Api(None).post("claims/", claim_form(filing)).status_code == 401
    _key, read_only = issue(bank_a, reviewer, scope=ApiKey.Scope.READ)
    response = Api(read_only).post("claims/", claim_form(filing))
    assert response.status_code == 403 and errors_of(response)[0]["code"] == "FORBIDDEN"
    _key, text = issue(bank_a, reviewer)
    response = Api(text).post("claims/", claim_form(filing), key=None)
    assert response.status_code == 400
    assert errors_of(response)[0]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_claim_retried_with_the_same_key_is_filed_once_even_under_another_boundary(
        api, bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    first = api.post("claims/", claim_form(filing), key="claim-1")
    assert first.status_code == 201
    again = api.post("claims/", claim_form(filing), key="claim-1", boundary="AnotherBoundary42")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Claim.objects.count() == 1 and ClaimDocument.objects.count() == 5
    other = api.post("claims/", claim_form(filing, collection=pdf("c.pdf", PNG_BYTES)),
                     key="claim-1")
    assert other.status_code == 422
    assert errors_of(other)[0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    # A new key for the same loan: the rules' DUPLICATE refusal, not a second claim.
    duplicate = api.post("claims/", claim_form(filing))
    assert duplicate.status_code == 422 and "DUPLICATE" in {e["code"]
                                                           for e in errors_of(duplicate)}
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_a_key_cannot_claim_on_another_banks_loan(api, world):
    response = api.post("claims/", claim_form(world["filing_b"]))
    assert response.status_code == 404
    assert codes_of(response) == {"filing_id": "NOT_FOUND"}
    assert not Claim.objects.filter(filing=world["filing_b"]).exclude(
        pk=world["claim_b"].pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("over", "field", "code"), [
    ({"collection": None}, "collection", "UPLOAD_MISSING"),
    ({"commitment": pdf("承诺函.pdf", TEXT_BYTES)}, "commitment", "UPLOAD_TYPE"),
    ({"application": pdf("a.exe", EXE_BYTES)}, "application", "UPLOAD_TYPE"),
    ({"credit_report": pdf("征信.pdf", HOSTILE_PDFS["open action with JavaScript"])},
     "credit_report", "UPLOAD_ACTIVE_CONTENT"),
    ({"contract_iou": pdf("empty.pdf", b"")}, "contract_iou", "EMPTY"),
    ({"base": "八十万"}, "base", "INVALID"),
    ({"base": "0"}, "base", "MIN_VALUE"),
    ({"base": "100.001"}, "base", "MAX_DECIMAL_PLACES"),
    ({"base": "3000000.01"}, "base", "BASE_ABOVE_OUTSTANDING"),
    ({"base": None}, "base", "REQUIRED"),
    ({"filing_id": "第一笔"}, "filing_id", "INVALID"),
    ({"filing_id": None}, "filing_id", "REQUIRED"),
])
def test_bad_claim_input_is_422_with_the_field_and_nothing_is_filed(api, bank_a, officer_a,
                                                                    over, field, code):
    filing = npl_filing(bank_a, officer_a)
    response = api.post("claims/", claim_form(filing, **over))
    assert response.status_code == 422, response.content
    found = codes_of(response)
    assert found.get(field) == code, found
    message = next(e["message"] for e in errors_of(response) if e["field"] == field)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message  # said in Chinese
    assert not Claim.objects.exists() and not ClaimDocument.objects.exists()
    filing.refresh_from_db()
    assert filing.status == LoanFiling.Status.ACTIVE


@pytest.mark.django_db
def test_claim_on_a_loan_that_is_not_npl_gives_the_rules_reason(api, bank_a, officer_a):
    performing = FilingFactory(bank=bank_a, filed_by=officer_a)
    response = api.post("claims/", claim_form(performing, collection=None))
    assert response.status_code == 422
    assert [e["code"] for e in errors_of(response)] == ["NOT_NPL"]
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_documents_over_the_size_limit_or_with_macros_are_refused(api, bank_a, officer_a,
                                                                  settings):
    import io
    import zipfile

    filing = npl_filing(bank_a, officer_a)
    settings.RISKCOMP_MAX_UPLOAD_BYTES = len(PDF_BYTES) + 10
    big = api.post("claims/", claim_form(filing, collection=pdf("big.pdf", PDF_BYTES + b" " * 11)))
    assert big.status_code == 422 and codes_of(big) == {"collection": "UPLOAD_TOO_LARGE"}
    settings.RISKCOMP_MAX_UPLOAD_BYTES = 20 * 1024 * 1024
    workbook = io.BytesIO()
    with zipfile.ZipFile(workbook, "w") as z:  # a macro workbook renamed to .pdf
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/vbaProject.bin", b"\x00" * 64)
    macro = api.post("claims/", claim_form(filing, application=pdf("申请表.pdf",
                                                                   workbook.getvalue())))
    assert macro.status_code == 422 and codes_of(macro) == {"application": "UPLOAD_TYPE"}
    assert not Claim.objects.exists() and not ClaimDocument.objects.exists()


@pytest.mark.django_db
def test_claim_on_a_settled_loan_is_refused_by_the_service(api, bank_a, officer_a):
    settled = npl_filing(bank_a, officer_a, status=LoanFiling.Status.SETTLED)
    response = api.post("claims/", claim_form(settled))
    assert response.status_code == 422 and codes_of(response) == {"": "FILING_CLOSED"}
    assert "已结清" in errors_of(response)[0]["message"]
    assert not Claim.objects.exists() and not ClaimDocument.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("kwargs", "status", "code"), [
    ({"data": '{"filing_id": 1}', "content_type": "application/json"}, 415,
     "UNSUPPORTED_MEDIA_TYPE"),
    ({"data": b"--xx\r\n", "content_type": f"multipart/form-data; boundary={'x' * 300}"}, 400,
     "MALFORMED_MULTIPART"),
    ({"data": b"--xx\r\n", "content_type": "multipart/form-data"}, 400, "MALFORMED_MULTIPART"),
])
def test_a_body_that_is_not_a_proper_form_is_refused_never_a_500(api, kwargs, status, code):
    response = api.post("claims/", **kwargs)
    assert response.status_code == status, response.content
    assert errors_of(response)[0]["code"] == code


@pytest.mark.django_db
def test_too_many_fields_is_a_400_never_a_500(api, bank_a, officer_a, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20
    filing = npl_filing(bank_a, officer_a)
    response = api.post("claims/", claim_form(filing, **{f"f{n}": "x" for n in range(30)}))
    assert response.status_code == 400 and errors_of(response)[0]["code"] == "MALFORMED_MULTIPART"
    assert not Claim.objects.exists()


@pytest.mark.django_db
def test_unknown_fields_are_refused(api, bank_a, officer_a):
    filing = npl_filing(bank_a, officer_a)
    response = api.post("claims/", claim_form(filing, ratio="0.5"))
    assert response.status_code == 400 and codes_of(response) == {"ratio": "UNKNOWN_FIELD"}
    response = api.post("claims/", claim_form(filing, extra=pdf("x.pdf")))
    assert response.status_code == 400 and codes_of(response) == {"extra": "UNKNOWN_FIELD"}
    assert not Claim.objects.exists()


# --- Supplements (补正) ---------------------------------------------------------------------------

def _supplement_requested(claim: Claim, reviewer: Any) -> SupplementRequest:
    from claims.review.services import claim_request_supplement

    claim_request_supplement(claim=claim, message="请补充最新征信报告", actor=reviewer)
    return SupplementRequest.objects.get(claim=claim)


@pytest.fixture
def filed(api, bank_a, officer_a):  # type: ignore[no-untyped-def]
    response = api.post("claims/", claim_form(npl_filing(bank_a, officer_a)))
    return Claim.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_answering_a_supplement_request_with_documents_resubmits_the_claim(api, filed, key_a,
                                                                         reviewer):
    path = f"claims/{filed.pk}/supplements/"
    wrong_state = api.post(path, {"answer": "已补充"})
    assert wrong_state.status_code == 422 and codes_of(wrong_state) == {"": "WRONG_STATE"}
    request = _supplement_requested(filed, reviewer)
    detail = api.get(f"claims/{filed.pk}/").json()
    assert detail["status"] == "supplement"
    assert detail["deficiencies"][0]["message"] == "请补充最新征信报告"
    assert detail["deficiencies"][0]["answered_at"] is None
    response = api.post(path, {"answer": "已补充2026年11月征信报告",
                               "documents": [pdf("征信.pdf"), pdf("说明.pdf", PNG_BYTES)]},
                        key="answer-1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "submitted"
    assert body["deficiencies"][0]["answer"] == "已补充2026年11月征信报告"
    assert [h["to_status"] for h in body["history"]] == ["submitted", "supplement", "submitted"]
    request.refresh_from_db()
    assert request.answered_by == key_a[0].user
    assert filed.documents.filter(kind=ClaimDocument.Kind.SUPPLEMENT).count() == 2
    replay = api.post(path, {"answer": "已补充2026年11月征信报告",
                             "documents": [pdf("征信.pdf"), pdf("说明.pdf", PNG_BYTES)]},
                      key="answer-1")
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert filed.documents.filter(kind=ClaimDocument.Kind.SUPPLEMENT).count() == 2


@pytest.mark.django_db
def test_supplement_answer_may_come_as_json_without_files(api, filed, reviewer):
    _supplement_requested(filed, reviewer)
    response = api.post(f"claims/{filed.pk}/supplements/", '{"answer": "材料已在原件中"}',
                        content_type="application/json")
    assert response.status_code == 200, response.content
    filed.refresh_from_db()
    assert filed.status == Claim.Status.SUBMITTED


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "field", "code"), [
    ({"answer": ""}, "answer", "REQUIRED"),
    ({"answer": "见附件", "documents": [pdf("x.pdf", TEXT_BYTES)]}, "documents", "UPLOAD_TYPE"),
    ({"answer": "见附件", "documents": [pdf("x.pdf", HOSTILE_PDFS["names tree of scripts"])]},
     "documents", "UPLOAD_ACTIVE_CONTENT"),
    ({"answer": "见附件", "documents": [pdf(f"{n}.pdf") for n in range(11)]}, "documents",
     "TOO_MANY_FILES"),
])
def test_bad_supplement_answers_change_nothing(api, filed, reviewer, data, field, code):
    _supplement_requested(filed, reviewer)
    response = api.post(f"claims/{filed.pk}/supplements/", data)
    assert response.status_code == 422, response.content
    assert codes_of(response).get(field) == code
    filed.refresh_from_db()
    assert filed.status == Claim.Status.SUPPLEMENT_REQUESTED
    assert not filed.documents.filter(kind=ClaimDocument.Kind.SUPPLEMENT).exists()
    assert SupplementRequest.objects.get(claim=filed).answered_at is None


@pytest.mark.django_db
def test_another_banks_claim_is_404_for_supplements(api, world, reviewer):
    claim_b = world["claim_b"]
    Claim.objects.filter(pk=claim_b.pk).update(status=Claim.Status.SUPPLEMENT_REQUESTED)
    response = api.post(f"claims/{claim_b.pk}/supplements/", {"answer": "已补充"})
    assert response.status_code == 404
    assert not IdempotentResponse.objects.exists()
    assert Claim.objects.get(pk=claim_b.pk).status == Claim.Status.SUPPLEMENT_REQUESTED


# --- Recoveries and returns -----------------------------------------------------------------------

@pytest.fixture
def recovered(api, bank_a, officer_a, reviewer):  # type: ignore[no-untyped-def]
    """A paid MICRO claim (30%) of bank A with a recovery of ¥100,000 reported through the API."""
    claim = paid_claim(bank_a, officer_a, reviewer, paid_on=date(2026, 6, 1))
    response = api.post(f"claims/{claim.pk}/recoveries/",
                        {"recovered_on": "2026-11-02", "amount": "100000.00"},
                        content_type="application/json")
    assert response.status_code == 201, response.content
    return Recovery.objects.get(pk=response.json()["id"])


@pytest.mark.django_db
def test_recording_a_return_as_the_screen_does(api, recovered, key_a):
    path = f"recoveries/{recovered.pk}/returns/"
    wrong = api.post(path, {"amount": "29999.99", "returned_on": "2026-11-10",
                            "reference": "FH-001"})
    assert wrong.status_code == 422 and codes_of(wrong) == {"amount": "RETURN_AMOUNT_WRONG"}
    assert "¥30,000.00" in errors_of(wrong)[0]["message"]
    text = api.post(path, {"amount": "三万", "returned_on": "2026-11-10", "reference": "FH-1"})
    assert text.status_code == 422 and codes_of(text) == {"amount": "INVALID"}
    early = api.post(path, {"amount": "30000.00", "returned_on": "2026-10-01",
                            "reference": "FH-001"})
    assert early.status_code == 422
    assert codes_of(early) == {"returned_on": "RETURNED_BEFORE_RECOVERY"}
    assert not ReturnPayment.objects.exists()
    body_text = '{"amount": 30000.00, "returned_on": "2026-11-10", "reference": "FH-001"}'
    done = api.post(path, body_text, key="return-1", content_type="application/json")
    assert done.status_code == 201, done.content
    replay = api.post(path, body_text, key="return-1", content_type="application/json")
    assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert replay.json() == done.json()
    body = done.json()
    assert body["amount"] == "30000.00" and body["reference"] == "FH-001"
    assert body["received_at"] is None and body["has_reconciliation_statement"] is False
    payment = ReturnPayment.objects.get()
    assert payment.recorded_by == key_a[0].user and payment.recovery == recovered
    twice = api.post(path, {"amount": "30000.00", "returned_on": "2026-11-10",
                            "reference": "FH-002"})
    assert twice.status_code == 422 and codes_of(twice) == {"": "ALREADY_RETURNED"}
    assert ReturnPayment.objects.count() == 1


@pytest.mark.django_db
def test_tech_return_needs_the_reconciliation_statement(api, bank_a, officer_a, reviewer):
    claim = paid_claim(bank_a, officer_a, reviewer, scheme="TECH", ratio="0.50",
                       paid_on=date(2026, 6, 1))
    api.post(f"claims/{claim.pk}/recoveries/", {"recovered_on": "2026-11-02",
                                                "amount": "1000.00"},
             content_type="application/json")
    recovery = Recovery.objects.get(claim=claim)
    path = f"recoveries/{recovery.pk}/returns/"
    form = {"amount": "500.00", "returned_on": "2026-11-10", "reference": "FH-T1"}
    missing = api.post(path, form)
    assert missing.status_code == 422
    assert codes_of(missing) == {"reconciliation_statement": "REQUIRED"}
    bad = api.post(path, {**form, "reconciliation_statement": pdf("对账单.pdf", TEXT_BYTES)})
    assert bad.status_code == 422
    assert codes_of(bad) == {"reconciliation_statement": "UPLOAD_TYPE"}
    done = api.post(path, {**form, "reconciliation_statement": pdf("对账单.pdf")})
    assert done.status_code == 201, done.content
    assert done.json()["has_reconciliation_statement"] is True
    assert ReturnPayment.objects.get().reconciliation_statement.read() == PDF_BYTES


@pytest.mark.django_db
def test_recoveries_list_filters_pages_and_detail(api, recovered, bank_a, officer_a, reviewer,
                                                  world):
    other = paid_claim(bank_a, officer_a, reviewer, scheme="TECH", ratio="0.50",
                       paid_on=date(2026, 6, 1))
    older = Recovery.objects.create(
        claim=other, recovered_on=date(2026, 7, 1), amount=Decimal("10.00"),
        notified_on=date(2026, 7, 2), return_amount=Decimal("5.00"),
        notice_deadline=date(2026, 7, 29), return_deadline=date(2026, 7, 16),
        reported_by=officer_a)
    foreign_claim = paid_claim(world["filing_b"].bank, world["filing_b"].filed_by, reviewer)
    foreign = Recovery.objects.create(
        claim=foreign_claim, recovered_on=date(2026, 8, 1), amount=Decimal("10.00"),
        notified_on=date(2026, 8, 3), return_amount=Decimal("3.00"), reported_by=officer_a)
    listed = api.get("recoveries/").json()
    assert [r["id"] for r in listed["results"]] == [recovered.pk, older.pk]
    first = listed["results"][0]
    assert first["claim_number"] == recovered.claim.number and first["return_state"] == "pending"
    assert first["return_amount"] == "30000.00" and first["return_payment"] is None
    assert [r["id"] for r in api.get("recoveries/", state="overdue").json()["results"]] == [
        older.pk]
    assert [r["id"] for r in api.get("recoveries/", scheme="TECH").json()["results"]] == [
        older.pk]
    assert [r["id"] for r in api.get("recoveries/", claim=recovered.claim_id)
            .json()["results"]] == [recovered.pk]
    assert [r["id"] for r in api.get("recoveries/", recovered_from="2026-10-01")
            .json()["results"]] == [recovered.pk]
    page = api.get("recoveries/", page_size=1, page=2).json()
    assert page["count"] == 2 and [r["id"] for r in page["results"]] == [older.pk]
    for params, field in (({"state": "late"}, "state"), ({"claim": "abc"}, "claim"),
                          ({"recovered_to": "2026-13-01"}, "recovered_to"),
                          ({"page": "x"}, "page")):
        response = api.get("recoveries/", **params)
        assert response.status_code == 400 and codes_of(response) == {field: "INVALID"}
    assert api.get(f"recoveries/{recovered.pk}/").json()["id"] == recovered.pk
    assert api.get(f"recoveries/{foreign.pk}/").status_code == 404
    response = api.post(f"recoveries/{foreign.pk}/returns/", {
        "amount": "3.00", "returned_on": "2026-11-10", "reference": "FH-X"})
    assert response.status_code == 404 and not ReturnPayment.objects.exists()
    api.post(f"recoveries/{recovered.pk}/returns/", {
        "amount": "30000.00", "returned_on": "2026-11-10", "reference": "FH-001"})
    returned = api.get("recoveries/", state="returned").json()["results"]
    assert [r["id"] for r in returned] == [recovered.pk]
    assert returned[0]["return_payment"]["reference"] == "FH-001"


# --- Admin ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_admin_shows_keys_without_their_hash_and_the_call_log_read_only(api, key_a,
                                                                         admin_user_):
    key, _text = key_a
    api.get("claims/")
    admin = client_for(admin_user_)
    listing = admin.get(reverse("admin:api_apikey_changelist"))
    assert listing.status_code == 200 and key.prefix in listing.content.decode()
    page = admin.get(reverse("admin:api_apikey_change", args=[key.pk])).content.decode()
    assert key.prefix in page and key.secret_sha256 not in page
    assert admin.get(reverse("admin:api_apikey_add")).status_code == 403
    calls = admin.get(reverse("admin:api_apicall_changelist"))
    assert calls.status_code == 200 and "/api/v1/claims/" in calls.content.decode()
    call = key.calls.get()
    assert admin.get(reverse("admin:api_apicall_change", args=[call.pk])).status_code == 200
    response = admin.post(reverse("admin:api_apicall_change", args=[call.pk]),
                          {"status": "500", "path": "/x"})
    assert response.status_code == 403
    assert admin.get(reverse("admin:api_apicall_add")).status_code == 403
    assert admin.post(reverse("admin:api_apicall_delete", args=[call.pk]),
                      {"post": "yes"}).status_code == 403
    call.refresh_from_db()
    assert call.status == 200
    assert admin.get(reverse("admin:api_idempotentresponse_changelist")).status_code == 200


@pytest.mark.django_db
def test_admin_revokes_a_key_through_the_service(key_a, admin_user_):
    from auditlog.models import LogEntry

    key, _text = key_a
    admin = client_for(admin_user_)
    response = admin.post(reverse("admin:api_apikey_changelist"), {
        "action": "revoke_keys", "_selected_action": [key.pk]})
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == admin_user_
    assert LogEntry.objects.get_for_object(key).count() == 2
    assert Api(key_a[1]).get("claims/").status_code == 401
