"""Writes of the bank API: keys (created and revoked by the custodian), the call log, and filings
sent as JSON, which go through the very path of the Excel import: each row's values as cell texts
through the column mapping (``loans.importing.filing_rows``), judged by
``loans.services.evaluate_filings`` (a dry run, as the import's validation) or written by
``loans.services.filings_commit`` (as the import's commit), chunk by chunk in order."""

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from banks.models import Bank, Branch
from loans.import_services import _reasons, import_policy_context
from loans.importing import CHUNK_ROWS, FILINGS, batch_gc_paused, filing_rows
from loans.services import (
    EarlierRows,
    FilingEvaluation,
    FilingNotSaved,
    evaluate_filings,
    filing_inputs,
    filings_commit,
    record_verdicts,
)
from riskcomp.audit import audit_context, audit_updated
from riskcomp.policy.reasons import Refusal

from .auth import KEY_PREFIX, PREFIX_CHARS, secret_digest
from .errors import ApiError, error
from .models import ApiCall, ApiKey

# --- Keys ----------------------------------------------------------------------------------------


@transaction.atomic
def api_key_create(*, bank: Bank, name: str, scope: str, expires_at: datetime,
                   actor: Any) -> tuple[ApiKey, str]:
    """Issue a key to ``bank``: (the key, its text, to be shown once). The text is
    ``rck_<prefix>_<secret>`` with a secret of 32 random bytes; only its SHA-256 is stored."""
    prefix = secrets.token_hex(PREFIX_CHARS // 2)
    text = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    user = get_user_model().objects.create_user(
        username=f"api-{prefix}", password=None, is_active=False,
        first_name=f"{bank.short_name or bank.name} 接口：{name}"[:150])
    with audit_context(actor=actor):
        key = ApiKey.objects.create(bank=bank, name=name, scope=scope, prefix=prefix,
                                    secret_sha256=secret_digest(text), user=user,
                                    expires_at=expires_at, created_by=actor)
    return key, text


@transaction.atomic
def api_key_revoke(*, key: ApiKey, actor: Any) -> bool:
    """Revoke a key at once; False when it was revoked already."""
    locked = ApiKey.objects.select_for_update().get(pk=key.pk)
    if locked.revoked_at is not None:
        return False
    now = timezone.now()
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=now, revoked_by=actor)
    audit_updated(locked, actor=actor, revoked_at=now, revoked_by=actor)
    key.revoked_at, key.revoked_by = now, actor
    return True


def default_expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.RISKCOMP_API_KEY_DAYS)


# --- The call log ---------------------------------------------------------------------------------

PRUNE_EVERY = 500  # calls between two deletions of the rows older than the retention


def api_call_record(*, key: ApiKey | None, method: str, path: str, status: int,
                    idempotency_key: str, remote_addr: str | None, duration_ms: int) -> None:
    # A path may carry a NUL (%00), which PostgreSQL text cannot hold: logged escaped.
    call = ApiCall.objects.create(key=key, method=method[:8],
                                  path=path.replace("\x00", "\\x00")[:255], status=status,
                                  idempotency_key=idempotency_key.replace("\x00", "")[:100],
                                  remote_addr=remote_addr or None, duration_ms=duration_ms)
    if call.pk % PRUNE_EVERY == 0:  # the log stays bounded without a job of its own
        cutoff = timezone.now() - timedelta(days=settings.RISKCOMP_API_CALL_LOG_DAYS)
        ApiCall.objects.filter(at__lt=cutoff).delete()


# --- Filings as JSON ------------------------------------------------------------------------------

FIELDS = {f.attribute: (i, f) for i, f in enumerate(FILINGS.fields)}
COLUMN_TO_FIELD = {f.column_name: f.attribute for f in FILINGS.fields}
_CELL_MESSAGE = re.compile(r"^第\d+行“(.+?)”：")


class RowRefused(Exception):
    """A row whose values are not even cell texts (a list, an object, a NUL byte)."""


def _cell(name: str, value: Any) -> str | None:
    """A JSON value as the text of an Excel cell (numbers were kept as their text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if not isinstance(value, str):
        raise RowRefused(error("INVALID_TYPE", _("应为字符串、数字或布尔值"), name))
    if "\x00" in value:
        raise RowRefused(error("INVALID_CHARACTER", _("不能包含空字符（\\u0000）"), name))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RowRefused(error("INVALID_CHARACTER", _("包含无效的Unicode字符"), name)) from None
    value = value.strip()
    return value or None


def raw_row(number: int, data: Any) -> list[Any]:
    """A JSON filing as a raw row of the import: ``[number, cell text or None per column]``."""
    if not isinstance(data, dict):
        raise RowRefused(error("INVALID_TYPE", _("每笔备案应为一个JSON对象")))
    raw: list[Any] = [number] + [None] * len(FILINGS.fields)
    for name, value in data.items():
        found = FIELDS.get(name)
        if found is None:
            raise RowRefused(error("UNKNOWN_FIELD", _("未知字段“%(f)s”") % {
                "f": str(name)[:40]}, str(name)[:40]))
        raw[found[0] + 1] = _cell(name, value)
    return raw


def _field_errors(messages: Sequence[str]) -> list[dict[str, str]]:
    """The import's cell messages (第N行“列”：…) with the field each one names."""
    out = []
    for text in messages:
        match = _CELL_MESSAGE.match(text)
        out.append(error("INVALID", text, COLUMN_TO_FIELD.get(match.group(1), "")
                         if match else ""))
    return out


@dataclass
class RowVerdict:
    row: int
    iou_number: str
    accepted: bool
    scheme: str = ""
    ratio: str = ""
    policy_version: str = ""
    filing_id: int | None = None
    errors: list[dict[str, str]] | None = None

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "iou_number": self.iou_number, "accepted": self.accepted,
                "scheme": self.scheme or None, "ratio": self.ratio or None,
                "policy_version": self.policy_version or None, "filing_id": self.filing_id,
                "errors": self.errors or []}


def _verdict(number: int, ev: FilingEvaluation, filing_id: int | None) -> RowVerdict:
    decision = ev.decision
    ok = ev.accepted
    scheme = ratio = version = ""
    if ok and decision is not None and decision.scheme is not None:
        scheme, ratio = str(decision.scheme), str(decision.ratio)
        version = decision.verdicts[decision.scheme].version or ""
    elif ok and ev.snapshot:  # taken as recorded
        scheme = str(ev.snapshot.get("scheme") or "")
    return RowVerdict(row=number, iou_number=ev.request.iou_number, accepted=ok, scheme=scheme,
                      ratio=ratio, policy_version=version, filing_id=filing_id,
                      # An accepted row has no refusal: its schemes' reasons are not read.
                      errors=[{"code": code, "field": "", "message": message, "scheme": owner}
                              for code, message, owner in _reasons(ev)] if ev.refusals else [])


def _commit(bank: Bank, accepted: list[tuple[int, FilingEvaluation]],
            out: dict[int, RowVerdict], *, actor: Any, ctx: Any, today: Any) -> None:
    """Write the rows the judgement accepted, as the import's commit writes a validated batch:
    one ``filings_commit`` taking the recorded verdicts when nothing they depend on changed
    meanwhile, else judging them again (a row refused now gets its new verdict)."""
    evaluations = [ev for _n, ev in accepted]
    recorded = record_verdicts(bank=bank, evaluations=evaluations, ctx=ctx, filing_date=today)
    try:
        filings, committed = filings_commit(
            bank=bank, requests=[ev.request for ev in evaluations], actor=actor, ctx=ctx,
            filing_date=today, recorded=recorded)
    except Refusal as exc:  # a concurrent filing of the same IOU won the race
        raise ApiError(409, "CONFLICT", _(
            "提交时发现其他请求正在备案相同的借据，本次未写入任何备案，请重试。"),
        ) from exc
    except FilingNotSaved as exc:
        raise ApiError(409, "NOT_SAVED", exc.message) from exc
    ids = iter(f.pk for f in filings)
    for (number, _judged), now in zip(accepted, committed, strict=True):
        if now.accepted:
            out[number].filing_id = next(ids)
        else:
            out[number] = _verdict(number, now, None)


def filings_submit(*, bank: Bank, rows: Sequence[Any], actor: Any, commit: bool,
                   today: Any = None) -> list[RowVerdict]:
    """Judge (``commit`` False) or file the JSON ``rows`` as the Excel import does its rows,
    numbered from 1, in one transaction; a verdict per row, in order."""
    today = today or timezone.localdate()
    verdicts: list[RowVerdict] = []
    raws: list[list[Any]] = []
    for number, data in enumerate(rows, start=1):
        try:
            raws.append(raw_row(number, data))
        except RowRefused as exc:
            bad = exc.args[0]
            verdicts.append(RowVerdict(row=number, iou_number=_iou_of(data), accepted=False,
                                       errors=[bad]))
    refused_early = {v.row: v for v in verdicts}
    out: dict[int, RowVerdict] = {}
    branches = dict(Branch.objects.filter(bank=bank).values_list("code", "pk"))
    ctx, earlier = import_policy_context(), EarlierRows()
    judged: list[tuple[int, FilingEvaluation]] = []
    with translation.override("zh-hans"), batch_gc_paused(), transaction.atomic():
        for start in range(0, len(raws), CHUNK_ROWS):
            chunk = raws[start:start + CHUNK_ROWS]
            cleaned = filing_rows(chunk, branches=branches)
            by_number = {raw[0]: raw for raw in chunk}
            for r in cleaned:
                if r.errors:
                    out[r.number] = RowVerdict(
                        row=r.number, iou_number=(by_number[r.number][_IOU_COL] or "")[:60],
                        accepted=False, errors=_field_errors(r.errors))
            good = [r for r in cleaned if r.request is not None]
            if not good:
                continue
            requests = [r.request for r in good]
            evaluations = evaluate_filings(
                bank=bank, requests=requests, filing_date=today, ctx=ctx, snapshots=False,
                earlier=earlier, inputs=filing_inputs(bank=bank, requests=requests),
                rows=[r.number for r in good])
            judged.extend(zip((r.number for r in good), evaluations, strict=True))
        for number, ev in judged:
            out[number] = _verdict(number, ev, None)
        accepted = [(number, ev) for number, ev in judged if ev.accepted]
        if commit and accepted:
            _commit(bank, accepted, out, actor=actor, ctx=ctx, today=today)
    out.update(refused_early)
    return [out[n] for n in sorted(out)]


def _iou_of(data: Any) -> str:
    value = data.get("iou_number") if isinstance(data, dict) else None
    return value[:60] if isinstance(value, str) else ""


_IOU_COL = 1 + FIELDS["iou_number"][0]

