"""Every write on claims in one import, for callers that walk a claim through several stages
(the test suites' journeys). Each function lives in its stage's sub-package
(``claims.filing.services``, ``claims.review.services``, ...), one per state change,
keyword-only with ``actor=``, atomic, locking the row it changes and writing the history row;
application code imports from the stage."""

from claims.filing.selectors import claim_check
from claims.filing.services import (
    REQUIRED_DOCUMENTS,
    claim_resubmit,
    claim_submit,
)
from claims.payment.services import (
    COMPENSATED_STATUSES,
    claim_pay,
    claims_pay_batch,
    recovery_report,
    return_receive,
    return_record,
    statement_submit,
)
from claims.proposal.services import (
    claim_bureau_reject,
    claim_confirm,
    proposal_create,
    proposal_decide,
    proposal_withdraw,
)
from claims.review.services import (
    claim_request_supplement,
    claim_review_pass,
    claim_review_reject,
)
from claims.spotcheck.selectors import spot_check_population
from claims.spotcheck.services import spot_check_draw, spot_check_record
from claims.suspension.services import suspension_recompute
from claims.writeoff.services import (
    writeoff_apply,
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
