"""Writes on claims, one function per state change, keyword-only with ``actor=``, atomic, locking
the row it changes and writing the history row. Grouped by who acts: ``bank`` (the bank's side:
claim, supplements, recoveries, returns, write-off applications, yearly statements); the shared
primitives are in ``common``."""

from .bank import (
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
from .payment import claim_pay, claims_pay_batch, return_receive
from .proposal import (
    claim_bureau_reject,
    claim_confirm,
    proposal_create,
    proposal_decide,
    proposal_withdraw,
)
from .review import claim_request_supplement, claim_review_pass, claim_review_reject
from .spotcheck import spot_check_draw, spot_check_population, spot_check_record
from .suspension import suspension_recompute
from .writeoff import (
    writeoff_bureau_reject,
    writeoff_confirm,
    writeoff_forward,
    writeoff_reject,
)

__all__ = [
    "COMPENSATED_STATUSES",
    "REQUIRED_DOCUMENTS",
    "claim_bureau_reject",
    "claim_check",
    "claim_confirm",
    "claim_pay",
    "claim_request_supplement",
    "claim_resubmit",
    "claim_review_pass",
    "claim_review_reject",
    "claim_submit",
    "claims_pay_batch",
    "proposal_create",
    "proposal_decide",
    "proposal_withdraw",
    "recovery_report",
    "return_receive",
    "return_record",
    "spot_check_draw",
    "spot_check_population",
    "spot_check_record",
    "statement_submit",
    "suspension_recompute",
    "writeoff_apply",
    "writeoff_bureau_reject",
    "writeoff_confirm",
    "writeoff_forward",
    "writeoff_reject",
]
