"""Writes of the policy reference data on the administrator's screens (参数维护): policy versions
(a successor created from the current version, an unused version corrected or removed) and the
monthly LPR.

A version a filing recorded governs that loan to the end (claims, deadlines, recoveries,
reports read ``LoanFiling.policy_version``), so once used it can only be succeeded, never
edited or deleted. Every refusal is a ``ValidationError`` with a Chinese message keyed by the
form field; every write is audited with its reason."""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from riskcomp.audit import audit_context
from riskcomp.policy.params import LprRate as LprValue
from riskcomp.policy.versions import lpr_check
from riskcomp.validation import invalid

from .models import LprRate, PolicyVersion
from .usage_hooks import drawn_between_usage, version_usage

# The figures a successor takes over from its predecessor unless changed.
COPIED_FIELDS: tuple[str, ...] = tuple(
    f.name for f in PolicyVersion._meta.concrete_fields if f.name not in ("id",))


def policy_version_is_used(version: PolicyVersion) -> bool:
    """Whether any filing recorded ``version`` (its document number)."""
    return version_usage(version.version) > 0


def policy_version_usage(version: PolicyVersion) -> int:
    """Filings that recorded ``version``, counted by the apps holding them (``usage_hooks``)."""
    return version_usage(version.version)


def _lock_scheme(scheme: str) -> None:
    # Two administrators saving versions of one scheme at once would each pass the overlap
    # check; the rows of the scheme are the lock (the trigger of migration 0007 backs it).
    list(PolicyVersion.objects.select_for_update().filter(scheme=scheme).values_list("pk"))


def _save(version: PolicyVersion, *, actor: Any, reason: str) -> PolicyVersion:
    version.full_clean()
    try:
        with transaction.atomic(), audit_context(actor=actor, reason=reason):
            version.save()
    except IntegrityError as exc:  # the database's own overlap or bounds check
        raise invalid("valid_from",
                      _("有效期与同一政策的其他版本重叠，或参数超出允许范围，未保存。"),
                      "version_refused_by_database") from exc
    return version


@transaction.atomic
def policy_version_create(*, values: Mapping[str, Any], actor: Any,
                          source: PolicyVersion | None = None) -> PolicyVersion:
    """A new version: ``source``'s figures (the current version it succeeds) changed by
    ``values``, with its own document number, validity and articles. Its scheme is the
    source's. Refused when a figure is out of bounds or its validity overlaps another version
    of the scheme."""
    if source is not None:
        fields = {name: getattr(source, name) for name in COPIED_FIELDS}
        fields.update(values)
        fields["scheme"] = source.scheme
    else:
        fields = dict(values)
    version = PolicyVersion(**fields)
    _lock_scheme(version.scheme)
    if source is not None:
        reason = _("新建政策版本%(new)s，承接%(old)s") % {"new": version.version,
                                                       "old": source.version}
    else:
        reason = _("新建政策版本%(new)s") % {"new": version.version}
    return _save(version, actor=actor, reason=reason)


def _refuse_if_used(version: PolicyVersion, verb: str) -> None:
    used = policy_version_usage(version)
    if used:
        raise invalid(None, _("%(v)s已被%(n)d笔备案采用，不能%(verb)s；政策调整请新建承接版本。")
                      % {"v": version.version, "n": used, "verb": verb}, "version_in_use")


@transaction.atomic
def policy_version_update(*, version: PolicyVersion, values: Mapping[str, Any],
                          actor: Any) -> PolicyVersion:
    """Correct a version no filing has used yet (a typing error found before it applies)."""
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _refuse_if_used(version, _("修改"))
    old_number = version.version
    for name, value in values.items():
        if name != "scheme":
            setattr(version, name, value)
    _lock_scheme(version.scheme)
    return _save(version, actor=actor,
                 reason=_("更正尚未使用的政策版本%(v)s") % {"v": old_number})


@transaction.atomic
def policy_version_delete(*, version: PolicyVersion, actor: Any) -> None:
    """Remove a version no filing has used (entered by mistake)."""
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    _refuse_if_used(version, _("删除"))
    with audit_context(actor=actor, reason=_("删除尚未使用的政策版本%(v)s")
                       % {"v": version.version}):
        version.delete()


# --- The LPR -----------------------------------------------------------------------------------

def _history() -> list[LprValue]:
    return [LprValue(r.published_on, r.one_year_percent, r.five_year_percent)
            for r in LprRate.objects.all()]


def lpr_jumps(*, published_on: date, one_year_percent: Decimal,
              five_year_percent: Decimal) -> list[str]:
    """The moves of more than one percentage point from the previous publication, in words."""
    check = lpr_check(LprValue(published_on, one_year_percent, five_year_percent), _history())
    return [str(message) for _field, message in check.jumps]


@transaction.atomic
def lpr_record(*, published_on: date, one_year_percent: Decimal, five_year_percent: Decimal,
               actor: Any, jump_confirmed: bool = False) -> LprRate:
    """Record one month's LPR as published (20th, or the next working day). Refused when a rate
    is outside (0, 10] %, the date is in the future or already has a publication; a move of
    more than one percentage point from the previous publication needs ``jump_confirmed``."""
    if published_on > timezone.localdate():
        raise invalid("published_on", _("公布日期不能晚于今天。"), "future_date")
    if LprRate.objects.select_for_update().filter(published_on=published_on).exists():
        raise invalid("published_on", _("%(d)s公布的LPR已经录入。")
                      % {"d": published_on.isoformat()}, "lpr_exists")
    check = lpr_check(LprValue(published_on, one_year_percent, five_year_percent), _history())
    _refuse_lpr_check(check, jump_confirmed=jump_confirmed)
    rate = LprRate(published_on=published_on, one_year_percent=one_year_percent,
                   five_year_percent=five_year_percent)
    rate.full_clean()
    reason = _("录入%(d)s公布的LPR") % {"d": published_on.isoformat()}
    if check.jumps:
        reason += _("（变动超过1个百分点，已确认）")
    with audit_context(actor=actor, reason=reason):
        rate.save()
    return rate


def _refuse_lpr_check(check: Any, *, jump_confirmed: bool) -> None:
    """An entry or a correction outside the bounds, or a large move not confirmed, is refused
    field by field."""
    if check.problems:
        errors: dict[str, list[str]] = {}
        for field, message in check.problems:
            errors.setdefault(field, []).append(str(message))
        raise ValidationError(errors, code="lpr_out_of_bounds")
    if check.jumps and not jump_confirmed:
        raise ValidationError(
            {"jump_confirmed": [str(m) for _f, m in check.jumps]}, code="lpr_jump")


def lpr_usage(rate: LprRate) -> int:
    """Filings judged with ``rate``: drawn down on or after its publication and before the next
    one (the rate cap takes the latest LPR published on or before the drawdown)."""
    following = (LprRate.objects.filter(published_on__gt=rate.published_on)
                 .order_by("published_on").values_list("published_on", flat=True).first())
    return drawn_between_usage(rate.published_on, following)


def _refuse_if_lpr_used(rate: LprRate, action: str) -> None:
    used = lpr_usage(rate)
    if used:
        raise ValidationError(
            _("%(d)s公布的LPR已用于核对%(n)d笔备案的利率上限（放款日在其公布之后、下次公布之前），"
              "不能%(a)s。") % {"d": rate.published_on.isoformat(), "n": used, "a": action},
            code="lpr_used")


@transaction.atomic
def lpr_update(*, rate: LprRate, one_year_percent: Decimal, five_year_percent: Decimal,
               actor: Any, jump_confirmed: bool = False) -> LprRate:
    """Correct the rates of a publication no filing was judged with, within the same bounds as
    an entry (the publication date stays: a wrong date is deleted and entered again)."""
    rate = LprRate.objects.select_for_update().get(pk=rate.pk)
    _refuse_if_lpr_used(rate, _("更正"))
    others = [h for h in _history() if h.published_on != rate.published_on]
    check = lpr_check(LprValue(rate.published_on, one_year_percent, five_year_percent), others)
    _refuse_lpr_check(check, jump_confirmed=jump_confirmed)
    rate.one_year_percent, rate.five_year_percent = one_year_percent, five_year_percent
    rate.full_clean()
    with audit_context(actor=actor, reason=_("更正%(d)s公布的LPR")
                       % {"d": rate.published_on.isoformat()}):
        rate.save()
    return rate


@transaction.atomic
def lpr_delete(*, rate: LprRate, actor: Any) -> None:
    """Remove a publication entered by mistake that no filing was judged with."""
    rate = LprRate.objects.select_for_update().get(pk=rate.pk)
    _refuse_if_lpr_used(rate, _("删除"))
    with audit_context(actor=actor, reason=_("删除%(d)s公布的LPR")
                       % {"d": rate.published_on.isoformat()}):
        rate.delete()
