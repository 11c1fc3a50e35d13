"""The custodian's change to a shared borrower's master record. A bank's filings keep their own
snapshot of the borrower (name, size, certificates) and show that; the master row is what a
new filing of any bank starts from, so changing it is the custodian's, with a reason, audited
before → after."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from riskcomp.audit import audit_context
from riskcomp.policy.enterprise_size import Industry, size_contradiction
from riskcomp.policy.types import EnterpriseSize

from .models import Enterprise

# The facts of the enterprise itself. The conduct attestations and the technology scope are each
# bank's statement for its own loan (kept in that filing's snapshot), not master data.
EDITABLE_FIELDS = ("name", "credit_code", "kind", "size", "is_in_bda", "industry", "employees",
                   "revenue", "total_assets")
REASON_MAX = 500


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


def enterprise_master_changes(enterprise: Enterprise,
                              values: Mapping[str, Any]) -> list[FieldChange]:
    """The fields ``values`` would change on ``enterprise``, in the form's order."""
    return [FieldChange(f, getattr(enterprise, f), values[f]) for f in EDITABLE_FIELDS
            if f in values and getattr(enterprise, f) != values[f]]


def _check_size(enterprise: Enterprise) -> None:
    """The declared size must be the one the standard gives for the industry's figures, when
    the industry and every figure it uses are known."""
    if not enterprise.industry:
        return
    if enterprise.industry not in {i.value for i in Industry}:
        raise ValidationError({"industry": _("所属行业不在可选范围内。")})
    try:
        warning = size_contradiction(EnterpriseSize(enterprise.size), Industry(enterprise.industry),
                                     enterprise.employees, enterprise.revenue,
                                     enterprise.total_assets)
    except ValueError:  # a figure the industry uses is not given: nothing to check against
        return
    if warning:
        raise ValidationError({"size": _("%(w)s，请核对企业规模或填报的数字。") % {"w": warning}})


@transaction.atomic
def enterprise_master_update(*, enterprise: Enterprise, values: Mapping[str, Any],
                             version: datetime | None, reason: str,
                             actor: Any) -> list[FieldChange]:
    """Change the master record of ``enterprise`` to ``values`` (fields of
    ``EDITABLE_FIELDS``), as the custodian ``actor`` for ``reason``. ``version`` is the
    ``updated_at`` the custodian saw: a record changed since is refused, not overwritten. The
    audit entry carries each field before → after, the actor and the reason. Raises
    ``ValidationError`` (Chinese) and changes nothing when the values are invalid, nothing
    changes, or the reason is missing. Filings keep their snapshots."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("请填写修改原因。")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("修改原因不能超过 %(n)s 个字。") % {"n": REASON_MAX}})
    locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if version is not None and locked.updated_at != version:
        raise ValidationError(_("该企业的主数据在您打开页面后已被他人修改，请重新打开后再修改。"))
    changes = enterprise_master_changes(locked, values)
    if not changes:
        raise ValidationError(_("没有修改任何内容。"))
    for change in changes:
        setattr(locked, change.field, change.after)
    locked.full_clean()  # the credit code's check digit and uniqueness, lengths, choices
    _check_size(locked)
    with audit_context(actor=actor, reason=reason):
        locked.save(update_fields=[c.field for c in changes] + ["updated_at"])
    enterprise.refresh_from_db()
    return changes
