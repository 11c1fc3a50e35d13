"""Writes on the fund: posting to the append-only ledger, and the lock that keeps two payments
from spending the same balance (RULES.md "The fund": the balance is the sum of the entries)."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction

from .models import LedgerEntry

# The key of the PostgreSQL advisory lock held by every transaction that takes money out of the
# fund ("RISKCOMP" in ASCII, a fixed 64-bit number no other lock of this database uses).
FUND_LOCK_KEY = 0x5249534B434F4D50


def fund_lock() -> None:
    """Hold the fund until the current transaction ends, so that its balance check and the
    outflow it allows cannot interleave with another payment's.

    The balance is a sum over the ledger: there is no single row whose ``select_for_update``
    would stop a second payment from reading the same balance (locking the existing entries does
    not stop new ones from being inserted), and adding a "fund" row only to lock it would put a
    second source of truth beside the ledger. A transaction-level advisory lock needs no row,
    and PostgreSQL releases it itself at commit or rollback, so no path can leave it held. On
    SQLite (development, unit tests) a write transaction already excludes every other writer.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("fund_lock() must be called inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FUND_LOCK_KEY])


@transaction.atomic
def ledger_post(*, kind: str, amount: Decimal, booked_on: date, memo: str, actor: Any,
                scheme: str = "", bank_id: int | None = None, claim_id: int | None = None,
                payment_id: int | None = None, return_payment_id: int | None = None,
                reference: str = "") -> LedgerEntry:
    """Append one entry to the ledger. ``amount`` is signed cash (in positive, out negative);
    the model's constraints hold the sign to the kind and each payment or return to one entry."""
    entry = LedgerEntry(
        kind=kind, amount=amount, booked_on=booked_on, scheme=scheme, bank_id=bank_id,
        claim_id=claim_id, payment_id=payment_id, return_payment_id=return_payment_id,
        reference=reference, memo=memo[:200], created_by=actor,
    )
    entry.full_clean()
    entry.save()
    return entry
