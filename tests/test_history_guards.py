"""A history no one can erase (PostgreSQL): the ledger, the audit trail and the security trail
refuse TRUNCATE as well as UPDATE and DELETE, and the role the application connects as in
production (``grant_app_role``) can only read and append to them: it cannot truncate them,
disable their triggers or replicate around them."""

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import SecurityEvent
from banks.models import Bank
from fund.models import LedgerEntry
from fund.services import ledger_post
from riskcomp.management.commands.grant_app_role import history_tables

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
HISTORY = ("fund_ledgerentry", "auditlog_logentry", "accounts_securityevent")
PASSWORD = "Secret-pass-123"  # tests/factories.py UserFactory


@pytest.fixture(autouse=True)
def _postgresql_only():  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("the triggers and roles exist on PostgreSQL only; set DATABASE_URL")


def run(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def refused(sql: str, match: str) -> None:
    # Rows written in this test's transaction leave deferred foreign-key checks pending, and
    # PostgreSQL truncates no table with pending trigger events: check them now.
    run("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        run(sql)


def capital(amount: str = "1000000.00") -> LedgerEntry:
    return ledger_post(kind=LedgerEntry.Kind.CAPITAL, amount=Decimal(amount),
                       booked_on=date(2026, 1, 5), memo="财政拨入", reference="CZ-1", actor=None)


def test_the_history_tables_are_the_guarded_ones():
    assert set(history_tables()) == set(HISTORY)
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgrelid::regclass::text FROM pg_trigger "
                       "WHERE tgname LIKE '%%_no_truncate' AND tgenabled = 'O'")
        assert {r[0] for r in cursor.fetchall()} == set(HISTORY)


@pytest.mark.parametrize("table", HISTORY)
def test_truncate_is_refused_unless_the_session_allows_it(table, reviewer):
    Client().post(reverse("login"), {"username": "reviewer", "password": PASSWORD})
    capital()
    run("SET LOCAL riskcomp.allow_truncate = off")
    refused(f"TRUNCATE {table} CASCADE", "append-only: the history cannot be truncated")
    assert LedgerEntry.objects.exists() and SecurityEvent.objects.exists()


def test_a_truncate_that_cascades_into_the_ledger_is_refused(reviewer):
    capital()
    run("SET LOCAL riskcomp.allow_truncate = off")
    # The ledger refers to claims and banks: emptying them with CASCADE would empty it too.
    refused("TRUNCATE banks_bank CASCADE", "fund_ledgerentry is append-only")
    assert LedgerEntry.objects.count() == 1


def test_the_test_settings_allow_truncate_for_the_flush():
    with connection.cursor() as cursor:
        cursor.execute("SHOW riskcomp.allow_truncate")
        assert cursor.fetchone() == ("on",)
    capital()
    run("SET CONSTRAINTS ALL IMMEDIATE")
    run("TRUNCATE fund_ledgerentry")
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_transactional_tests_are_emptied_with_the_history_in_them():
    # pytest-django flushes after this test with TRUNCATE; a refusal would error the teardown.
    capital()
    assert LedgerEntry.objects.count() == 1


@pytest.fixture
def app_role():  # type: ignore[no-untyped-def]
    """A role like the production application's: not the owner, granted by the command.
    Roles are global to the server: the name carries the test database's, and the role goes
    with the test's transaction."""
    name = f"app_{connection.settings_dict['NAME']}"[:63]
    run(f"CREATE ROLE {connection.ops.quote_name(name)} NOLOGIN")
    call_command("grant_app_role", name, stdout=open("/dev/null", "w"))  # noqa: SIM115
    return name


def test_the_application_role_works_but_cannot_rewrite_history(app_role, reviewer, auditor,
                                                                  bank_a):
    run(f"SET LOCAL ROLE {connection.ops.quote_name(app_role)}")
    # The application works as usual: logins, the security trail, the audit trail, the ledger.
    client = Client()
    assert client.post(reverse("login"), {"username": "reviewer",
                                          "password": PASSWORD}).status_code == 302
    entry = capital()
    bank_a.short_name = "甲行"
    bank_a.save()
    assert client.get(reverse("fund:overview")).status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN).exists()
    assert LogEntry.objects.filter(object_pk=str(bank_a.pk)).exists()
    assert Bank.objects.get(pk=bank_a.pk).short_name == "甲行"
    # ... but not one way to rewrite or erase the history is open to it.
    for table in HISTORY:
        refused(f"UPDATE {table} SET id = id", "permission denied")  # noqa: S608
        refused(f"DELETE FROM {table}", "permission denied")  # noqa: S608
        run("SET LOCAL riskcomp.allow_truncate = on")  # any role may set it: no help here
        refused(f"TRUNCATE {table}", "permission denied")
        refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL", "must be owner")
        refused(f"DROP TRIGGER {table}_no_truncate ON {table}", "must be owner")
    refused("TRUNCATE banks_bank CASCADE", "permission denied")
    refused("SET session_replication_role = replica", "permission denied")
    run("RESET ROLE")
    assert LedgerEntry.objects.get() == entry
    assert SecurityEvent.objects.exists()


def test_the_command_refuses_the_owner_a_superuser_and_an_unknown_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner,) = cursor.fetchone()
    with pytest.raises(CommandError, match=r"超级用户|拥有数据表"):
        call_command("grant_app_role", owner)
    with pytest.raises(CommandError, match="不存在"):
        call_command("grant_app_role", "no_such_role_here")
