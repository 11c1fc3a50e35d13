"""The bank API through the Django test client: keys (missing, bad, expired, revoked, read-only),
bank isolation, idempotency, the filings one by one and in a batch (whose verdicts are the Excel
import's on the same rows), lists and filters, classifications, bad input, the rate limit, the
schema and its documentation page."""

import json
import uuid
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from api.models import ApiCall, ApiKey, IdempotentResponse
from api.services import api_key_create, api_key_revoke
from loans.models import ClassificationReport, LoanFiling

from .conftest import client_for
from .factories import FilingFactory, make_credit_code
from .test_import import TODAY, preview_of, workbook

FUTURE = timezone.now() + timedelta(days=30)


@pytest.fixture(autouse=True)
def _fresh_throttle():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()




def issue(bank, actor, scope=ApiKey.Scope.READ_WRITE, expires_at=None):  # type: ignore[no-untyped-def]
    return api_key_create(bank=bank, name="核心系统", scope=scope,
                          expires_at=expires_at or FUTURE, actor=actor)


@pytest.fixture
def key_a(both_schemes, reviewer):  # type: ignore[no-untyped-def]
    return issue(both_schemes, reviewer)


@pytest.fixture
def api(key_a):  # type: ignore[no-untyped-def]
    return ApiClient(key_a[1])


class ApiClient:
    def __init__(self, key: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}

    def get(self, path: str, **params):  # type: ignore[no-untyped-def]
        return self.client.get(f"/api/v1/{path}", params, headers=self.headers)

    def post(self, path: str, body, key: str | None = "new", raw: bytes | None = None,  # type: ignore[no-untyped-def]
             content_type: str = "application/json"):
        headers = dict(self.headers)
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4()) if key == "new" else key
        data = raw if raw is not None else json.dumps(body)
        return self.client.post(f"/api/v1/{path}", data, content_type=content_type,
                                headers=headers)


def loan(**over: object) -> dict[str, object]:
    """The MICRO first loan of the import's tests, as a core system sends it (English names,
    codes, booleans, numbers as JSON numbers)."""
    data: dict[str, object] = {
        "credit_code": make_credit_code(101), "enterprise_name": "北京亦庄芯测科技有限公司",
        "kind": "company", "size": "small", "in_bda": True, "micro_conduct_ok": True,
        "tech_conduct_ok": True, "tech_scope": False, "iou_number": "JJ-0001",
        "contract_number": "HT-0001", "loan_type": "credit", "amount": "3000000.00",
        "currency": "CNY", "drawdown_date": "2026-05-12", "maturity_date": "2027-05-11",
        "rate_percent": 3.6, "credit_report_outstanding": 1000000,
        "credit_report_date": "2026-05-08", "other_cover": False, "first_loan": True,
    }
    data.update(over)
    return data


def errors_of(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    return response.json()["errors"]


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: TODAY)


# --- Keys -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_no_key_bad_key_expired_and_revoked_keys_are_refused(key_a, reviewer, both_schemes):
    assert ApiClient(None).get("filings/").status_code == 401
    assert errors_of(ApiClient(None).get("filings/"))[0]["code"] == "UNAUTHENTICATED"
    assert ApiClient("rck_0123456789_wrong").get("filings/").status_code == 401
    assert ApiClient("not-a-key").get("filings/").status_code == 401
    key, text = key_a
    wrong_secret = text[:-3] + ("aaa" if not text.endswith("aaa") else "bbb")
    assert ApiClient(wrong_secret).get("filings/").status_code == 401
    _old, expired = issue(both_schemes, reviewer, expires_at=timezone.now() - timedelta(1))
    response = ApiClient(expired).get("filings/")
    assert response.status_code == 401 and "过期" in errors_of(response)[0]["message"]
    assert ApiClient(text).get("filings/").status_code == 200
    api_key_revoke(key=key, actor=reviewer)
    response = ApiClient(text).get("filings/")
    assert response.status_code == 401 and "吊销" in errors_of(response)[0]["message"]


@pytest.mark.django_db
def test_key_is_stored_hashed_and_its_user_cannot_log_in(key_a):
    key, text = key_a
    assert text.startswith(f"rck_{key.prefix}_") and len(text) > 50
    assert text not in key.secret_sha256 and len(key.secret_sha256) == 64
    assert not key.user.is_active and not key.user.has_usable_password()


@pytest.mark.django_db
def test_read_only_key_cannot_write(both_schemes, reviewer):
    _key, text = issue(both_schemes, reviewer, scope=ApiKey.Scope.READ)
    client = ApiClient(text)
    assert client.get("filings/").status_code == 200
    response = client.post("filings/", loan())
    assert response.status_code == 403 and errors_of(response)[0]["code"] == "FORBIDDEN"
    assert not LoanFiling.objects.exists()


@pytest.mark.django_db
def test_every_call_is_logged_with_its_key(api, key_a):
    api.get("filings/")
    api.post("filings/", loan(), key="k-1")
    ApiClient(None).get("filings/")
    calls = list(ApiCall.objects.order_by("id").values_list("key", "method", "status",
                                                            "idempotency_key"))
    assert calls == [(key_a[0].pk, "GET", 200, ""), (key_a[0].pk, "POST", 201, "k-1"),
                     (None, "GET", 401, "")]


@pytest.mark.django_db
def test_rate_limit_answers_429_with_retry_after(api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api_key": "3/min"}}
    from rest_framework.throttling import SimpleRateThrottle

    rates = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = {"api_key": "3/min"}
    try:
        assert [api.get("filings/").status_code for _ in range(3)] == [200, 200, 200]
        response = api.get("filings/")
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 60
        assert errors_of(response)[0]["code"] == "RATE_LIMITED"
    finally:
        SimpleRateThrottle.THROTTLE_RATES = rates


@pytest.mark.django_db
def test_custodian_issues_a_key_shown_once_and_revokes_it(reviewer, bank_a, officer_a):
    client = client_for(reviewer)
    response = client.post("/api-keys/", {"bank": bank_a.pk, "name": "核心系统",
                                          "scope": "read_write", "expires_on": "2027-01-31"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get()
    text = response.content.decode()
    assert f"rck_{key.prefix}_" in text
    assert "rck_" not in client.get("/api-keys/").content.decode().replace(
        f"rck_{key.prefix}_…", "")
    client.post(f"/api-keys/{key.pk}/revoke/")
    key.refresh_from_db()
    assert key.revoked_at is not None and key.revoked_by == reviewer
    assert client_for(officer_a).get("/api-keys/").status_code == 403


# --- Isolation ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_key_of_bank_a_never_sees_bank_b(api, world):
    fb = world["filing_b"]
    assert api.get(f"filings/{fb.pk}/").status_code == 404
    assert api.post(f"filings/{fb.pk}/classifications/",
                    {"classification": "substandard", "classified_on": "2026-07-01"}
                    ).status_code == 404
    assert api.get(f"enterprises/{fb.enterprise.credit_code}/").status_code == 404
    for odd in ("%00", "%E4%B8%AD" * 30, "'%20OR%201=1"):
        assert api.get(f"enterprises/{odd}/").status_code == 404, odd
    ids = [f["id"] for f in api.get("filings/").json()["results"]]
    assert ids == [world["filing_a"].pk]
    assert api.get(f"filings/{world['filing_a'].pk}/").status_code == 200


# --- One filing ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_one_filing_is_filed_with_the_import_verdict(api, key_a):
    response = api.post("filings/", loan())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accepted"] and body["scheme"] == "MICRO" and body["ratio"] == "0.4000"
    filing = LoanFiling.objects.get(pk=body["filing_id"])
    assert filing.filed_by == key_a[0].user and filing.amount == 3000000
    detail = api.get(f"filings/{filing.pk}/").json()
    assert detail["amount"] == "3000000.00" and detail["drawdown_date"] == "2026-05-12"
    enterprise = api.get(f"enterprises/{filing.enterprise.credit_code.lower()}/").json()
    assert [f["id"] for f in enterprise["filings"]] == [filing.pk]


@pytest.mark.django_db
def test_refused_filing_gives_codes_and_chinese_messages(api):
    response = api.post("filings/", loan(in_bda=False))
    assert response.status_code == 422
    codes = {e["code"] for e in errors_of(response)}
    assert "NOT_IN_BDA" in codes
    assert all(e["message"] for e in errors_of(response))
    assert not LoanFiling.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("raw", "code"), [
    (b"{not json", "MALFORMED_JSON"),
    (b"\xff\xfe\x00", "MALFORMED_JSON"),
    (b'{"amount": NaN}', "MALFORMED_JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "MALFORMED_JSON"),
])
def test_malformed_bodies_are_400_never_500(api, raw, code):
    response = api.post("filings/", None, raw=raw)
    assert response.status_code == 400 and errors_of(response)[0]["code"] == code


@pytest.mark.django_db
@pytest.mark.parametrize(("over", "status", "code", "field"), [
    ({"amount": "1" + "0" * 5000}, 422, "INVALID", "amount"),
    ({"amount": 10 ** 30}, 422, "INVALID", "amount"),
    ({"amount": "三百万"}, 422, "INVALID", "amount"),
    ({"amount": [1]}, 400, "INVALID_TYPE", "amount"),
    ({"enterprise_name": "北京\x00科技"}, 400, "INVALID_CHARACTER", "enterprise_name"),
    ({"enterprise_name": "\ud800"}, 400, "INVALID_CHARACTER", "enterprise_name"),
    ({"drawdown_date": "2026-02-30"}, 422, "INVALID", "drawdown_date"),
    ({"kind": "银行"}, 422, "INVALID", "kind"),
    ({"iou_number": "J" * 10_000}, 422, "INVALID", "iou_number"),
    ({"colour": "red"}, 400, "UNKNOWN_FIELD", "colour"),
    ({"credit_code": None}, 422, "INVALID", "credit_code"),
])
def test_bad_values_are_json_errors_with_their_field(api, over, status, code, field):
    response = api.post("filings/", loan(**over))
    assert response.status_code == status, response.content
    found = errors_of(response)
    assert (code, field) in {(e["code"], e["field"]) for e in found}
    assert not LoanFiling.objects.exists()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_415(api):
    response = api.post("filings/", None, raw=b"a=1", content_type="text/plain")
    assert response.status_code == 415


# --- Idempotency --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_same_key_same_body_replays_and_files_once(api):
    first = api.post("filings/", loan(), key="abc")
    again = api.post("filings/", loan(), key="abc")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert LoanFiling.objects.count() == 1


@pytest.mark.django_db
def test_same_key_other_body_is_refused(api):
    api.post("filings/", loan(), key="abc")
    response = api.post("filings/", loan(iou_number="JJ-0009"), key="abc")
    assert response.status_code == 422
    assert errors_of(response)[0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert LoanFiling.objects.count() == 1


@pytest.mark.django_db
def test_writes_need_an_idempotency_key_and_keys_are_per_api_key(api, both_schemes, reviewer):
    response = api.post("filings/", loan(), key=None)
    assert response.status_code == 400
    assert errors_of(response)[0]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert api.post("filings/", loan(), key="x" * 101).status_code == 400
    api.post("filings/", loan(), key="same")
    _other, text = issue(both_schemes, reviewer)
    response = ApiClient(text).post("filings/", loan(iou_number="JJ-0100"), key="same")
    assert response.status_code == 201
    assert IdempotentResponse.objects.count() == 2


# --- Batches --------------------------------------------------------------------------------------

def _batch_rows() -> list[dict[str, object]]:
    """Accepted, refused by rule, refused for a cell, and a repeat within the batch."""
    return [
        loan(),
        loan(iou_number="JJ-0002", credit_code=make_credit_code(202), size="medium",
             tech_scope=True, enterprise_name="北京亦庄智造有限公司", contract_number="HT-0002"),
        loan(iou_number="JJ-0003", in_bda=False),
        loan(iou_number="JJ-0004", amount="abc"),
        loan(iou_number="JJ-0005", drawdown_date="2026-08-01", maturity_date="2027-08-01"),
        loan(iou_number="JJ-0001"),
        loan(iou_number="JJ-0006", credit_code="91110302MA01A2B3CX"),
    ]


def _as_sheet(data: dict[str, object]) -> dict[str, object]:
    """The same loan as a bank types it in the workbook (Chinese labels, 是/否)."""
    from loans.importing import FILINGS

    labels = {"company": "企业法人", "small": "小型", "medium": "中型", "credit": "信用贷款"}
    out: dict[str, object] = {}
    for f in FILINGS.fields:
        value = data.get(f.attribute)
        if isinstance(value, bool):
            value = "是" if value else "否"
        out[f.column_name] = labels.get(value, value) if isinstance(value, str) else (
            None if value is None else str(value))
    return out


@pytest.mark.django_db
def test_batch_verdicts_equal_the_excel_import_on_the_same_rows(api, officer_a, upload):
    rows = _batch_rows()
    dry = api.post("filings/batch/", {"rows": rows, "commit": False})
    assert dry.status_code == 200, dry.content
    assert not LoanFiling.objects.exists()
    response = client_for(officer_a).get("/")  # the officer's session, for the upload
    assert response.status_code in (200, 302)
    upload(client_for(officer_a), workbook([_as_sheet(r) for r in rows]))
    from loans.models import ImportBatch

    preview = preview_of(ImportBatch.objects.get())
    api_codes = [sorted(e["code"] for e in r["errors"]) for r in dry.json()["rows"]]
    # The workbook's rows start at row 2; a cell error has no code there, INVALID here.
    excel_codes = [sorted(c or "INVALID" for c, *_rest in preview[n + 1][6])
                   for n in range(1, len(rows) + 1)]
    assert api_codes == excel_codes
    assert [r["accepted"] for r in dry.json()["rows"]] == [
        bool(preview[n + 1][3]) for n in range(1, len(rows) + 1)]
    assert api_codes[0] == [] and "NOT_IN_BDA" in api_codes[2] and "DUPLICATE" in api_codes[5]
    assert "DRAWDOWN_FUTURE" in api_codes[4] and "BAD_CREDIT_CODE" in api_codes[6]


@pytest.mark.django_db
def test_batch_commit_files_the_accepted_rows_in_order(api):
    response = api.post("filings/batch/", {"rows": _batch_rows()})
    body = response.json()
    assert response.status_code == 200 and body["committed"]
    assert (body["total"], body["accepted"], body["rejected"]) == (7, 2, 5)
    filed = {r["iou_number"]: r["filing_id"] for r in body["rows"] if r["accepted"]}
    assert set(filed) == {"JJ-0001", "JJ-0002"}
    assert set(LoanFiling.objects.values_list("pk", flat=True)) == set(filed.values())
    assert body["rows"][3]["errors"][0]["field"] == "amount"
    again = api.post("filings/batch/", {"rows": _batch_rows()[:1]})
    assert again.json()["rows"][0]["errors"][0]["code"] == "DUPLICATE"


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "code"), [
    ([], "INVALID"), ({"rows": "x"}, "INVALID"), ({"rows": []}, "REQUIRED"),
    ({"rows": [loan()], "commit": "yes"}, "INVALID_TYPE"),
    ({"rows": [loan()], "extra": 1}, "UNKNOWN_FIELD"),
])
def test_batch_shape_errors(api, body, code):
    response = api.post("filings/batch/", body)
    assert response.status_code == 400 and errors_of(response)[0]["code"] == code


@pytest.mark.django_db
def test_batch_row_that_is_not_an_object_is_refused_alone(api):
    response = api.post("filings/batch/", {"rows": [loan(), 5, "x"]})
    rows = response.json()["rows"]
    assert [r["accepted"] for r in rows] == [True, False, False]
    assert rows[1]["errors"][0]["code"] == "INVALID_TYPE"


@pytest.mark.django_db
def test_batch_over_the_row_limit_is_refused(api, settings):
    settings.RISKCOMP_API_MAX_BATCH_ROWS = 2
    response = api.post("filings/batch/", {"rows": [loan()] * 3})
    assert response.status_code == 400 and errors_of(response)[0]["code"] == "TOO_MANY_ROWS"


# --- Lists, classifications -------------------------------------------------------------------

@pytest.mark.django_db
def test_list_filters_and_pagination(api, both_schemes, officer_a):
    for i, (day, scheme) in enumerate([(date(2026, 4, 1), "MICRO"), (date(2026, 5, 1), "TECH"),
                                       (date(2026, 7, 1), "MICRO")]):
        FilingFactory(bank=both_schemes, filed_by=officer_a, drawdown_date=day, scheme=scheme,
                      quarter=f"2026Q{(day.month + 2) // 3}", iou_number=f"L{i}")
    assert api.get("filings/", scheme="MICRO").json()["count"] == 2
    assert api.get("filings/", quarter="2026Q2").json()["count"] == 2
    assert api.get("filings/", drawdown_from="2026-04-15",
                   drawdown_to="2026-06-30").json()["count"] == 1
    page = api.get("filings/", page_size=2).json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    for params in ({"scheme": "X"}, {"quarter": "2026Q9"}, {"drawdown_from": "x"},
                   {"page": "abc"}, {"status": "\x00"}):
        assert api.get("filings/", **params).status_code == 400, params
    assert api.get("filings/", page=99).status_code == 404


@pytest.mark.django_db
def test_classification_is_recorded_once_and_checked(api, world, key_a, officer_a):
    filing = FilingFactory(bank=key_a[0].bank, filed_by=officer_a, drawdown_date=date(2026, 1, 5))
    path = f"filings/{filing.pk}/classifications/"
    ok = api.post(path, {"classification": "次级", "classified_on": "2026-06-30"})
    assert ok.status_code == 201 and ok.json()["classification"] == "substandard"
    again = api.post(path, {"classification": "substandard", "classified_on": "2026-06-30"})
    assert again.status_code == 422 and errors_of(again)[0]["code"] == "DUPLICATE"
    bad = api.post(path, {"classification": "很差", "classified_on": "2026-06-30"})
    assert bad.status_code == 422
    future = api.post(path, {"classification": "loss", "classified_on": "2026-12-31"})
    assert future.status_code == 422
    assert ClassificationReport.objects.filter(filing=filing).count() == 1


# --- Schema and documentation ---------------------------------------------------------------------

@pytest.mark.django_db
def test_schema_and_docs_page_from_local_assets_under_the_strict_csp(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/filings/batch/" in text and "Idempotency-Key" in text
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<style" not in html and "<script>" not in html  # no inline code: CSP unchanged
    assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html
    assert "script-src 'self'" in page["Content-Security-Policy"]
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_commit_gives_the_dry_run_verdicts_across_chunks(api, monkeypatch):
    """Judged in chunks (here of one row), a loan counts once toward the next ones' amount cap,
    whether the batch is committed or not."""
    monkeypatch.setattr("api.services.CHUNK_ROWS", 1)
    rows = [*_batch_rows(), *(loan(iou_number=f"JJ-10{i}", contract_number=f"HT-10{i}",
                                   amount="3000000.00", first_loan=False) for i in range(3))]
    dry = api.post("filings/batch/", {"rows": rows, "commit": False}).json()["rows"]
    done = api.post("filings/batch/", {"rows": rows}).json()["rows"]
    assert [(r["accepted"], [e["code"] for e in r["errors"]]) for r in done] == [
        (r["accepted"], [e["code"] for e in r["errors"]]) for r in dry]
    assert "AMOUNT_CAP" in [e["code"] for r in dry for e in r["errors"]]
    assert LoanFiling.objects.count() == sum(r["accepted"] for r in dry)


# --- Claims and suspension ------------------------------------------------------------------

@pytest.mark.django_db
def test_claims_list_and_detail_with_deficiencies_of_this_bank_only(api, world, reviewer):
    from claims.models import SupplementRequest

    ca, cb = world["claim_a"], world["claim_b"]
    SupplementRequest.objects.create(claim=ca, message="请补充催收记录", requested_by=reviewer,
                                     requested_at=timezone.now())
    listed = api.get("claims/").json()
    assert [c["id"] for c in listed["results"]] == [ca.pk]
    detail = api.get(f"claims/{ca.pk}/").json()
    assert detail["number"] == ca.number and detail["status"] == ca.status
    assert detail["deficiencies"][0]["message"] == "请补充催收记录"
    assert api.get(f"claims/{cb.pk}/").status_code == 404
    assert api.get("claims/", status="nope").status_code == 400


@pytest.mark.django_db
def test_suspension_gives_the_distance_to_each_threshold(api):
    rows = {r["scheme"]: r for r in api.get("suspension/").json()}
    assert set(rows) == {"MICRO", "TECH"}
    assert rows["MICRO"]["is_suspended"] is False
    assert rows["MICRO"]["distances"]["net_compensation"] == "5000000.0000"
    assert rows["TECH"]["distances"]["net_compensation"] == "15000000.0000"


@pytest.mark.django_db
def test_walker_a_key_gets_404_for_every_id_of_another_bank(api, world):
    """Every API URL with an id, for ids up to past the last: bank A's key reaches bank A's
    records only."""
    from decimal import Decimal

    from django.urls import URLPattern, get_resolver, reverse

    from claims.models import Claim, Recovery

    recoveries = [Recovery.objects.create(
        claim=world[name], recovered_on=date(2026, 7, 1), amount=Decimal("100.00"),
        notified_on=date(2026, 7, 2), return_amount=Decimal("30.00"),
        reported_by=world[name].created_by) for name in ("claim_a", "claim_b")]
    models = {"api:filing": LoanFiling, "api:classifications": LoanFiling, "api:claim": Claim,
              "api:recoveries": Claim, "api:supplements": Claim, "api:recovery": Recovery,
              "api:returns": Recovery}
    own = {LoanFiling: {world["filing_a"].pk}, Claim: {world["claim_a"].pk},
           Recovery: {recoveries[0].pk}}
    resolver = get_resolver()
    api_patterns = next(p for p in resolver.url_patterns if getattr(p, "namespace", "") == "api")
    with_id = {f"api:{p.name}" for p in api_patterns.url_patterns
               if isinstance(p, URLPattern) and "pk" in p.pattern.converters}
    assert with_id == set(models)
    for name, model in models.items():
        top = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for pk in range(1, top + 4):
            path = reverse(name, args=[pk]).removeprefix("/api/v1/")
            if name == "api:classifications":
                status = api.post(path, {"classification": "normal",
                                         "classified_on": "2026-06-30"}).status_code
                expected = (201, 422)
            elif name == "api:recoveries":  # the world's own claim is not paid yet
                status = api.post(path, {"recovered_on": "2026-07-01",
                                         "amount": "1000.00"}).status_code
                expected = (422,)
            elif name == "api:supplements":  # nothing was asked of the own claim
                status = api.post(path, {"answer": "已补充"}).status_code
                expected = (422,)
            elif name == "api:returns":  # not the amount due
                status = api.post(path, {"amount": "1.00", "returned_on": "2026-07-03",
                                         "reference": f"FH-{pk}"}).status_code
                expected = (422,)
            else:
                status = api.get(path).status_code
                expected = (200,)
            assert status in (expected if pk in own[model] else (404,)), (name, pk, status)


@pytest.mark.django_db
def test_keys_and_writes_through_the_api_are_in_the_audit_trail(api, key_a, reviewer):
    from auditlog.models import LogEntry

    key = key_a[0]
    created = LogEntry.objects.get_for_object(key).get()
    assert created.actor == reviewer
    api.post("filings/", loan())
    filing = LoanFiling.objects.get()
    entry = LogEntry.objects.get_for_object(filing).get()
    assert entry.actor == key.user
    assert key.prefix in (entry.additional_data or {}).get("reason", "")
    api_key_revoke(key=key, actor=reviewer)
    assert LogEntry.objects.get_for_object(key).count() == 2


@pytest.mark.django_db
def test_recovery_on_a_paid_claim_computes_the_return_as_the_screen(api, key_a, officer_a,
                                                                   reviewer):
    from claims.models import Recovery

    from .test_claims_bank import paid_claim

    claim = paid_claim(key_a[0].bank, officer_a, reviewer, paid_on=date(2026, 6, 1))
    path = f"claims/{claim.pk}/recoveries/"
    done = api.post(path, {"recovered_on": "2026-07-01", "amount": 100000, "notified_on": None})
    assert done.status_code == 201, done.content
    body = done.json()
    assert body["return_amount"] == "30000.00" and body["notified_on"] == TODAY.isoformat()
    assert Recovery.objects.get().return_amount == 30000
    early = api.post(path, {"recovered_on": "2026-05-01", "amount": "100"})
    assert early.status_code == 422
    assert errors_of(early)[0]["field"] == "recovered_on"
    bad = api.post(path, {"recovered_on": "2026-07-01", "amount": "十万", "x": 1})
    assert bad.status_code == 400 and errors_of(bad)[0]["code"] == "UNKNOWN_FIELD"
    bad = api.post(path, {"recovered_on": "2026-07-01", "amount": "十万"})
    assert bad.status_code == 422 and errors_of(bad)[0]["field"] == "amount"
    assert Recovery.objects.count() == 1


@pytest.mark.django_db
def test_call_log_drops_rows_older_than_the_retention(api, key_a, settings, monkeypatch):
    monkeypatch.setattr("api.services.PRUNE_EVERY", 1)
    settings.RISKCOMP_API_CALL_LOG_DAYS = 30
    old = ApiCall.objects.create(key=key_a[0], method="GET", path="/api/v1/filings/",
                                 status=200, at=timezone.now() - timedelta(days=31))
    recent = ApiCall.objects.create(key=key_a[0], method="GET", path="/api/v1/filings/",
                                    status=200, at=timezone.now() - timedelta(days=29))
    api.get("filings/")
    left = set(ApiCall.objects.values_list("pk", flat=True))
    assert old.pk not in left and recent.pk in left and len(left) == 2
