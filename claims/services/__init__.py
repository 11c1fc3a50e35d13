"""Writes on claims, one function per state change, keyword-only with ``actor=``, atomic, locking
the row it changes and writing the history row. Grouped by who acts: ``bank`` (the bank's side:
claim, supplements, recoveries, returns, write-off applications, yearly statements); the shared
primitives are in ``common``."""

from .bank import (
    CLAIMABLE_FILING_STATUSES,
    COMPENSATED_STATUSES,
    REQUIRED_DOCUMENTS,
    claim_check,
    claim_resubmit,
    claim_submit,
    recovery_report,
    return_record,
    statement_submit,
    writeoff_apply,
)

__all__ = [
    "CLAIMABLE_FILING_STATUSES",
    "COMPENSATED_STATUSES",
    "REQUIRED_DOCUMENTS",
    "claim_check",
    "claim_resubmit",
    "claim_submit",
    "recovery_report",
    "return_record",
    "statement_submit",
    "writeoff_apply",
]
