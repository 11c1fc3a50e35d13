"""The quarter's Excel import: batches (upload, validation, confirmation, commit) and the
classification import, with the reads their screens need.

Every verdict on a filing row comes from ``loans.services.evaluate_filings`` / ``filings_commit``
(and so from ``riskcomp.policy``); the classification rows get the checks of
``loans.services.classification_report``, made for a whole batch in a fixed number of queries.
A batch moves UPLOADED → VALIDATING → VALIDATED → COMMITTING → COMMITTED (or FAILED); every step
checks the batch's status under a row lock (``select_for_update``: the batch's, or for the commit
the bank's) or in a conditional update, so a task delivered twice or a confirmation clicked twice
does its work once.

A quarter may hold 100,000 rows: they are stored in chunks of 1,000 (``ImportChunk``), judged and
committed chunk by chunk in file order (``EarlierRows`` carries what earlier chunks decide for
later ones), with the task's progress written after each chunk.
"""

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import JSONField, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from banks.models import Bank, Branch
from fund.selectors import policy_context
from riskcomp.audit import audit_bulk_created, audit_updated
from riskcomp.choices import Classification, ReasonCode
from riskcomp.listing import StrOrPromise
from riskcomp.policy.context import PolicyContext
from riskcomp.policy.contradictions import out_of_order
from riskcomp.policy.reasons import Refusal
from riskcomp.policy.workdays import WorkdayCalendar

from .import_selectors import (  # the preview entry's layout is shared by reads and writes
    OK,
    RATIO,
    REASONS,
    ROW,
    SCHEME,
    VERSION,
    batch_chunks,
    batch_rows,
    import_batch_preview,
)
from .importing import (
    FILINGS,
    ParsedSheet,
    RowResult,
    batch_gc_paused,
    classification_rows,
    filing_rows,
    pack_rows,
    unpack_rows,
)
from .models import ClassificationReport, ImportBatch, ImportChunk, LoanFiling
from .services import (
    EarlierRows,
    FilingEvaluation,
    FilingNotSaved,
    RecordedVerdicts,
    evaluate_filings,
    filing_inputs,
    filings_commit,
    record_verdicts,
    request_from_values,
    request_values,
)

logger = logging.getLogger(__name__)

EVALUATION_BATCH = 1000
Status = ImportBatch.Status
Kind = ImportBatch.Kind
RUNNING = (Status.UPLOADED, Status.VALIDATING, Status.COMMITTING)


# --- Classification rows -------------------------------------------------------------------

@dataclass(frozen=True)
class ClassificationRequest:
    """A five-tier classification as the bank reports it (one import row)."""

    iou_number: str
    classification: str
    classified_on: date
    note: str = ""


@dataclass
class ClassificationEvaluation:
    request: ClassificationRequest
    filing_id: int | None = None
    problems: tuple[tuple[str, str], ...] = ()  # (reason code or "", message)

    @property
    def accepted(self) -> bool:
        return self.filing_id is not None and not self.problems


def evaluate_classifications(*, bank: Bank, requests: Sequence[ClassificationRequest],
                             today: date) -> list[ClassificationEvaluation]:
    """Judge each row as ``classification_report`` would (a known tier, dated neither before the
    drawdown nor after today) for a loan this bank filed and has not written off; the same tier
    on the same date for the same loan, already recorded or earlier in the batch, is DUPLICATE.
    Two queries for the whole batch."""
    filings = {iou: (pk, drawdown, status) for pk, iou, drawdown, status in
               LoanFiling.objects.filter(bank=bank, iou_number__in={r.iou_number for r in requests})
               .values_list("pk", "iou_number", "drawdown_date", "status")}
    recorded = set(ClassificationReport.objects.filter(
        filing_id__in=[pk for pk, _d, _s in filings.values()],
    ).values_list("filing_id", "classification", "classified_on"))
    labels = dict(Classification.choices)
    out = []
    for req in requests:
        ev = ClassificationEvaluation(request=req)
        out.append(ev)
        problems: list[tuple[str, str]] = []
        found = filings.get(req.iou_number)
        if found is None:
            ev.problems = (("", _("本行没有借据号为“%(iou)s”的已备案贷款") % {
                "iou": req.iou_number}),)
            continue
        pk, drawdown, status = found
        if req.classification not in labels:
            problems.append(("", _("未知的五级分类“%(c)s”") % {"c": req.classification}))
        if status == LoanFiling.Status.CLOSED:
            problems.append(("", _("该笔贷款已核销，不能再报送五级分类")))
        if out_of_order(drawdown_date=drawdown, classification_date=req.classified_on):
            problems.append(("", _("分类日期%(d)s早于放款日期%(drawdown)s") % {
                "d": req.classified_on, "drawdown": drawdown}))
        if req.classified_on > today:
            problems.append(("", _("分类日期%(d)s晚于今天") % {"d": req.classified_on}))
        key = (pk, req.classification, req.classified_on)
        if key in recorded:
            text = _("该笔贷款%(d)s的“%(c)s”分类已经报送过，不重复记录") % {
                "d": req.classified_on, "c": labels.get(req.classification, "")}
            problems.append((str(ReasonCode.DUPLICATE), text))
        recorded.add(key)
        ev.filing_id, ev.problems = pk, tuple(problems)
    return out


@transaction.atomic
def classifications_commit(*, bank: Bank, requests: Sequence[ClassificationRequest], actor: Any,
                           today: date | None = None,
                           ) -> tuple[list[ClassificationReport], list[ClassificationEvaluation]]:
    """Record every acceptable row as classification history (never overwriting), in one
    transaction; the bank row is locked so that two uploads at once are judged in turn."""
    Bank.objects.select_for_update().get(pk=bank.pk)
    evaluations = evaluate_classifications(bank=bank, requests=requests,
                                           today=today or timezone.localdate())
    reports = ClassificationReport.objects.bulk_create([
        ClassificationReport(filing_id=ev.filing_id, classification=ev.request.classification,
                             classified_on=ev.request.classified_on, note=ev.request.note,
                             reported_by=actor)
        for ev in evaluations if ev.accepted and ev.filing_id is not None], batch_size=1000)
    audit_bulk_created(reports, actor=actor, related=("filing",))
    return reports, evaluations


# --- Evaluating a quarter's filings ----------------------------------------------------------

class _MemoCalendar(WorkdayCalendar):
    """The same calendar, remembering each day's answer for the length of one import (the
    package lookup costs more than the rest of a row's judgement), and each count of working
    days: a quarter's loans are drawn down on some ninety days, and every row counts the
    working days of its credit-report window and filing deadline from its drawdown."""

    __slots__ = ("_counts", "_memo", "_sums")

    def __init__(self, base: WorkdayCalendar) -> None:
        super().__init__(base.overrides, base.known_years)
        self._memo: dict[date, bool] = {}
        self._sums: dict[tuple[date, int], date] = {}
        self._counts: dict[tuple[date, date], int] = {}

    def is_workday(self, d: date) -> bool:
        try:
            return self._memo[d]
        except KeyError:
            answer = self._memo[d] = super().is_workday(d)
            return answer

    def add_workdays(self, start: date, n: int) -> date:
        try:
            return self._sums[start, n]
        except KeyError:
            answer = self._sums[start, n] = super().add_workdays(start, n)
            return answer

    def workdays_between(self, a: date, b: date) -> int:
        try:
            return self._counts[a, b]
        except KeyError:
            answer = self._counts[a, b] = super().workdays_between(a, b)
            return answer


def import_policy_context() -> PolicyContext:
    """``policy_context()`` once per task, its calendar memoised for the batch."""
    ctx = policy_context()
    return replace(ctx, calendar=_MemoCalendar(ctx.calendar))


def _reasons(ev: FilingEvaluation) -> list[list[str]]:
    """[code, message, scheme ("" when no scheme's own)] per refusal, grouped by scheme."""
    return [[str(r.code), str(r.message), scheme] for scheme, r in ev.refusals_by_scheme()]


def _filing_entry(number: int, raw: Sequence[Any], ev: FilingEvaluation | None,
                  errors: Sequence[str]) -> list[Any]:
    if ev is None:
        return [number, raw[_IOU_COL] or "", raw[_NAME_COL] or "", 0, "", "",
                [["", e] for e in errors], "", *_raw_amount_and_date(raw)]
    decision = ev.decision
    ok = ev.accepted and decision is not None
    req = ev.request
    if decision is not None:
        amount: Decimal | None = decision.cny_amount
    elif req.currency.strip().upper() == "CNY":
        amount = req.amount
    else:
        amount = req.amount * req.fx_rate if req.fx_rate else None
    return [number, req.iou_number, req.enterprise_name, int(ok),
            str(decision.scheme) if ok and decision else "",
            str(decision.ratio) if ok and decision else "", _reasons(ev),
            # the document number of the policy version that judged an accepted row
            (decision.verdicts[decision.scheme].version or "")
            if ok and decision and decision.scheme else "",
            "" if amount is None else str(amount.quantize(Decimal("0.01"), ROUND_HALF_UP)),
            req.drawdown_date.isoformat()]


def _raw_amount_and_date(raw: Sequence[Any]) -> tuple[str, str]:
    """A row refused for its cells still shows its amount (CNY rows) and drawdown date when
    those two cells read plainly; anything else shows as unknown."""
    amount, drawdown = "", ""
    currency = str(raw[_CURRENCY_COL] or "CNY").strip().upper()
    text = str(raw[_AMOUNT_COL] or "").replace(",", "").replace("，", "").strip()
    if currency in ("CNY", "人民币") and text:
        try:
            value = Decimal(text)
            amount = str(value.quantize(Decimal("0.01"), ROUND_HALF_UP)) if value.is_finite() \
                else ""
        except (InvalidOperation, ValueError):
            amount = ""
    try:
        drawdown = date.fromisoformat(str(raw[_DRAWDOWN_COL] or "").strip()[:10]).isoformat()
    except ValueError:
        drawdown = ""
    return amount, drawdown


_FILING_HEADERS = FILINGS.headers
_IOU_COL = 1 + _FILING_HEADERS.index("借据号")
_NAME_COL = 1 + _FILING_HEADERS.index("企业名称")
_AMOUNT_COL = 1 + _FILING_HEADERS.index("贷款金额")
_CURRENCY_COL = 1 + _FILING_HEADERS.index("币种")
_DRAWDOWN_COL = 1 + _FILING_HEADERS.index("放款日期")


def _branches(bank: Bank) -> dict[str, int]:
    return dict(Branch.objects.filter(bank=bank).values_list("code", "pk"))


def _update(batch: ImportBatch, **values: Any) -> None:
    """Write ``values`` to the batch's row and its trail. Not ``save()``: auditlog would read the
    whole row again (thousands of rows of JSON) to compare it with the instance."""
    ImportBatch.objects.filter(pk=batch.pk).update(**values)
    audit_updated(batch, **values)
    for name, value in values.items():
        setattr(batch, name, value)


class _Progress:
    """Writes a task's progress where the page that polls it can read it. The commit holds its
    filings in one transaction until the end: on PostgreSQL its progress goes through a
    connection of its own, outside that transaction (the commit does not lock the batch's row
    meanwhile, see ``import_batch_commit``). SQLite has one writer at a time: there, and outside a
    transaction, the task's own connection writes it. Not in the audit trail: the progress is
    the task's display, not a change to the batch."""

    def __init__(self, batch_id: int) -> None:
        self.batch_id = batch_id
        self.side: Any = None
        own = connections[DEFAULT_DB_ALIAS]
        if own.vendor == "postgresql" and own.in_atomic_block:
            self.side = type(own)(dict(own.settings_dict), DEFAULT_DB_ALIAS)

    def __call__(self, percent: int) -> None:
        percent = max(0, min(percent, 99))
        if self.side is None:
            ImportBatch.objects.filter(pk=self.batch_id).update(progress=percent)
            return
        table = self.side.ops.quote_name(ImportBatch._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET progress = %s WHERE id = %s",  # noqa: S608
                           [percent, self.batch_id])

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def _as_is(document: bytearray) -> bytearray:
    return document


class PackedPreview:
    """A preview written out as JSON (UTF-8) chunk by chunk, as it is judged: a quarter's
    100,000 entries are never held as Python lists at once, only as the bytes of one document
    (with the lists and the text Django would make of them, most of the worker's peak memory)."""

    def __init__(self) -> None:
        self.document = bytearray(b"[")
        self.total = 0
        self.accepted = 0

    def extend(self, entries: Sequence[list[Any]]) -> None:
        if entries:
            if self.total:
                self.document += b","
            self.document += json.dumps(entries, ensure_ascii=False,
                                        separators=(",", ":"))[1:-1].encode()
            self.total += len(entries)
            self.accepted += sum(e[OK] for e in entries)

    def store(self, batch_id: int) -> None:
        """Write the document into the batch's row. On PostgreSQL it goes as one bound
        parameter: Django's client-side binding would copy it twice more into the query."""
        self.document += b"]"
        if connection.vendor != "postgresql":
            ImportBatch.objects.filter(pk=batch_id).update(preview=Cast(
                Value(self.document.decode(), output_field=TextField()),
                output_field=JSONField()))
        else:
            from psycopg import Cursor
            from psycopg.types.json import Jsonb

            table = connection.ops.quote_name(ImportBatch._meta.db_table)
            connection.ensure_connection()
            with Cursor(connection.connection) as cursor, connection.wrap_database_errors:
                # %t: sent as text, the document itself (no copy made to dump it)
                cursor.execute(f"UPDATE {table} SET preview = %t WHERE id = %t",  # noqa: S608
                               # psycopg sends any buffer a dumps returns; its stubs say bytes
                               [Jsonb(self.document, dumps=_as_is),  # type: ignore[arg-type]
                                batch_id])
        self.document = bytearray()


def validate_filing_rows(batch: ImportBatch, ctx: PolicyContext, today: date,
                         ) -> PackedPreview:
    """The preview of every row: field errors, else the verdict of ``evaluate_filings``, judged
    chunk by chunk in file order (a fixed number of queries per chunk) with progress; the
    accepted rows' verdicts are recorded with their chunk for the commit."""
    branches = _branches(batch.bank)
    earlier = EarlierRows()
    preview = PackedPreview()
    for n, (chunk, count) in enumerate(batch_chunks(batch), start=1):
        rows = unpack_rows(chunk.rows)
        cleaned = filing_rows(rows, branches=branches)
        good = [r for r in cleaned if r.request is not None]
        # What the database adds, read once for the chunk's judgement and its recorded verdicts.
        inputs = filing_inputs(bank=batch.bank, requests=[r.request for r in good])
        verdicts: dict[int, FilingEvaluation] = {}
        for start in range(0, len(good), EVALUATION_BATCH):
            part = good[start:start + EVALUATION_BATCH]
            evaluations = evaluate_filings(bank=batch.bank, requests=[r.request for r in part],
                                           filing_date=today, ctx=ctx, snapshots=False,
                                           earlier=earlier, inputs=inputs,
                                           rows=[r.number for r in part])
            verdicts.update((r.number, ev) for r, ev in zip(part, evaluations, strict=True))
        accepted = [(number, ev) for number, ev in verdicts.items() if ev.accepted]
        recorded = None
        if accepted:
            found = record_verdicts(bank=batch.bank, evaluations=[ev for _n, ev in accepted],
                                    ctx=ctx, filing_date=today, inputs=inputs)
            recorded = pack_rows([found.digest, [
                [number, d, request_values(ev.request)]
                for (number, ev), d in zip(accepted, found.decided, strict=True)]])
        ImportChunk.objects.filter(pk=chunk.pk).update(recorded=recorded)
        preview.extend([_filing_entry(r.number, raw, verdicts.get(r.number), r.errors)
                        for r, raw in zip(cleaned, rows, strict=True)])
        _Progress(batch.pk)(5 + 90 * n // count)
    return preview


@dataclass(frozen=True)
class _Recorded:
    """What the validation recorded for a chunk's accepted rows: the fingerprint of what their
    verdicts depend on, and by row number its decision (``_decided``) and request values."""

    digest: str
    rows: dict[int, tuple[dict[str, Any], list[Any]]]

    @classmethod
    def unpack(cls, data: bytes | memoryview | None) -> "_Recorded | None":
        if not data:
            return None
        packed: list[Any] = unpack_rows(data)
        digest, rows = packed
        return cls(str(digest), {number: (d, values) for number, d, values in rows})

    def requests(self, numbers: Sequence[int], branch_ids: set[int]) -> list[RowResult] | None:
        """The rows ``numbers`` as cleaned at validation; None when one was not recorded, or
        names a branch deleted since (its cells are read again, and refused)."""
        out = []
        for number in numbers:
            found = self.rows.get(number)
            if found is None:
                return None
            request = request_from_values(found[1])
            if request.branch_id is not None and request.branch_id not in branch_ids:
                return None
            out.append(RowResult(number=number, request=request))
        return out

    def verdicts(self, numbers: Sequence[int]) -> RecordedVerdicts | None:
        """The verdicts recorded for the rows ``numbers``, if it recorded them all."""
        if any(n not in self.rows for n in numbers):
            return None
        return RecordedVerdicts(self.digest, tuple(self.rows[n][0] for n in numbers))


def validate_classification_rows(batch: ImportBatch, today: date) -> PackedPreview:
    rows = list(batch_rows(batch))  # four short columns: even 100,000 rows are light
    cleaned = classification_rows(rows)
    good = [r for r in cleaned if r.request is not None]
    evaluations = evaluate_classifications(
        bank=batch.bank, requests=[ClassificationRequest(**r.request) for r in good], today=today)
    verdicts = {r.number: ev for r, ev in zip(good, evaluations, strict=True)}
    labels = dict(Classification.choices)
    out = []
    for r, raw in zip(cleaned, rows, strict=True):
        ev = verdicts.get(r.number)
        if ev is None:
            out.append([r.number, raw[1] or "", "", 0, "", "", [["", e] for e in r.errors]])
        else:
            out.append([r.number, ev.request.iou_number, str(labels[ev.request.classification]),
                        int(ev.accepted), "", ev.request.classified_on.isoformat(),
                        [list(p) for p in ev.problems]])
    preview = PackedPreview()
    preview.extend(out)
    return preview


# --- Batches ---------------------------------------------------------------------------------

@transaction.atomic
def import_batch_create(*, bank: Bank, kind: str, original_name: str, data: bytes,
                        parsed: ParsedSheet, actor: Any) -> ImportBatch:
    """Keep an upload that passed the file checks and schedule its validation. The same file
    uploaded again for the bank is noted (``result["duplicate_of"]``): its rows will be judged
    DUPLICATE once the first upload is committed, and are never filed twice."""
    digest = hashlib.sha256(data).hexdigest()
    earlier = (ImportBatch.objects.filter(bank=bank, kind=kind, sha256=digest)
               .exclude(status=Status.FAILED).order_by("-created_at").values_list("pk", flat=True)
               .first())
    batch = ImportBatch(bank=bank, kind=kind, original_name=original_name[:200], sha256=digest,
                        uploaded_by=actor, total_rows=parsed.total_rows,
                        result={"sheet": parsed.sheet, "header_row": parsed.header_row,
                                "ignored": parsed.ignored, "duplicate_of": earlier})
    batch.file.save(f"{uuid.uuid4().hex}.xlsx", ContentFile(data), save=False)
    batch.save()
    ImportChunk.objects.bulk_create([ImportChunk(batch=batch, index=i, rows=rows)
                                     for i, rows in enumerate(parsed.chunks)], batch_size=20)
    from jobs.models import Job
    from jobs.services import job_submit

    job_submit(kind=Job.Kind.IMPORT_VALIDATE, object_id=batch.pk, actor=actor)
    return batch


def import_batch_validate(batch_id: int, *, today: date | None = None) -> None:
    """Validate a batch (the task's body): judge every row, store the preview. Idempotent: a
    batch already validated or beyond is left alone."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().select_related("bank").get(pk=batch_id)
        if batch.status not in (Status.UPLOADED, Status.VALIDATING):
            return
        _update(batch, status=Status.VALIDATING, progress=1)
    today = today or timezone.localdate()
    try:
        with translation.override(settings.LANGUAGE_CODE), batch_gc_paused():
            if batch.kind == Kind.CLASSIFICATIONS:
                preview = validate_classification_rows(batch, today)
            else:
                preview = validate_filing_rows(batch, import_policy_context(), today)
            accepted, total = preview.accepted, preview.total
            message = _("共 %(total)s 行：通过 %(ok)s 行，退回 %(no)s 行。") % {
                "total": total, "ok": accepted, "no": total - accepted}
    except Exception:
        logger.exception("import batch %s: validation failed", batch_id)
        _fail(batch_id, _in_portal_language(gettext_lazy(
            "校验时发生内部错误，未写入任何数据。请重新上传，或联系系统管理员。")))
        return
    done: dict[str, Any] = {"accepted_rows": accepted, "rejected_rows": total - accepted,
            "status": Status.VALIDATED, "message": message}
    with transaction.atomic():
        if ImportBatch.objects.filter(pk=batch_id, status=Status.VALIDATING).update(
                progress=100, **done):
            preview.store(batch_id)
            audit_updated(batch, **done)


def _fail(batch_id: int, message: str) -> None:
    failed: dict[str, Any] = {"status": Status.FAILED, "message": message,
                              "finished_at": timezone.now()}
    batch = ImportBatch.objects.only("original_name", *failed).filter(pk=batch_id).first()
    if batch is not None and ImportBatch.objects.filter(pk=batch_id).update(**failed):
        audit_updated(batch, **failed)


def _in_portal_language(text: StrOrPromise) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


@transaction.atomic
def import_batch_confirm(*, batch: ImportBatch, actor: Any) -> bool:
    """The bank confirms the preview: schedule the commit once. False when there is nothing to
    commit or the batch was already confirmed (a second click changes nothing)."""
    locked = (ImportBatch.objects.select_for_update().only("status", "accepted_rows", "progress")
              .get(pk=batch.pk))
    if locked.status != Status.VALIDATED or locked.accepted_rows == 0:
        return False
    _update(locked, status=Status.COMMITTING, progress=0)
    from jobs.models import Job
    from jobs.services import job_submit

    job_submit(kind=Job.Kind.IMPORT_COMMIT, object_id=locked.pk, actor=actor)
    return True


def batch_give_up(batch_id: int, *, running: Sequence[str], message: str) -> None:
    """The batch's job was given up (its worker died too often): a batch still in one of the
    ``running`` statuses is failed with ``message``. Nothing of it was written: a commit is one
    transaction, and a validation writes only the preview."""
    failed: dict[str, Any] = {"status": Status.FAILED, "message": message,
                              "finished_at": timezone.now()}
    batch = ImportBatch.objects.only("original_name", *failed).filter(pk=batch_id).first()
    if batch is not None and ImportBatch.objects.filter(
            pk=batch_id, status__in=running).update(**failed):
        audit_updated(batch, **failed)


def batch_reset(batch_id: int, *, status: str) -> bool:
    """A failed batch submitted again: back to ``status`` (uploaded: validated again from its
    stored rows; committing: committed from its preview). False when it is not failed, or when
    a commit is asked of a batch whose validation never finished."""
    batch = (ImportBatch.objects.select_for_update().only("status", "message", "accepted_rows")
             .filter(pk=batch_id).first())
    if batch is None or batch.status != Status.FAILED:
        return False
    if status == Status.COMMITTING and not batch.accepted_rows:
        return False
    _update(batch, status=status, progress=0, message="", finished_at=None)
    return True


class _LostRace(Exception):
    """A concurrent filing of the same IOU won the race, or the database refused a row for
    another reason (the message says which): the whole commit is rolled back."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


def import_batch_commit(batch_id: int, actor_id: int, *, today: date | None = None) -> None:
    """Commit a confirmed batch (the task's body): the rows accepted in the preview, chunk by
    chunk in one transaction, each chunk judged again (or taken as recorded at validation when
    nothing its verdicts depend on has changed) and written by ``filings_commit`` (or, for
    classifications, ``classifications_commit``), with the progress after each chunk. Rows
    refused now (another upload filed the same IOU meanwhile: DUPLICATE) are reported in the
    preview. Idempotent: only a batch in COMMITTING is committed, checked under the bank's row
    lock, which every commit of the bank's batches takes first (the batch's own row stays
    unlocked, so that the progress can be written beside the transaction)."""
    today = today or timezone.localdate()
    try:
        with transaction.atomic(), translation.override(settings.LANGUAGE_CODE), \
                batch_gc_paused():
            bank_id = ImportBatch.objects.values_list("bank_id", flat=True).get(pk=batch_id)
            Bank.objects.select_for_update().get(pk=bank_id)
            batch = ImportBatch.objects.select_related("bank").defer("preview").get(pk=batch_id)
            if batch.status != Status.COMMITTING:
                return
            progress = _Progress(batch_id)
            try:
                _commit(batch, actor_id, today, progress)
            finally:
                progress.close()
    except _LostRace as lost:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status == Status.COMMITTING:
                _update(batch, status=Status.VALIDATED, progress=0, message=lost.message
                        or _in_portal_language(gettext_lazy(
                            "提交时发现其他上传正在备案相同的借据，本次未写入任何备案。"
                            "请再次确认提交，重复的借据将以“重复”退回。")))
    except Exception:
        logger.exception("import batch %s: commit failed", batch_id)
        _fail(batch_id, _in_portal_language(gettext_lazy(
            "提交时发生内部错误，未写入任何数据。请重新上传，或联系系统管理员。")))


def _commit(batch: ImportBatch, actor_id: int, today: date,
            progress: Callable[[int], None]) -> None:
    from django.contrib.auth import get_user_model

    actor = get_user_model().objects.get(pk=actor_id)
    # Only which rows passed is held through the commit; the preview is read again at the end
    # when some row is refused now (a quarter's preview is 100,000 entries).
    total, passed = _passed_rows(batch)
    refused: dict[int, list[list[str]]] = {}  # rows the preview accepted and the commit did not
    written = 0
    if batch.kind == Kind.CLASSIFICATIONS:
        rows = [r for r in batch_rows(batch) if r[0] in passed]
        cleaned = classification_rows(rows)
        good = [r for r in cleaned if r.request is not None]
        reports, evaluations = classifications_commit(
            bank=batch.bank, requests=[ClassificationRequest(**r.request) for r in good],
            actor=actor, today=today)
        written = len(reports)
        refused.update({r.number: [list(p) for p in ev.problems]
                        for r, ev in zip(good, evaluations, strict=True) if not ev.accepted})
        refused.update({r.number: [["", e] for e in r.errors] for r in cleaned if r.errors})
    else:
        ctx, branches, earlier = import_policy_context(), _branches(batch.bank), EarlierRows()
        branch_ids = set(branches.values())
        for n, (chunk, count) in enumerate(batch_chunks(batch), start=1):
            rows = [r for r in unpack_rows(chunk.rows) if r[0] in passed]
            if not rows:
                continue
            stored = _Recorded.unpack(chunk.recorded)
            fresh: list[RowResult] = []  # the rows' cells, read again
            kept = (stored.requests([r[0] for r in rows], branch_ids)
                    if stored is not None else None)
            if kept is None:
                fresh = filing_rows(rows, branches=branches)
                kept = [r for r in fresh if r.request is not None]
            try:
                filings, filing_evaluations = filings_commit(
                    bank=batch.bank, requests=[r.request for r in kept], actor=actor, ctx=ctx,
                    filing_date=today, batch=batch, earlier=earlier,
                    recorded=stored.verdicts([r.number for r in kept])
                    if stored is not None else None)
            except Refusal as exc:  # a concurrent filing of the same IOU won the race
                raise _LostRace from exc
            except FilingNotSaved as exc:  # logged where the database refused it
                raise _LostRace(exc.message) from exc
            written += len(filings)
            refused.update({r.number: _reasons(ev)
                            for r, ev in zip(kept, filing_evaluations, strict=True)
                            if not ev.accepted})
            # A row whose cells no longer read (a branch deleted meanwhile) is refused.
            refused.update({r.number: [["", e] for e in r.errors] for r in fresh if r.errors})
            progress(100 * n // count)
    done: dict[str, Any] = {}
    if refused:  # else the preview is not written again
        preview = import_batch_preview(batch)
        for entry in preview:
            reasons = refused.get(entry[ROW])
            if reasons is not None:
                entry[OK], entry[REASONS] = 0, reasons
                if batch.kind == Kind.FILINGS:
                    entry[SCHEME], entry[RATIO] = "", ""
                    entry[VERSION:] = [""]
        done["preview"] = preview
    ImportChunk.objects.filter(batch=batch).exclude(recorded=None).update(recorded=None)
    _update(batch, accepted_rows=written, rejected_rows=total - written,
            status=Status.COMMITTED, progress=100, finished_at=timezone.now(),
            message=_("已提交：写入 %(ok)s 行，退回 %(no)s 行。") % {
                "ok": written, "no": total - written}, **done)


def _passed_rows(batch: ImportBatch) -> tuple[int, set[int]]:
    """(entries in the preview, the row numbers it accepted), picked out by the database: the
    preview of a quarter read into Python is 100,000 lists, a hundred MB of the worker's peak
    memory, to keep a set of numbers."""
    table = connection.ops.quote_name(ImportBatch._meta.db_table)
    if connection.vendor == "postgresql":
        sql = (f"SELECT jsonb_array_length(b.preview), (SELECT array_agg((e ->> {ROW})::int) "  # noqa: S608
               f"FROM jsonb_array_elements(b.preview) e WHERE e ->> {OK} = '1') "
               f"FROM {table} b WHERE b.id = %s AND jsonb_typeof(b.preview) = 'array'")
    elif connection.vendor == "sqlite":
        sql = (f"SELECT json_array_length(b.preview), (SELECT json_group_array("  # noqa: S608
               f"json_extract(e.value, '$[{ROW}]')) FROM json_each(b.preview) e "
               f"WHERE json_extract(e.value, '$[{OK}]') = 1) "
               f"FROM {table} b WHERE b.id = %s AND json_type(b.preview) = 'array'")
    else:
        preview = import_batch_preview(batch)
        return len(preview), {e[ROW] for e in preview if e[OK]}
    with connection.cursor() as cursor:
        cursor.execute(sql, [batch.pk])
        found = cursor.fetchone()
    if found is None:
        return 0, set()
    total, numbers = found
    if isinstance(numbers, str):  # SQLite's JSON array
        numbers = json.loads(numbers)
    return total or 0, set(numbers or ())
