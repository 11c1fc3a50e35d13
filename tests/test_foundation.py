"""The skeleton's promises: migrations consistent, reference data seeded and in the admin, the
model choices equal to the policy engine's enums, Celery configured for both modes."""

from io import StringIO

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.db import IntegrityError, transaction

from riskcomp import choices
from riskcomp.policy import types


@pytest.mark.django_db
def test_migrations_match_the_models():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


@pytest.mark.parametrize(("model_choices", "enum"), [
    (choices.Scheme, types.Scheme), (choices.LoanType, types.LoanType),
    (choices.EnterpriseKind, types.EnterpriseKind), (choices.EnterpriseSize, types.EnterpriseSize),
    (choices.QualificationType, types.QualificationType),
    (choices.Classification, types.Classification), (choices.ReasonCode, types.ReasonCode),
])
def test_model_choices_are_the_policy_enums(model_choices, enum):
    assert set(model_choices.values) == {e.value for e in enum}


def test_every_domain_model_is_in_the_admin():
    for label in ("banks", "loans", "claims", "fund", "reports"):
        for model in apps.get_app_config(label).get_models():
            if model.__name__.endswith(("ObjectPermission",)):
                continue
            assert admin.site.is_registered(model), model


@pytest.mark.django_db
def test_policy_parameters_lpr_and_fund_size_are_seeded():
    from fund.models import FundSize, LprRate, PolicyVersion
    from fund.selectors import policy_context
    from riskcomp.policy.params import DEFAULT_LPR, DEFAULT_SCHEME_PARAMS

    assert PolicyVersion.objects.count() == 2
    assert LprRate.objects.count() == 2
    assert FundSize.objects.get(year=2026).amount == 100_000_000
    ctx = policy_context()
    # The seeded data is exactly the engine's defaults, field for field.
    assert sorted(ctx.params, key=lambda p: p.scheme) == sorted(DEFAULT_SCHEME_PARAMS,
                                                               key=lambda p: p.scheme)
    assert ctx.lpr == DEFAULT_LPR


@pytest.mark.django_db
def test_role_groups_exist():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= {
        "bank_officer", "custodian_reviewer", "bureau_approver", "auditor"}


@pytest.mark.django_db
def test_iou_is_unique_per_bank(bank_a, officer_a):
    from .factories import FilingFactory

    FilingFactory(bank=bank_a, filed_by=officer_a, iou_number="JJ-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        FilingFactory(bank=bank_a, filed_by=officer_a, iou_number="JJ-1")
    FilingFactory(iou_number="JJ-1")  # another bank may use the same number


@pytest.mark.django_db
def test_one_open_claim_per_filing(world):
    from claims.models import Claim

    from .factories import ClaimFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(filing=world["filing_a"])
    Claim.objects.filter(pk=world["claim_a"].pk).update(status=Claim.Status.REJECTED)
    ClaimFactory(filing=world["filing_a"])  # after a rejection the bank may claim again


@pytest.mark.django_db
def test_amounts_may_not_be_negative(bank_a, officer_a):
    from decimal import Decimal

    from .factories import FilingFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        FilingFactory(bank=bank_a, filed_by=officer_a, amount=Decimal("-1"),
                      amount_cny=Decimal("-1"))


@pytest.mark.django_db
def test_enterprise_credit_code_is_validated():
    from django.core.exceptions import ValidationError

    from loans.models import Enterprise

    from .factories import make_credit_code

    good = make_credit_code(7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    Enterprise(credit_code=good, name="甲", kind="company", size="small").full_clean()
    with pytest.raises(ValidationError) as err:
        Enterprise(credit_code=bad, name="乙", kind="company", size="small").full_clean()
    assert "校验" in str(err.value)


@pytest.mark.django_db
def test_ledger_is_append_only():
    from datetime import date
    from decimal import Decimal

    from django.core.exceptions import ValidationError

    from fund.models import LedgerEntry

    entry = LedgerEntry.objects.create(kind="capital", amount=Decimal("100.00"),
                                       booked_on=date(2026, 1, 5), memo="拨入")
    entry.amount = Decimal("1.00")
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    with pytest.raises(ValidationError):
        LedgerEntry.objects.all().delete()
    with pytest.raises(ValidationError):
        LedgerEntry.objects.update(amount=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(kind="compensation", amount=Decimal("5.00"),
                                   booked_on=date(2026, 1, 5), memo="sign must be negative")


@pytest.mark.django_db
def test_ledger_refuses_raw_update_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the database trigger exists on PostgreSQL only")
    from datetime import date
    from decimal import Decimal

    from django.db import DatabaseError

    from fund.models import LedgerEntry

    LedgerEntry.objects.create(kind="capital", amount=Decimal("100.00"),
                               booked_on=date(2026, 1, 5), memo="拨入")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE fund_ledgerentry SET amount = 0")


def test_celery_is_eager_without_redis_and_schedules_in_shanghai(settings):
    from riskcomp.celery import app

    assert app.conf.timezone == "Asia/Shanghai"
    assert "suspension-recompute-nightly" in app.conf.beat_schedule
    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks, entry
    if not settings.REDIS_URL:
        assert app.conf.task_always_eager is True


def test_production_settings_refuse_to_start_without_secret(monkeypatch):
    import importlib
    import sys

    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.delenv("DJANGO_SECRET_KEY", raising=False)
    sys.modules.pop("riskcomp.settings.production", None)
    sys.modules.pop("riskcomp.settings.base", None)
    with pytest.raises(ImproperlyConfigured):
        importlib.import_module("riskcomp.settings.production")
    sys.modules.pop("riskcomp.settings.base", None)
