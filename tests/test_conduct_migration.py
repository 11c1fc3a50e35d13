"""loans 0006: the single conduct flag becomes one attestation per scheme (MICRO Art. 5(2); TECH
Art. 2, 6(2)). An enterprise's former answer becomes its answer for both schemes, and the rows
kept by earlier filing imports take the template's two columns, so their rejected-rows workbook
still matches the template."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from loans.importing import FILINGS
from loans.resources import MICRO_CONDUCT_HEADER, TECH_CONDUCT_HEADER

from .factories import make_credit_code

BEFORE = [("loans", "0005_import_preview_column")]
AFTER = [("loans", "0006_enterprise_conduct_per_scheme")]

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest_schema():  # type: ignore[no-untyped-def]
    """Later tests need every migration applied again, the ones after AFTER included."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_the_single_flag_becomes_both_attestations_and_stored_rows_take_both_columns():
    old = _migrate(BEFORE)
    Enterprise = old.get_model("loans", "Enterprise")
    Bank = old.get_model("banks", "Bank")
    User = old.get_model("auth", "User")
    ImportBatch = old.get_model("loans", "ImportBatch")
    Enterprise.objects.create(credit_code=make_credit_code(1), name="甲", kind="company",
                              size="small", is_conduct_ok=True)
    Enterprise.objects.create(credit_code=make_credit_code(2), name="乙", kind="company",
                              size="small", is_conduct_ok=False)
    bank = Bank.objects.create(name="甲银行", short_name="甲", code="A")
    user = User.objects.create(username="officer")
    # A row of the template before: 32 cells, the conduct answer the 6th.
    old_row = [2, "91110302MA01A2B3CX", "甲", "企业法人", "小型", "是", "否", "是",
               *[None] * 25]
    ImportBatch.objects.create(bank=bank, kind="filings", file="imports/a.xlsx",
                               original_name="a.xlsx", sha256="0" * 64, uploaded_by=user,
                               result={"rows": [old_row]})

    new = _migrate(AFTER)
    Enterprise = new.get_model("loans", "Enterprise")
    attested = {e.name: (e.is_micro_conduct_ok, e.is_tech_conduct_ok)
                for e in Enterprise.objects.all()}
    assert attested == {"甲": (True, True), "乙": (False, False)}
    (row,) = new.get_model("loans", "ImportBatch").objects.get().result["rows"]
    assert len(row) == 1 + len(FILINGS.headers)
    assert row[1 + FILINGS.headers.index(MICRO_CONDUCT_HEADER)] == "否"
    assert row[1 + FILINGS.headers.index(TECH_CONDUCT_HEADER)] == "否"
    assert row[1 + FILINGS.headers.index("属于科创支持范围")] == "是"
    assert row[1 + FILINGS.headers.index("是否在经开区")] == "是"
