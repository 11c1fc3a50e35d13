"""What a hostile bank officer or a stray client tries: looking up another bank's borrower, a NUL
byte in a query parameter (PostgreSQL cannot store one), posting to a page that only reads, and
powerful browser features a page never needs."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from loans.models import ImportBatch, Qualification
from riskcomp.request_guards import PERMISSIONS_POLICY

from .conftest import client_for
from .factories import EnterpriseFactory, FilingFactory
from .test_access import OBJECT_URLS, _url, portal_urls

# --- The filing form's lookup by credit code ----------------------------------------------------


def _lookup(user, code: str) -> str:  # type: ignore[no-untyped-def]
    response = client_for(user).get(reverse("loans:enterprise_lookup"), {"credit_code": code},
                                    HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_lookup_of_a_borrower_only_another_bank_filed_fills_nothing(bank_b, officer_a, officer_b):
    theirs = EnterpriseFactory(name="乙行独家客户有限公司", size="medium")
    Qualification.objects.create(enterprise=theirs, certificate_no="GR2026110099",
                         type="high_tech", valid_from=date(2025, 1, 1), valid_to=date(2027, 12, 31))
    FilingFactory(bank=bank_b, enterprise=theirs, filed_by=officer_b)
    page = _lookup(officer_a, theirs.credit_code)
    assert "乙行独家客户有限公司" not in page and "GR2026110099" not in page
    assert 'value="medium" selected' not in page
    assert "已找到企业" not in page and "本行尚未备案过该企业" in page
    # The bank that filed it gets it back.
    own = _lookup(officer_b, theirs.credit_code)
    assert "乙行独家客户有限公司" in own and "GR2026110099" in own
    assert 'value="medium" selected' in own


@pytest.mark.django_db
def test_lookup_of_an_enterprise_nobody_filed_fills_nothing(officer_a):
    orphan = EnterpriseFactory(name="未备案企业有限公司")
    page = _lookup(officer_a, orphan.credit_code)
    assert "未备案企业有限公司" not in page and "本行尚未备案过该企业" in page


@pytest.mark.django_db
def test_lookup_takes_the_facts_this_bank_filed_not_later_changes(bank_a, officer_a):
    ent = EnterpriseFactory(name="甲行客户有限公司", size="small", is_tech_scope=False)
    FilingFactory(bank=bank_a, enterprise=ent, filed_by=officer_a, snapshot={
        "enterprise": {"credit_code": ent.credit_code, "kind": "company", "size": "small",
                       "in_bda": True, "conduct_ok": True, "tech_scope": False,
                       "qualifications": []}})
    # The shared row changed since (by whoever): the bank's own filing still says "small".
    ent.size = "medium"
    ent.save()
    page = _lookup(officer_a, ent.credit_code)
    assert "甲行客户有限公司" in page and 'value="small" selected' in page


# --- NUL bytes in query parameters ---------------------------------------------------------------

def _every_get_url(ids: dict) -> list[str]:  # type: ignore[type-arg]
    urls = []
    for name, pattern in portal_urls():
        if name == "logout":
            continue
        urls.append(_url(name, pattern, ids.get(OBJECT_URLS.get(name), 1)))
    return urls


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["officer_a", "reviewer", "auditor", "admin_user_"])
def test_a_nul_byte_in_any_query_parameter_is_a_chinese_400(request, world, role_fixture):
    client = client_for(request.getfixturevalue(role_fixture))
    client.raise_request_exception = False
    ids = {model: model.objects.order_by("pk").values_list("pk", flat=True).first() or 1
           for model in set(OBJECT_URLS.values())}
    urls = _every_get_url(ids)
    assert len(urls) > 60
    for url in urls:
        for query in ("q=x%00y", "status=%00", "q%00=1", "from=2026-01-01%00"):
            response = client.get(f"{url}?{query}")
            assert response.status_code == 400, (url, query, response.status_code)
            assert "请求无法处理" in response.content.decode(), url


@pytest.mark.django_db
def test_list_searches_still_work_without_nul(world, reviewer):
    client = client_for(reviewer)
    found = client.get(reverse("loans:filing_list"), {"q": world["filing_a"].iou_number})
    assert found.status_code == 200 and world["filing_a"].iou_number in found.content.decode()
    assert client.get(reverse("audit:search"), {"q": "贷款"}).status_code == 200


def test_a_nul_byte_is_refused_before_login(client):  # type: ignore[no-untyped-def]
    response = client.get(reverse("loans:filing_list") + "?q=%00")
    assert response.status_code == 400


# --- Read-only views and the Permissions-Policy header -------------------------------------------

# The screens that only read: a POST to them is a 405 for the roles that may read them.
READ_ONLY = {
    "home", "accounts:sessions", "banks:bank_list", "banks:bank_detail", "loans:filing_list",
    "loans:filing_detail", "loans:enterprise_lookup", "claims:claim_list",
    "claims:recovery_list", "claims:claim_detail", "claims:document_download",
    "claims:return_statement_download", "claims:writeoff_file_download",
    "claims:statement_file_download", "claims:payment_list", "claims:return_list",
    "claims:proposal_list", "claims:approver_queue", "claims:proposal_detail",
    "claims:proposal_pdf", "claims:confirmation_document", "claims:writeoff_list",
    "claims:writeoff_detail", "claims:writeoff_file", "claims:review_queue",
    "claims:document_inline", "claims:spotcheck_list", "claims:spotcheck_detail",
    "fund:overview", "fund:ledger", "reports:report_list", "reports:report_detail",
    "reports:performance",
    "reports:report_progress", "reports:report_pdf", "reports:report_xlsx",
    "notifications:list", "audit:search", "audit:security", "password_change_done",
    "params:version_list", "params:version_detail", "params:lpr_list", "calendar:list",
    "loans:import_list", "loans:import_template_filings", "loans:import_template_classifications",
    "loans:import_detail", "loans:import_progress", "loans:import_rejected",
    "jobs:job_list",
    "enterprises:enterprise_list", "enterprises:enterprise_detail",
}
# The screens that take a POST (a form, an action).
WRITES = {
    "login", "logout", "password_change", "set_language", "calculator",
    "accounts:two_factor", "accounts:two_factor_setup", "accounts:reauth", "accounts:session_end",
    "banks:agreement_add", "banks:agreement_end", "banks:manual_suspension", "banks:officer_add",
    "banks:officer_remove", "loans:filing_create", "loans:filing_preview",
    "loans:classification_create", "loans:import_upload", "loans:import_confirm",
    "claims:claim_create", "claims:claim_resubmit", "claims:recovery_create",
    "claims:writeoff_create", "claims:statement_create", "claims:return_create",
    "claims:payment_batch", "claims:claim_pay", "claims:return_receive", "claims:proposal_create",
    "claims:proposal_decide", "claims:proposal_withdraw", "claims:writeoff_forward",
    "claims:writeoff_reject", "claims:writeoff_decide", "claims:review", "claims:spotcheck_draw",
    "claims:spotcheck_item", "fund:capital_receive", "fund:interest_record", "fund:entry_reverse",
    "reports:report_generate", "notifications:open", "notifications:read_all",
    "params:version_succeed", "params:version_edit", "params:version_delete", "params:lpr_new",
    "params:lpr_edit", "params:lpr_delete",
    "calendar:year", "jobs:job_retry",
    "api_keys:list", "api_keys:revoke",
    "enterprises:enterprise_edit",
}
def test_every_url_is_either_read_only_or_takes_a_post():
    """A new screen must be put in one of the sets, and a read-only one gets its 405 tested."""
    names = {name for name, _pattern in portal_urls()}
    assert not READ_ONLY & WRITES
    assert names == READ_ONLY | WRITES, (
        sorted(names - READ_ONLY - WRITES), sorted((READ_ONLY | WRITES) - names))


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["officer_a", "reviewer", "approver", "admin_user_"])
def test_post_to_a_read_only_view_is_405(request, world, role_fixture):
    client = client_for(request.getfixturevalue(role_fixture))
    client.raise_request_exception = False
    patterns = dict(portal_urls())
    ids = {model: model.objects.order_by("pk").values_list("pk", flat=True).first() or 1
           for model in set(OBJECT_URLS.values())}
    refused = 0
    for name in sorted(READ_ONLY):
        pattern = patterns[name]
        url = _url(name, pattern, ids.get(OBJECT_URLS.get(name), 1))
        status = client.post(url, {"anything": "1"}).status_code
        # A role without business on the screen is still refused as before (403/404); one that
        # may read it cannot post to it.
        assert status in (403, 404, 405), (name, status)
        refused += status == 405
        if client.get(url).status_code == 200:
            assert status == 405, (role_fixture, name, status)
    assert refused >= 5


@pytest.mark.django_db
def test_the_import_screens_that_only_read_refuse_a_post(officer_a, bank_a):  # type: ignore[no-untyped-def]
    batch = ImportBatch.objects.create(
        bank=bank_a, original_name="2026Q3备案.xlsx", sha256="0" * 64, uploaded_by=officer_a,
        status=ImportBatch.Status.VALIDATED, total_rows=1, rejected_rows=1,
        preview=[])
    client = client_for(officer_a)
    for name, args in (("loans:import_list", []), ("loans:import_template_filings", []),
                       ("loans:import_template_classifications", []),
                       ("loans:import_detail", [batch.pk]), ("loans:import_progress", [batch.pk]),
                       ("loans:import_rejected", [batch.pk])):
        url = reverse(name, args=args)
        assert client.get(url).status_code == 200, name
        assert client.post(url, {"anything": "1"}).status_code == 405, name
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.VALIDATED


@pytest.mark.django_db
def test_every_response_carries_the_permissions_policy(officer_a, client):  # type: ignore[no-untyped-def]
    responses = [
        client.get(reverse("login")), client.get("/no-such-page/"), client.get("/healthz"),
        client_for(officer_a).get(reverse("home")),
        client_for(officer_a).post(reverse("home")),
        client.get("/?q=%00"),
    ]
    for response in responses:
        policy = response["Permissions-Policy"]
        assert policy == PERMISSIONS_POLICY
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
            assert feature in policy


def test_the_static_files_carry_it_too():
    response = Client().get("/static/css/portal.css")
    assert response.status_code == 200 and "camera=()" in response["Permissions-Policy"]
