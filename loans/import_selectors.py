"""Reads of import batches: the user's batches, a batch's preview, header and duplicate, its
rows chunk by chunk, and the workbook of its rejected rows."""

from collections.abc import Iterator, Sequence
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from banks.selectors import scope_to_user_banks
from riskcomp.choices import Scheme

from .importing import (
    LAYOUTS,
    build_workbook,
    unpack_rows,
)
from .models import ImportBatch, ImportChunk

# One preview entry per data row (compact JSON, 10,000 of them for a quarter):
# [row number, IOU, enterprise, accepted (1/0), scheme, ratio, [[code, message], ...],
#  policy document number, amount in CNY ("" when unreadable), drawdown date (ISO or "")]
ROW, IOU, NAME, OK, SCHEME, RATIO, REASONS, VERSION, AMOUNT, DRAWDOWN = range(10)


def batch_chunks(batch: ImportBatch) -> Iterator[tuple[ImportChunk, int]]:
    """The batch's chunks in file order, read one at a time, with how many there are."""
    ids = list(ImportChunk.objects.filter(batch=batch).order_by("index")
               .values_list("pk", flat=True))
    for pk in ids:
        yield ImportChunk.objects.get(pk=pk), len(ids)


def batch_rows(batch: ImportBatch) -> Iterator[list[Any]]:
    for chunk, _n in batch_chunks(batch):
        yield from unpack_rows(chunk.rows)


def import_batch_list_for(*, user: Any) -> QuerySet[ImportBatch]:
    """The user's banks' batches (every bank for the custodian, the bureau and auditors), without
    their row data."""
    return scope_to_user_banks(ImportBatch.objects.select_related("bank", "uploaded_by")
                               .defer("result", "preview"), user)


def import_batch_preview(batch: ImportBatch) -> list[list[Any]]:
    """The preview entries of a batch, read without its raw rows."""
    found = ImportBatch.objects.filter(pk=batch.pk).values_list("preview", flat=True).first()
    return found or []


def import_batch_duplicate_of(batch: ImportBatch) -> int | None:
    """The earlier batch of the bank with the very same file, if any."""
    return (ImportBatch.objects.filter(pk=batch.pk)
            .values_list("result__duplicate_of", flat=True).first())


def import_batch_header(batch: ImportBatch) -> dict[str, Any]:
    """Where the headers of the batch's file were found (sheet, row) and the columns ignored."""
    found = (ImportBatch.objects.filter(pk=batch.pk)
             .values_list("result__sheet", "result__header_row", "result__ignored").first())
    sheet, row, ignored = found or (None, None, None)
    return {"sheet": sheet or "", "row": row or 1, "ignored": ignored or []}


SCHEME_SHORT = {str(Scheme.TECH): gettext_lazy("科创"), str(Scheme.MICRO): gettext_lazy("小微")}


def reason_text(entry: Sequence[Any]) -> str:
    """The reasons of a preview entry as one cell, a line per scheme after those of no scheme:
    ``CODE：message；message`` / ``科创：CODE：message`` / ``小微：CODE：message``."""
    groups: dict[str, list[str]] = {}
    for code, message, *scheme in entry[REASONS]:
        groups.setdefault(scheme[0] if scheme else "", []).append(
            f"{code}：{message}" if code else message)
    return "\n".join(f"{SCHEME_SHORT[s]}：{'；'.join(texts)}" if s in SCHEME_SHORT
                     else "；".join(texts) for s, texts in groups.items())


def import_rejected_workbook(batch: ImportBatch) -> bytes:
    """The rejected rows in the template's format, with their reasons in a last column."""
    reasons = {e[ROW]: reason_text(e) for e in import_batch_preview(batch) if not e[OK]}
    rows = [r for r in batch_rows(batch) if r[0] in reasons]
    return build_workbook(LAYOUTS[batch.kind], rows, reasons)
