"""The totals a bank's suspension is decided on, read where the records are kept: filings (loans)
and claims, payments and returns (claims). ``banks`` receives them as values."""

from decimal import Decimal

from django.db.models import Sum

from banks.services import NO_TOTALS, SchemeTotals
from loans.models import LoanFiling

from ..models import Claim, Payment, ReturnPayment


def suspension_totals() -> dict[tuple[int, str], SchemeTotals]:
    """Every bank's filed principal, claimed principal, paid compensation and returns, per
    scheme: one aggregate query per table, grouped by (bank, scheme), whatever the number of
    banks, filings or claims (RULES.md, "Suspension of a bank")."""
    sources = (
        # filed principal: the principal of its accepted filings (only accepted ones are stored)
        (LoanFiling.objects.values_list("bank_id", "scheme"), "amount_cny"),
        # claimed principal: the base of its claims submitted and not rejected
        (Claim.objects.exclude(status__in=Claim.CLOSED_STATUSES)
         .values_list("bank_id", "scheme"), "base"),
        (Payment.objects.values_list("claim__bank_id", "claim__scheme"), "amount"),
        (ReturnPayment.objects.values_list("recovery__claim__bank_id",
                                           "recovery__claim__scheme"), "amount"),
    )
    rows: dict[tuple[int, str], list[Decimal]] = {}
    for position, (qs, field) in enumerate(sources):
        for bank_id, scheme, total in qs.order_by().annotate(total=Sum(field)):
            row = rows.setdefault((bank_id, scheme), list(NO_TOTALS))
            row[position] = total or NO_TOTALS[position]
    return {key: (row[0], row[1], row[2], row[3]) for key, row in rows.items()}
