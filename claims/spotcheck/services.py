"""The custodian's yearly spot checks of claimed loans (MICRO Art. 10(7), TECH Art. 11(7)): a
random sample that anyone can draw again from the recorded seed, and the findings per loan."""

import random
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from riskcomp.audit import audit_bulk_created

from ..models import SpotCheck, SpotCheckItem
from .selectors import spot_check_population

MAX_SEED_LENGTH = 64


def spot_check_sample(population_ids: list[int], sample_size: int, seed: str) -> list[int]:
    """The sample: the ids sorted, then ``random.Random(seed).sample``. The same seed and the
    same population always draw the same ids, in the same order."""
    ordered = sorted(population_ids)
    rnd = random.Random(seed)  # noqa: S311 - a reproducible draw, not a secret
    return rnd.sample(ordered, sample_size)


@transaction.atomic
def spot_check_draw(*, year: int, sample_size: int, seed: str | None = None, actor: Any
                    ) -> SpotCheck:
    """Draw the year's sample and record it with its seed: one spot check per year."""
    seed = (seed or "").strip() or secrets.token_hex(16)
    if len(seed) > MAX_SEED_LENGTH:
        raise ValidationError({"seed": _("随机种子不能超过%(n)d个字符。") % {"n": MAX_SEED_LENGTH}})
    if sample_size < 1:
        raise ValidationError({"sample_size": _("抽样数量至少为1。")})
    if SpotCheck.objects.filter(year=year).exists():
        raise ValidationError({"year": _(
            "%(y)d年度已经抽查过，每年度只抽样一次；请在该年度的抽查中记录检查结果。"
        ) % {"y": year}})
    population = list(spot_check_population(year=year).values_list("id", flat=True))
    if not population:
        raise ValidationError({"year": _(
            "%(y)d年度没有已拨付或已核销的补偿申报，无可抽查的项目。") % {"y": year}})
    if sample_size > len(population):
        raise ValidationError({"sample_size": _(
            "抽样数量（%(n)d）超过%(y)d年度可抽查的申报数量（%(m)d）。") % {
            "n": sample_size, "y": year, "m": len(population)}})
    drawn = spot_check_sample(population, sample_size, seed)
    try:
        with transaction.atomic():  # a concurrent draw for the same year loses here
            check = SpotCheck.objects.create(year=year, seed=seed, sample_size=sample_size,
                                             drawn_by=actor, drawn_at=timezone.now())
    except IntegrityError as exc:
        raise ValidationError({"year": _("%(y)d年度已经抽查过，每年度只抽样一次。") % {
            "y": year}}) from exc
    items = SpotCheckItem.objects.bulk_create(
        SpotCheckItem(spot_check=check, claim_id=claim_id) for claim_id in drawn)
    audit_bulk_created(items, actor=actor, related=("claim",))
    return check


@transaction.atomic
def spot_check_record(*, item: SpotCheckItem, result: str, finding: str = "", actor: Any
                      ) -> SpotCheckItem:
    """Record the finding for one sampled loan; an issue needs its description."""
    item = SpotCheckItem.objects.select_for_update().get(pk=item.pk)
    finding = finding.strip()
    if result not in (SpotCheckItem.Result.COMPLIANT, SpotCheckItem.Result.ISSUE):
        raise ValidationError({"result": _("请选择检查结论：合规或发现问题。")})
    if result == SpotCheckItem.Result.ISSUE and not finding:
        raise ValidationError({"finding": _("发现问题时必须填写检查发现。")})
    item.result = result
    item.finding = finding
    item.recorded_by = actor
    item.recorded_at = timezone.now()
    item.full_clean()
    item.save(update_fields=["result", "finding", "recorded_by", "recorded_at"])
    return item
