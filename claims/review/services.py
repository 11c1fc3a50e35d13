"""The custodian's first review of a claim (初审, RULES.md "Review and payment" step 1): pass,
reject with a coded reason, or ask the bank for more (补充材料); the bank answers with
``claim_resubmit`` and the claim comes back to review.

Each decision locks the claim row and checks its state under the lock, so a second decision
(a double click, two reviewers at once) finds the claim already decided and is refused. A claim
of a suspended bank may be reviewed: suspension stops proposal, confirmation and payment, not the
review (RULES.md "Suspension", Reading).
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, role_of
from riskcomp.choices import ReasonCode
from riskcomp.validation import invalid

from ..common.services import locked_claim, require_status, transition
from ..models import Claim, ReviewDecision, SupplementRequest

# Who decides a first review; the bureau and auditors may read the queue only.
REVIEW_ROLES = (Role.REVIEWER, Role.ADMIN)
NOTE_MAX = 4000


def _require_reviewer(actor: Any) -> None:
    if role_of(actor) not in REVIEW_ROLES:
        raise PermissionDenied(_("只有托管机构审核人员可以初审补偿申报。"))


def _locked_for_review(claim: Claim) -> Claim:
    claim = locked_claim(claim)
    require_status(claim, (Claim.Status.SUBMITTED,),
                   _("申报当前状态为“%(s)s”，不在待初审状态：可能已由他人处理，请刷新页面后查看。"))
    return claim


def _text(value: str | None, field: str, missing: str, code: str) -> str:
    text = (value or "").strip()
    if not text:
        raise invalid(field, missing, code)
    if len(text) > NOTE_MAX:
        raise invalid(field, _("内容不能超过%(n)d个字。") % {"n": NOTE_MAX}, "text_too_long")
    return text


@transaction.atomic
def claim_review_pass(*, claim: Claim, note: str = "", actor: Any,
                      now: datetime | None = None) -> ReviewDecision:
    """Pass the first review: the claim goes to ``passed`` and waits to be proposed."""
    _require_reviewer(actor)
    now = now or timezone.now()
    claim = _locked_for_review(claim)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise invalid("note", _("内容不能超过%(n)d个字。") % {"n": NOTE_MAX}, "text_too_long")
    decision = ReviewDecision.objects.create(
        claim=claim, decision=ReviewDecision.Decision.PASS, message=note, reviewer=actor,
        decided_at=now)
    transition(claim, Claim.Status.PASSED, actor=actor, now=now, note=note)
    return decision


@transaction.atomic
def claim_review_reject(*, claim: Claim, code: str, note: str, actor: Any,
                        now: datetime | None = None) -> ReviewDecision:
    """Reject the claim with a reason code and the reviewer's explanation (both required).
    The loan may be claimed again (the one-open-claim constraint leaves rejected claims out)."""
    _require_reviewer(actor)
    now = now or timezone.now()
    claim = _locked_for_review(claim)
    if code not in ReasonCode.values:
        raise invalid("code", _("请选择不通过的原因代码。"), "reason_code_missing")
    note = _text(note, "note", _("请填写不通过的理由。"), "note_missing")
    decision = ReviewDecision.objects.create(
        claim=claim, decision=ReviewDecision.Decision.REJECT, reason_code=code, message=note,
        reviewer=actor, decided_at=now)
    claim.reject_code = code
    claim.save(update_fields=["reject_code", "updated_at"])
    transition(claim, Claim.Status.REJECTED, actor=actor, now=now,
               note=f"{code} {note}")
    return decision


@transaction.atomic
def claim_request_supplement(*, claim: Claim, message: str, actor: Any,
                             now: datetime | None = None) -> SupplementRequest:
    """Ask the bank for more documents: the claim goes to ``supplement`` and its review clock
    stops until the bank answers (``claim_resubmit``)."""
    _require_reviewer(actor)
    now = now or timezone.now()
    claim = _locked_for_review(claim)
    message = _text(message, "message", _("请写明需要银行补充的材料。"), "message_missing")
    request = SupplementRequest.objects.create(claim=claim, message=message, requested_by=actor,
                                               requested_at=now)
    ReviewDecision.objects.create(
        claim=claim, decision=ReviewDecision.Decision.SUPPLEMENT, message=message,
        reviewer=actor, decided_at=now)
    transition(claim, Claim.Status.SUPPLEMENT_REQUESTED, actor=actor, now=now, note=message)
    return request
