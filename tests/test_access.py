"""Who may open what. Every URL pattern of the portal is walked, not only the ones someone
remembered: anonymous users are sent to log in, officers of another bank get 404 for every
guessed id, and roles without business on a screen get 403."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from api.models import ApiKey
from banks.models import Bank, CooperationAgreement
from claims.models import (
    Claim,
    ClaimDocument,
    Confirmation,
    Proposal,
    Recovery,
    RecoveryStatement,
    ReturnPayment,
    SpotCheck,
    SpotCheckItem,
    WriteOff,
)
from fund.models import CalendarYear, LedgerEntry, LprRate, PolicyVersion
from jobs.models import Job
from loans.models import Enterprise, ImportBatch, LoanFiling
from notifications.models import Notification
from reports.models import ReportFile
from riskcomp.middleware import PERSONAL_URLS

from .conftest import client_for
from .test_claims_bank import access_objects
from .test_import_security import import_access_objects
from .test_notifications import notification_access_objects

# URL name -> the model its <pk> addresses. A new object URL must be added here (the walker
# below fails otherwise), so no object screen escapes the isolation tests.
OBJECT_URLS = {
    "banks:bank_detail": Bank,
    "loans:filing_detail": LoanFiling,
    "claims:claim_detail": Claim,
    "loans:classification_create": LoanFiling,
    "banks:agreement_add": Bank,
    "banks:agreement_end": CooperationAgreement,
    "banks:manual_suspension": Bank,
    "banks:officer_add": Bank,
    "banks:officer_remove": Bank,
    "claims:claim_create": LoanFiling,
    "claims:claim_resubmit": Claim,
    "claims:recovery_create": Claim,
    "claims:writeoff_create": Claim,
    "claims:statement_create": Claim,
    "claims:return_create": Recovery,
    "claims:document_download": ClaimDocument,
    "claims:return_statement_download": ReturnPayment,
    "claims:writeoff_file_download": WriteOff,
    "claims:statement_file_download": RecoveryStatement,
    "loans:import_detail": ImportBatch,
    "loans:import_progress": ImportBatch,
    "loans:import_confirm": ImportBatch,
    "loans:import_rejected": ImportBatch,
    "claims:claim_pay": Claim,
    "claims:return_receive": ReturnPayment,
    "claims:spotcheck_detail": SpotCheck,
    "claims:spotcheck_item": SpotCheckItem,
    "notifications:open": Notification,
    "claims:proposal_detail": Proposal,
    "claims:proposal_decide": Proposal,
    "claims:proposal_pdf": Proposal,
    "claims:proposal_withdraw": Claim,
    "claims:confirmation_document": Confirmation,
    "claims:writeoff_detail": WriteOff,
    "claims:writeoff_forward": WriteOff,
    "claims:writeoff_reject": WriteOff,
    "claims:writeoff_decide": WriteOff,
    "claims:writeoff_file": WriteOff,
    "claims:review": Claim,
    "claims:document_inline": ClaimDocument,
    "reports:report_detail": ReportFile,
    "reports:report_progress": ReportFile,
    "reports:report_pdf": ReportFile,
    "reports:report_xlsx": ReportFile,
    "fund:entry_reverse": LedgerEntry,
    # A year, not a record id: the administrator's screen, refused to everybody else.
    "calendar:year": CalendarYear,

    "params:version_detail": PolicyVersion,
    "params:version_succeed": PolicyVersion,
    "params:version_edit": PolicyVersion,
    "params:version_delete": PolicyVersion,
    "params:lpr_edit": LprRate,
    "params:lpr_delete": LprRate,
    "jobs:job_retry": Job,
    "api_keys:revoke": ApiKey,
    "enterprises:enterprise_detail": Enterprise,
    "enterprises:enterprise_edit": Enterprise,
}
# Object URLs that only take POST: the walker posts an empty form to them.
POST_ONLY = {"loans:classification_create", "banks:agreement_add", "banks:agreement_end",
             "banks:manual_suspension", "banks:officer_add", "banks:officer_remove",
             "claims:return_receive",
             "notifications:open",
             "claims:proposal_decide", "claims:writeoff_forward", "claims:writeoff_reject",
             "claims:writeoff_decide", "params:version_delete", "params:lpr_delete",
             "jobs:job_retry", "api_keys:revoke"}
# The custodian's screens: a bank officer gets 403 whatever the id.
STAFF_ONLY = {"banks:agreement_add", "banks:agreement_end", "banks:manual_suspension",
              "claims:claim_pay", "claims:return_receive",
              "claims:spotcheck_detail", "claims:spotcheck_item",
              "banks:officer_add", "banks:officer_remove",
              "claims:proposal_detail", "claims:proposal_decide", "claims:proposal_pdf",
              "claims:proposal_withdraw",
              "claims:confirmation_document", "claims:writeoff_detail",
              "claims:writeoff_forward", "claims:writeoff_reject", "claims:writeoff_decide",
              "claims:writeoff_file", "claims:review", "claims:document_inline",
              "reports:report_detail", "reports:report_progress", "reports:report_pdf",
              "reports:report_xlsx",
              "fund:entry_reverse",
              "calendar:year",
              "params:version_detail", "params:version_succeed", "params:version_edit",
              "params:version_delete", "params:lpr_edit", "params:lpr_delete",
              "api_keys:revoke",
              "enterprises:enterprise_detail", "enterprises:enterprise_edit"}
PUBLIC = {"login", "set_language"}
# The bank API authenticates by key, not by login: tests/test_api_filings.py walks its URLs.
SKIP_NAMESPACES = {"admin", "api"}


def _walk(patterns, prefix=""):  # type: ignore[no-untyped-def]
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in SKIP_NAMESPACES:
                continue
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            yield from _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{prefix}{p.name}", p


def portal_urls() -> list[tuple[str, URLPattern]]:
    return list(_walk(get_resolver().url_patterns))


def _url(name: str, pattern: URLPattern, pk: int = 1) -> str:
    kwargs = {k: pk for k in pattern.pattern.converters}
    return reverse(name, kwargs=kwargs or None)


def test_every_object_url_is_covered_by_the_isolation_tests():
    with_pk = {name for name, p in portal_urls() if p.pattern.converters}
    missing = with_pk - set(OBJECT_URLS)
    assert not missing, f"object URLs without isolation test: {missing}"


@pytest.mark.django_db
def test_every_screen_requires_login(client):
    for name, pattern in portal_urls():
        if name in PUBLIC or name == "logout":
            continue
        response = client.get(_url(name, pattern))
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


@pytest.mark.django_db
def test_officer_gets_404_for_every_id_of_another_bank(world, officer_a):
    client = client_for(officer_a)
    own = {
        CooperationAgreement: set(),
        Job: set(),  # the world's batches were made without jobs: no job id is this bank's
        Bank: {world["filing_a"].bank_id},
        LoanFiling: {world["filing_a"].pk},
        Claim: {world["claim_a"].pk},
        # One recovery, return, write-off, statement and document per bank, with files.
        **access_objects(world),
        **import_access_objects(world),  # one import batch per bank
        **notification_access_objects(world),  # one notification per bank's officer
    }
    for name, model in OBJECT_URLS.items():
        pattern = dict(portal_urls())[name]
        top = model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for pk in range(1, top + 5):
            send = client.post if name in POST_ONLY else client.get
            status = send(_url(name, pattern, pk)).status_code
            if name in STAFF_ONLY:
                assert status == 403, (name, pk, status)
            elif pk in own[model]:
                assert status in (200, 302), (name, pk, status)
            else:
                assert status == 404, (name, pk, status)


@pytest.mark.django_db
def test_officer_lists_show_only_own_bank(world, officer_a):
    client = client_for(officer_a)
    filings = client.get(reverse("loans:filing_list")).content.decode()
    assert world["filing_a"].iou_number in filings
    assert world["filing_b"].iou_number not in filings
    claims = client.get(reverse("claims:claim_list")).content.decode()
    assert world["claim_a"].number in claims
    assert world["claim_b"].number not in claims
    # Searching for the other bank's IOU finds nothing either.
    found = client.get(reverse("loans:filing_list"), {"q": world["filing_b"].iou_number})
    assert "共 0 条" in found.content.decode()
    assert f'filings/{world["filing_b"].pk}/' not in found.content.decode()


@pytest.mark.django_db
def test_officer_without_any_bank_sees_nothing(world):
    from .factories import UserFactory

    lonely = UserFactory(role="bank_officer")
    client = client_for(lonely)
    url = reverse("loans:filing_detail", args=[world["filing_a"].pk])
    assert client.get(url).status_code == 404
    page = client.get(reverse("home")).content.decode()
    assert "尚未获得任何合作银行的授权" in page


@pytest.mark.django_db
def test_bank_officer_may_not_open_the_bank_list(officer_a):
    assert client_for(officer_a).get(reverse("banks:bank_list")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["reviewer", "approver", "auditor", "admin_user_"])
def test_cross_bank_roles_see_every_bank(request, world, role_fixture):
    client = client_for(request.getfixturevalue(role_fixture))
    for key in ("filing_a", "filing_b"):
        url = reverse("loans:filing_detail", args=[world[key].pk])
        assert client.get(url).status_code == 200
    for key in ("claim_a", "claim_b"):
        assert client.get(reverse("claims:claim_detail", args=[world[key].pk])).status_code == 200
    assert client.get(reverse("banks:bank_list")).status_code == 200


@pytest.mark.django_db
def test_user_without_role_is_refused_everywhere_but_home(world):
    from .factories import UserFactory

    client = client_for(UserFactory())
    assert "尚未分配角色" in client.get(reverse("home")).content.decode()
    assert client.get(reverse("loans:filing_list")).status_code == 403
    assert client.get(reverse("claims:claim_detail", args=[world["claim_a"].pk])).status_code == 403


@pytest.mark.django_db
def test_officer_access_is_one_permission_row_per_bank_not_per_filing(bank_a, officer_a):
    from guardian.models import UserObjectPermission

    from banks.models import BankUserObjectPermission

    from .factories import FilingFactory

    FilingFactory.create_batch(5, bank=bank_a, filed_by=officer_a)
    assert BankUserObjectPermission.objects.filter(user=officer_a).count() == 1
    assert UserObjectPermission.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture",
                         ["officer_a", "reviewer", "approver", "auditor", "admin_user_"])
def test_every_url_answers_every_role_without_a_server_error(request, world, role_fixture):
    """Every pattern, every role, with the ids that exist: an answer (a page, a redirect, 403,
    404 or 405), never a 500."""
    client = client_for(request.getfixturevalue(role_fixture))
    client.raise_request_exception = False
    ids = {model: list(model.objects.order_by("pk").values_list("pk", flat=True)[:2]) or [1]
           for model in set(OBJECT_URLS.values())}
    for name, pattern in portal_urls():
        if name == "logout":
            continue
        for pk in ids.get(OBJECT_URLS.get(name), [1]):
            status = client.get(_url(name, pattern, pk)).status_code
            assert status in (200, 302, 403, 404, 405), (role_fixture, name, pk, status)


@pytest.mark.django_db
def test_the_auditor_reads_and_changes_nothing(world, auditor):
    """Auditors are read-only: every POST outside their own session and notifications is
    refused, whatever the id."""
    client = client_for(auditor)
    ids = {model: model.objects.order_by("pk").values_list("pk", flat=True).first() or 1
           for model in set(OBJECT_URLS.values())}
    accepted = []
    for name, pattern in portal_urls():
        if name in PERSONAL_URLS:
            continue
        pk = ids.get(OBJECT_URLS.get(name), 1)
        status = client.post(_url(name, pattern, pk)).status_code
        if status not in (403, 404, 405):
            accepted.append((name, status))
    assert not accepted
