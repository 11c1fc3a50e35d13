"""The audit trail: who changed what, when, from where and why, for every domain record, bulk
writes included; shown on the record pages and searchable by auditors; never editable."""

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from banks.models import Bank, SuspensionState
from banks.services import suspension_manual_set
from claims.models import Claim, SpotCheckItem
from claims.review.services import claim_review_reject
from claims.spotcheck.services import spot_check_draw
from claims.suspension.services import suspension_recompute
from loans.models import Enterprise, ImportBatch, LoanFiling
from riskcomp.audit import (
    REASON_KEY,
    audit_bulk_created,
    audit_context,
    audit_entries_for,
    audit_values,
    audited_models,
    trail_rows,
)

from .conftest import client_for
from .factories import BankFactory, ClaimFactory, FilingFactory, UserFactory, make_credit_code
from .test_import import _media, _today, row, workbook  # noqa: F401

CREATE, UPDATE, DELETE = LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE


def entries_of(model: type, **kw: object):  # type: ignore[no-untyped-def]
    return LogEntry.objects.filter(content_type=ContentType.objects.get_for_model(model), **kw)


# --- What is recorded -------------------------------------------------------------------------

def test_every_domain_model_is_audited_and_notifications_are_not():
    labels = {m._meta.label for m in audited_models()}
    assert {"banks.Bank", "banks.Branch", "banks.CooperationAgreement", "banks.SuspensionState",
            "banks.SuspensionChange", "loans.Enterprise", "loans.Qualification",
            "loans.LoanFiling", "loans.ClassificationReport", "loans.ImportBatch",
            "claims.Claim", "claims.Payment", "claims.SpotCheckItem", "claims.WriteOff",
            "fund.PolicyVersion", "fund.LprRate", "fund.CalendarYear", "fund.CalendarDay",
            "fund.FundSize", "fund.LedgerEntry", "reports.ReportFile"} <= labels
    from django.apps import apps

    assert {m._meta.label for m in apps.get_app_config("claims").get_models()} <= labels
    assert "notifications.Notification" not in labels


@pytest.mark.django_db
def test_manual_suspension_from_the_bank_page_records_who_when_where_what_and_why(reviewer):
    bank = BankFactory()
    before = timezone.now()
    client_for(reviewer).post(reverse("banks:manual_suspension", args=[bank.pk]),
                              {"action": "suspend", "reason": "追偿工作不力"},
                              REMOTE_ADDR="10.20.30.40")
    state = SuspensionState.objects.get(bank=bank, scheme="TECH")
    entry = entries_of(SuspensionState, object_id=state.pk, action=UPDATE).get()
    assert entry.actor == reviewer
    assert entry.remote_addr == "10.20.30.40"
    assert entry.timestamp >= before
    assert entry.changes_dict["is_manually_suspended"] == ["False", "True"]
    assert entry.additional_data == {REASON_KEY: "追偿工作不力"}
    # The history row written in the same service carries the same who and why.
    change = entries_of(bank.suspension_changes.model).get()
    assert (change.actor, change.remote_addr) == (reviewer, "10.20.30.40")
    assert change.additional_data[REASON_KEY] == "追偿工作不力"


@pytest.mark.django_db
def test_the_forwarded_address_is_read_only_behind_a_trusted_proxy(reviewer, settings):
    bank = BankFactory()
    url = reverse("banks:manual_suspension", args=[bank.pk])
    client = client_for(reviewer)
    # No proxy configured: a client cannot put another address in the trail.
    client.post(url, {"action": "suspend", "reason": "甲"}, REMOTE_ADDR="10.0.0.9",
                HTTP_X_FORWARDED_FOR="1.1.1.1")
    settings.RISKCOMP_PROXY_COUNT = 1
    # Behind one proxy the last address it appended is the client's, whatever came before.
    client.post(url, {"action": "lift", "reason": "乙"}, REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR="1.1.1.1, 172.16.5.6")
    state = SuspensionState.objects.get(bank=bank)
    addresses = list(entries_of(SuspensionState, object_id=state.pk, action=UPDATE)
                     .order_by("pk").values_list("remote_addr", flat=True))
    assert addresses == ["10.0.0.9", "172.16.5.6"]


@pytest.mark.django_db
def test_a_rejected_claim_records_the_status_change_with_the_reviewers_note(reviewer):
    claim = ClaimFactory()
    claim_review_reject(claim=claim, code="NOT_NPL", note="征信报告未显示不良", actor=reviewer)
    status = [e for e in entries_of(Claim, object_id=claim.pk, action=UPDATE)
              if "status" in e.changes_dict]
    assert len(status) == 1
    entry = status[0]
    assert entry.changes_dict["status"] == ["submitted", "rejected"]
    assert entry.actor == reviewer  # no request: the service's actor
    assert "征信报告未显示不良" in entry.additional_data[REASON_KEY]
    row = trail_rows([entry])[0]
    assert [(c.label, c.old, c.new) for c in row.changes] == [("状态", "待初审", "初审不通过")]


@pytest.mark.django_db
def test_a_nested_context_gives_back_the_requests_user_and_address(reviewer, officer_a):
    with audit_context(actor=reviewer, remote_addr="10.9.9.9"):
        with audit_context(reason="内层原因", actor=officer_a):
            inner = BankFactory()
        outer = BankFactory()
    outside = BankFactory()
    one = entries_of(Bank, object_id=inner.pk).get()
    two = entries_of(Bank, object_id=outer.pk).get()
    three = entries_of(Bank, object_id=outside.pk).get()
    # The enclosing context's user wins; the reason stays with the inner block.
    assert (one.actor, one.remote_addr, one.additional_data) == (
        reviewer, "10.9.9.9", {REASON_KEY: "内层原因"})
    assert (two.actor, two.remote_addr, two.additional_data) == (reviewer, "10.9.9.9", None)
    assert (three.actor, three.remote_addr) == (None, None)


@pytest.mark.django_db
def test_bulk_entries_are_written_as_auditlog_writes_them(officer_a):
    """An entry written for a bulk insert reads exactly like the one auditlog writes on save()."""
    filing = FilingFactory(filed_by=officer_a, snapshot={"b": 1, "a": "甲"},
                           ratio=Decimal("0.3000"))
    saved = entries_of(LoanFiling, object_id=filing.pk).get()
    audit_bulk_created([filing], actor=officer_a)
    bulk = entries_of(LoanFiling, object_id=filing.pk).exclude(pk=saved.pk).get()
    # auditlog also lists reverse relations and empty relations (None → None): nothing changed.
    concrete = {f.name for f in LoanFiling._meta.concrete_fields}
    assert bulk.changes_dict == {k: v for k, v in saved.changes_dict.items()
                                 if k in concrete and v != ["None", "None"]}
    assert (bulk.object_repr, bulk.action, bulk.actor) == (saved.object_repr, CREATE, officer_a)


# --- Bulk writes --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_large_batch_is_logged_in_one_statement_with_who_and_why(officer_a):
    """250 rows: on PostgreSQL through COPY, elsewhere in batched INSERTs; the same entries."""
    banks = Bank.objects.bulk_create(
        Bank(name=f"批量银行{i}", short_name=f"批{i}", code=f"BULK{i:03d}") for i in range(250))
    with audit_context(remote_addr="10.3.3.3"), CaptureQueriesContext(connection) as queries:
        assert audit_bulk_created(banks, actor=officer_a, reason="批量导入") == 250
    writes = [q for q in queries if "auditlog_logentry" in q["sql"]]
    # PostgreSQL: one COPY (which Django's query log does not see); SQLite: the few INSERTs its
    # limit of 999 parameters per statement needs.
    assert len(writes) <= (0 if connection.vendor == "postgresql" else 5)
    logged = entries_of(Bank, action=CREATE, object_id__in=[b.pk for b in banks])
    assert logged.count() == 250
    entry = logged.get(object_id=banks[7].pk)
    assert entry.changes_dict["name"] == ["None", "批量银行7"]
    assert entry.changes_dict["is_active"] == ["None", "True"]
    assert (entry.actor, entry.remote_addr, entry.object_repr) == (officer_a, "10.3.3.3",
                                                                   "批量银行7")
    assert entry.additional_data == {REASON_KEY: "批量导入"}
    assert entry.timestamp is not None
    row = trail_rows([entry])[0]
    assert ("银行名称", "—", "批量银行7") in [(c.label, c.old, c.new) for c in row.changes]


def _rows(first: int, n: int) -> list[dict[str, object]]:
    return [row(**{"统一社会信用代码": make_credit_code(first + i), "借据号": f"JJ-{first + i}",
                   "合同号": f"HT-{first + i}", "贷款金额": "100000.00"}) for i in range(n)]


@pytest.mark.django_db
def test_the_import_logs_every_filing_in_the_same_number_of_queries(
        both_schemes, officer_a, upload, confirm):
    client = client_for(officer_a)
    counts, inserts = [], []
    for first, n in ((1000, 3), (2000, 20)):
        upload(client, workbook(_rows(first, n)), name=f"{first}.xlsx")
        batch = ImportBatch.objects.latest("created_at")
        assert batch.accepted_rows == n
        with CaptureQueriesContext(connection) as queries:
            confirm(client, batch)
        counts.append(len(queries))
        inserts.append(len([q for q in queries if q["sql"].startswith(
            'INSERT INTO "auditlog_logentry"')]))
        filings = LoanFiling.objects.filter(import_batch=batch)
        assert filings.count() == n
        created = entries_of(LoanFiling, action=CREATE,
                             object_id__in=filings.values("pk"))
        assert created.count() == n
        # The commit runs in a task: the officer who confirmed is on every entry.
        assert set(created.values_list("actor", flat=True)) == {officer_a.pk}
        assert entries_of(Enterprise, action=CREATE, object_id__in=filings.values(
            "enterprise")).count() == n
        # The batch's own changes (confirmed, committed) are in its trail.
        statuses = [e.changes_dict.get("status") for e in entries_of(
            ImportBatch, object_id=batch.pk).order_by("pk")]
        assert ["validating", "validated"] in statuses
        assert ["committing", "committed"] in statuses
    assert counts[0] == counts[1]
    assert inserts[0] == inserts[1] <= 6  # batch, enterprises, filings: one insert each


@pytest.mark.django_db
def test_enterprise_facts_changed_by_an_import_are_logged_old_to_new(
        both_schemes, officer_a, upload, confirm):
    client = client_for(officer_a)
    upload(client, workbook([row()]))
    confirm(client, ImportBatch.objects.latest("created_at"))
    upload(client, workbook([row(**{"借据号": "JJ-9", "合同号": "HT-9",
                                     "企业名称": "北京亦庄芯测科技股份有限公司"})]), name="b.xlsx")
    confirm(client, ImportBatch.objects.latest("created_at"))
    enterprise = Enterprise.objects.get()
    update = entries_of(Enterprise, object_id=enterprise.pk, action=UPDATE).get()
    assert update.changes_dict == {"name": ["北京亦庄芯测科技有限公司",
                                            "北京亦庄芯测科技股份有限公司"]}


@pytest.mark.django_db
def test_suspension_recompute_logs_the_states_it_writes_in_bulk_with_the_reason():
    from .test_suspension_scale import give_back, pay

    bank = BankFactory()
    claim = ClaimFactory(filing=FilingFactory(bank=bank, scheme="MICRO",
                                              ratio=Decimal("0.30")),
                         status="paid", base=Decimal("6000000.00"))
    pay(claim, "6000000.00")
    suspension_recompute()
    state = SuspensionState.objects.get(bank=bank, scheme="MICRO")
    assert state.is_auto_suspended
    created = entries_of(SuspensionState, object_id=state.pk, action=CREATE).get()
    assert created.changes_dict["is_auto_suspended"] == ["None", "True"]
    assert created.additional_data[REASON_KEY]
    give_back(claim, "5000000.00")
    suspension_recompute()
    update = entries_of(SuspensionState, object_id=state.pk, action=UPDATE).get()
    assert update.changes_dict["is_auto_suspended"] == ["True", "False"]
    assert update.changes_dict["net_compensation"] == ["6000000.00", "1000000.00"]
    assert "恢复" in update.additional_data[REASON_KEY]
    # Nothing changed: nothing logged.
    suspension_recompute()
    assert entries_of(SuspensionState, object_id=state.pk).count() == 2


@pytest.mark.django_db
def test_spot_check_sample_is_logged_item_by_item(reviewer):
    from .test_suspension_scale import pay

    for _ in range(3):
        pay(ClaimFactory(status="paid"), "10.00")
    year = 2026
    with CaptureQueriesContext(connection) as queries:
        check = spot_check_draw(year=year, sample_size=2, seed="seed", actor=reviewer)
    items = SpotCheckItem.objects.filter(spot_check=check)
    logged = entries_of(SpotCheckItem, action=CREATE, object_id__in=items.values("pk"))
    assert logged.count() == 2
    assert all(e.actor == reviewer for e in logged)
    assert len([q for q in queries if "auditlog_logentry" in q["sql"]
                and q["sql"].startswith("INSERT")]) == 2  # the check, then its items at once


@pytest.mark.django_db
def test_audit_values_skip_the_fields_left_out_of_the_trail(officer_a, bank_a):
    batch = ImportBatch.objects.create(bank=bank_a, original_name="a.xlsx", sha256="0" * 64,
                                       uploaded_by=officer_a, result={"rows": [[1, "x"]]})
    assert "result" not in audit_values(batch) and "progress" not in audit_values(batch)
    created = entries_of(ImportBatch, object_id=batch.pk).get()
    assert "result" not in created.changes_dict


# --- Nobody changes the trail ---------------------------------------------------------------------

@pytest.mark.django_db
def test_the_admin_shows_the_trail_read_only(admin_user_):
    BankFactory()
    entry = LogEntry.objects.latest("pk")
    client = client_for(admin_user_)
    assert client.get(reverse("admin:auditlog_logentry_changelist")).status_code == 200
    assert client.get(reverse("admin:auditlog_logentry_add")).status_code == 403
    change_url = reverse("admin:auditlog_logentry_change", args=[entry.pk])
    page = client.get(change_url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(change_url, {"object_repr": "x"}).status_code == 403
    delete_url = reverse("admin:auditlog_logentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    bulk = client.post(reverse("admin:auditlog_logentry_changelist"),
                       {"action": "delete_selected", "_selected_action": [entry.pk]})
    assert bulk.status_code in (200, 302)
    assert LogEntry.objects.filter(pk=entry.pk).exists()
    entry.refresh_from_db()
    assert entry.object_repr != "x"


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_to_update_or_delete_the_trail():
    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    BankFactory()
    entry = LogEntry.objects.latest("pk")
    for statement in ("UPDATE auditlog_logentry SET object_repr = 'x' WHERE id = %s",
                      "DELETE FROM auditlog_logentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).update(object_repr="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        LogEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.object_repr != "x"


# --- The record pages ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_claim_page_shows_its_trail_to_staff_and_not_to_the_bank(reviewer, auditor,
                                                                     officer_a, bank_a):
    claim = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a),
                         created_by=officer_a)
    with audit_context(remote_addr="10.1.1.1"):
        claim_review_reject(claim=claim, code="NOT_NPL", note="征信报告未显示不良",
                            actor=reviewer)
    url = reverse("claims:claim_detail", args=[claim.pk])
    page = client_for(auditor).get(url).content.decode()
    assert "变更记录" in page
    assert "待初审 → 初审不通过" in page
    assert "征信报告未显示不良" in page and "10.1.1.1" in page
    assert "初审意见" in page  # the review decision written with it
    officer_page = client_for(officer_a).get(url).content.decode()
    assert "变更记录" not in officer_page and "10.1.1.1" not in officer_page


@pytest.mark.django_db
def test_filing_and_bank_pages_show_their_trails_with_related_records(reviewer, officer_a,
                                                                      bank_a):
    filing = FilingFactory(bank=bank_a, filed_by=officer_a)
    suspension_manual_set(bank=bank_a, scheme="TECH", reason="追偿不力", actor=reviewer)
    client = client_for(reviewer)
    filing_page = client.get(reverse("loans:filing_detail", args=[filing.pk])).content.decode()
    assert "变更记录" in filing_page and filing.iou_number in filing_page
    bank_page = client.get(reverse("banks:bank_detail", args=[bank_a.pk])).content.decode()
    assert "变更记录" in bank_page and "人工暂停" in bank_page and "追偿不力" in bank_page


@pytest.mark.django_db
def test_a_records_trail_is_read_in_a_fixed_number_of_queries(reviewer, officer_a, bank_a):
    claim = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a))
    claim_review_reject(claim=claim, code="NOT_NPL", note="甲", actor=reviewer)
    with CaptureQueriesContext(connection) as few:
        rows, total = audit_entries_for(claim, related=(claim.reviews.all(),))
    for i in range(8):
        other = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a))
        other.reject_code = "NOT_NPL"
        other.save()
        claim.compensation = Decimal("1.00") + i
        claim.save()
    with CaptureQueriesContext(connection) as many:
        rows, total = audit_entries_for(claim, related=(claim.reviews.all(),))
    assert total == len(rows) > 8
    assert len(many.captured_queries) == len(few.captured_queries)


# --- The auditor's search screen ------------------------------------------------------------------

@pytest.fixture
def trail(reviewer, officer_a, bank_a):  # type: ignore[no-untyped-def]
    with audit_context(actor=officer_a, remote_addr="10.0.0.1"):
        filing = FilingFactory(bank=bank_a, filed_by=officer_a)
    with audit_context(actor=reviewer, remote_addr="10.0.0.2"):
        suspension_manual_set(bank=bank_a, scheme="TECH", reason="追偿不力", actor=reviewer)
    old = entries_of(LoanFiling, object_id=filing.pk).get()
    return {"filing": filing, "filing_entry": old}


@pytest.mark.django_db
def test_the_search_screen_filters_by_model_user_action_record_and_date(auditor, reviewer,
                                                                        officer_a, trail):
    client = client_for(auditor)
    url = reverse("audit:search")
    filing_type = ContentType.objects.get_for_model(LoanFiling).pk

    def found(**params: object) -> str:
        response = client.get(url, params)
        assert response.status_code == 200
        return response.content.decode()

    everything = found()
    assert trail["filing"].iou_number in everything and "追偿不力" in everything
    only_filings = found(model=filing_type)
    assert trail["filing"].iou_number in only_filings and "追偿不力" not in only_filings
    by_reviewer = found(actor=reviewer.pk)
    assert "追偿不力" in by_reviewer and trail["filing"].iou_number not in by_reviewer
    assert "共 0 条" in found(action=DELETE)
    assert trail["filing"].iou_number in found(object=trail["filing"].pk, model=filing_type)
    assert "10.0.0.2" in found(q="10.0.0.2") and "10.0.0.1" not in found(q="10.0.0.2")
    today = timezone.localtime(LogEntry.objects.latest("timestamp").timestamp).date()
    assert "共 0 条" in found(**{"from": (today + timedelta(days=1)).isoformat()})
    assert "共 0 条" not in found(**{"from": today.isoformat(), "to": today.isoformat()})


@pytest.mark.django_db
def test_the_search_exports_the_filtered_trail_to_excel(auditor, reviewer, trail):
    response = client_for(auditor).get(reverse("audit:search"),
                                       {"actor": reviewer.pk, "export": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("时间（北京时间）", "操作人", "IP地址", "操作")
    assert len(rows) == 1 + LogEntry.objects.filter(actor=reviewer).count()
    assert all(r[2] == "10.0.0.2" for r in rows[1:])
    assert any("追偿不力" in (r[8] or "") for r in rows[1:])


@pytest.mark.django_db
@pytest.mark.parametrize("role_fixture", ["auditor", "reviewer", "approver", "admin_user_"])
def test_staff_roles_open_the_search_screen(request, role_fixture, trail):
    user = request.getfixturevalue(role_fixture)
    assert client_for(user).get(reverse("audit:search")).status_code == 200


@pytest.mark.django_db
def test_bank_officers_and_users_without_a_role_get_403(officer_a, trail):
    url = reverse("audit:search")
    assert client_for(officer_a).get(url).status_code == 403
    assert client_for(officer_a).get(url, {"export": "xlsx"}).status_code == 403
    assert client_for(UserFactory()).get(url).status_code == 403


@pytest.mark.django_db
def test_the_nav_shows_the_audit_log_to_auditors_and_administrators(auditor, admin_user_,
                                                                    reviewer, officer_a):
    url = reverse("audit:search")
    for user, shown in ((auditor, True), (admin_user_, True), (reviewer, False),
                        (officer_a, False)):
        home = client_for(user).get(reverse("home")).content.decode()
        assert (f'href="{url}"' in home) is shown, user
