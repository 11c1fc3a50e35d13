"""Reads of the shared borrower master data for the custodian's screen: the master rows, and
for one enterprise what each bank filed about it (the names and sizes in its filings'
snapshots), which can differ from the master row and from one bank to the next."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Coalesce

from riskcomp.choices import EnterpriseSize

from .models import Enterprise, LoanFiling

# The filings listed under each bank on the enterprise's page (the count says how many more).
FILINGS_PER_BANK = 20


def enterprise_master_list() -> QuerySet[Enterprise]:
    """Every enterprise, with how many banks and filings name it."""
    per_enterprise = (LoanFiling.objects.filter(enterprise=OuterRef("pk")).order_by()
                      .values("enterprise"))
    return Enterprise.objects.annotate(
        n_banks=Coalesce(Subquery(per_enterprise.annotate(
            c=Count("bank", distinct=True)).values("c")), Value(0)),
        n_filings=Coalesce(Subquery(per_enterprise.annotate(c=Count("pk")).values("c")),
                           Value(0)),
    ).annotate(is_shared=Q(n_banks__gt=1))


@dataclass
class BankFiled:
    """What one bank filed about the enterprise."""

    bank_id: int
    bank_name: str
    names: list[tuple[str, int]] = field(default_factory=list)  # (name as filed, filings)
    sizes: list[tuple[str, int]] = field(default_factory=list)  # (size as filed, filings)
    total: int = 0
    first: date | None = None
    last: date | None = None
    filings: list[LoanFiling] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.total - len(self.filings)


def enterprise_filed_by_bank(enterprise: Enterprise) -> list[BankFiled]:
    """Per bank that filed ``enterprise``: the names and sizes of its filings' snapshots with
    how many filings say each, its first and last drawdown, and its newest filings."""
    filings = LoanFiling.objects.filter(enterprise=enterprise).order_by()
    size = KeyTextTransform("size", KeyTransform("enterprise", "snapshot"))
    banks: dict[int, BankFiled] = {}
    for row in (filings.values("bank_id", "bank__short_name", "bank__name")
                .annotate(total=Count("pk"), first=Min("drawdown_date"),
                          last=Max("drawdown_date"))
                .order_by("bank__short_name", "bank_id")):
        banks[row["bank_id"]] = BankFiled(
            bank_id=row["bank_id"], bank_name=row["bank__short_name"] or row["bank__name"],
            total=row["total"], first=row["first"], last=row["last"])
    for name_row in (filings.values("bank_id", "enterprise_name").annotate(n=Count("pk"))
                     .order_by("bank_id", "-n", "enterprise_name")):
        banks[name_row["bank_id"]].names.append((name_row["enterprise_name"], name_row["n"]))
    for size_row in (filings.annotate(filed_size=size).values("bank_id", "filed_size")
                     .annotate(n=Count("pk")).order_by("bank_id", "-n", "filed_size")):
        code = size_row["filed_size"] or ""
        label = str(EnterpriseSize(code).label) if code in EnterpriseSize.values else code
        banks[size_row["bank_id"]].sizes.append((label, size_row["n"]))
    for bank_id, entry in banks.items():
        entry.filings = list(filings.filter(bank_id=bank_id)
                             .order_by("-drawdown_date", "-pk")
                             .only("pk", "iou_number", "enterprise_name", "drawdown_date",
                                   "amount_cny", "scheme", "status", "snapshot")
                             [:FILINGS_PER_BANK])
    return list(banks.values())


def enterprise_names_differ(enterprise: Enterprise, banks: list[BankFiled]) -> bool:
    return any(name != enterprise.name for bank in banks for name, _n in bank.names)


def enterprise_detail_context(enterprise: Enterprise) -> dict[str, Any]:
    banks = enterprise_filed_by_bank(enterprise)
    return {"banks": banks, "names_differ": enterprise_names_differ(enterprise, banks),
            "qualifications": list(enterprise.qualifications.all())}
