"""The quarter's filing import for scripts: ``python manage.py import_filings FILE.xlsx --bank CODE
--user USERNAME [--commit] [--json]`` reads and judges the file as the upload screen does and,
with ``--commit``, files the accepted rows through the same commit service, audited as that user.
One result per data row (its row number in the file); exit 0 when the file could be read, 1 with a
Chinese message when it could not. ``import_filings --template OUT.xlsx`` writes the blank
template the screen offers."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role, role_of
from banks.models import Bank, Branch
from banks.selectors import banks_for
from riskcomp.choices import Scheme

from ...import_selectors import SCHEME_SHORT
from ...import_services import import_policy_context
from ...importing import (
    FILINGS,
    ImportFileError,
    RowResult,
    batch_gc_paused,
    build_workbook,
    filing_rows,
    read_workbook,
    unpack_rows,
)
from ...resources import CellError
from ...services import EarlierRows, FilingEvaluation, evaluate_filings, filings_commit

# The values shown as read, by attribute (their headers name them in the text output).
SHOWN = ("iou_number", "amount", "drawdown_date", "rate_percent")
JSON_NAMES = {"iou_number": "iou", "amount": "amount", "drawdown_date": "drawdown_date",
              "rate_percent": "rate_percent"}
# Those who may file for a bank from a script: its officers, and the custodian's reviewers (who
# migrate earlier records).
COMMITTERS = (Role.BANK_OFFICER, Role.REVIEWER)


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        two = value.quantize(Decimal("0.01"))
        return format(two if two == value else value.normalize(), "f")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def values_as_read(raw: list[Any]) -> dict[str, str | None]:
    """The row's IOU, amount, drawdown date and rate as the import reads them (None for a cell
    that is blank or cannot be read; its error is in the row's errors)."""
    out: dict[str, str | None] = {}
    for index, f in enumerate(FILINGS.fields, start=1):
        if f.attribute in SHOWN:
            try:
                value = None if raw[index] is None else f.widget.convert(raw[index])
            except CellError:
                value = None
            out[f.attribute] = _shown(value)
    return out


class Command(BaseCommand):
    help = ("Judge (and with --commit file) the loans of a quarter's Excel workbook for a bank, "
            "as the import screen does; or write the blank template with --template.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="the workbook (.xlsx)")
        parser.add_argument("--bank", help="the bank's code (机构编码)")
        parser.add_argument("--user", help="the username the filings are made (and audited) as")
        parser.add_argument("--commit", action="store_true",
                            help="file the accepted rows (without it nothing is written)")
        parser.add_argument("--json", action="store_true",
                            help="print a JSON list, one object per data row")
        parser.add_argument("--template", metavar="OUT.xlsx",
                            help="write the blank filing template to OUT.xlsx and stop")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(settings.LANGUAGE_CODE), batch_gc_paused():
            if options["template"]:
                self._template(Path(options["template"]))
                return
            self._import(options)

    def _template(self, out: Path) -> None:
        try:
            out.write_bytes(build_workbook(FILINGS))
        except OSError as exc:
            raise CommandError(_("无法写入文件“%(path)s”：%(error)s") % {
                "path": out, "error": exc.strerror or exc}) from exc
        self.stdout.write(_("已写入空白的贷款备案导入模板：%(path)s") % {"path": out})

    def _import(self, options: dict[str, Any]) -> None:
        if not options["file"] or not options["bank"] or not options["user"]:
            raise CommandError(_("请指定文件、--bank 银行编码和 --user 用户名，"
                                 "或用 --template OUT.xlsx 导出空白模板。"))
        bank, user = self._bank_and_user(options["bank"], options["user"], options["commit"])
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("无法读取文件“%(path)s”：%(error)s") % {
                "path": path, "error": exc.strerror or exc}) from exc
        try:
            parsed = read_workbook(data, FILINGS)
        except ImportFileError as exc:
            raise CommandError(exc.message) from exc

        today = timezone.localdate()
        ctx = import_policy_context()
        branches = dict(Branch.objects.filter(bank=bank).values_list("code", "pk"))
        # Judged chunk by chunk in file order, as the upload's validation does.
        earlier = EarlierRows()
        raws: list[list[Any]] = []
        cleaned: list[RowResult] = []
        verdicts: dict[int, FilingEvaluation] = {}
        for chunk in parsed.chunks:
            rows = unpack_rows(chunk)
            part = filing_rows(rows, branches=branches)
            good_part = [r for r in part if r.request is not None]
            verdicts.update(zip((r.number for r in good_part), evaluate_filings(
                bank=bank, requests=[r.request for r in good_part], filing_date=today, ctx=ctx,
                snapshots=False, earlier=earlier, rows=[r.number for r in good_part]),
                strict=True))
            raws.extend(rows)
            cleaned.extend(part)
        good = [r for r in cleaned if r.request is not None]
        written = 0
        if options["commit"]:
            accepted = [r for r in good if verdicts[r.number].accepted]
            if accepted:
                filings, evaluations = filings_commit(
                    bank=bank, requests=[r.request for r in accepted], actor=user, ctx=ctx,
                    filing_date=today)
                written = len(filings)
                verdicts.update({r.number: ev for r, ev in
                                 zip(accepted, evaluations, strict=True)})
        results = [self._result(r, raw, verdicts.get(r.number))
                   for r, raw in zip(cleaned, raws, strict=True)]
        self._print(results, parsed.sheet, parsed.header_row, options, written)

    def _bank_and_user(self, code: str, username: str, commit: bool) -> tuple[Bank, Any]:
        bank = Bank.objects.filter(code=code).first()
        if bank is None:
            raise CommandError(_("没有编码为“%(code)s”的合作银行。") % {"code": code})
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(_("没有用户名为“%(name)s”的有效用户。") % {"name": username})
        if not banks_for(user).filter(pk=bank.pk).exists():
            raise CommandError(_("用户“%(name)s”无权查看“%(bank)s”的备案。") % {
                "name": username, "bank": bank.name})
        if commit and role_of(user) not in COMMITTERS:
            raise CommandError(_("用户“%(name)s”不能备案贷款：只有该行的银行经办人员或托管机构"
                                 "审核人员可以使用 --commit。") % {"name": username})
        return bank, user

    @staticmethod
    def _result(r: RowResult, raw: list[Any], ev: FilingEvaluation | None) -> dict[str, Any]:
        reasons: dict[str, list[str]] = {"common": [], str(Scheme.TECH): [],
                                         str(Scheme.MICRO): []}
        messages: list[str] = list(r.errors)
        accepted = ev is not None and ev.accepted
        scheme = ratio = None
        if ev is not None:
            for s, reason in ev.refusals_by_scheme():
                reasons[s or "common"].append(str(reason.code))
                messages.append(str(reason.message))
            if accepted and ev.decision is not None:
                scheme, ratio = str(ev.decision.scheme), str(ev.decision.ratio)
        values = values_as_read(raw)
        return {"row": r.number, "accepted": accepted, "scheme": scheme, "ratio": ratio,
                "reasons": reasons, "messages": messages,
                "values": {JSON_NAMES[k]: v for k, v in values.items()}}

    def _print(self, results: list[dict[str, Any]], sheet: str, header_row: int,
               options: dict[str, Any], written: int) -> None:
        ok = sum(1 for r in results if r["accepted"])
        summary = _("共 %(total)s 行：通过 %(ok)s 行，退回 %(no)s 行。") % {
            "total": len(results), "ok": ok, "no": len(results) - ok}
        if options["commit"]:
            summary += _("已写入 %(n)s 行。") % {"n": written}
        else:
            summary += _("仅校验，未写入（加 --commit 写入通过的行）。")
        if options["json"]:
            self.stdout.write(json.dumps(results, ensure_ascii=False, indent=1))
            self.stderr.write(summary)
            return
        self.stdout.write(_("使用工作表“%(sheet)s”第%(row)s行作为表头") % {
            "sheet": sheet, "row": header_row})
        headers = {f.attribute: f.column_name for f in FILINGS.fields}
        for r in results:
            if r["accepted"]:
                verdict = _("通过") + " " + str(SCHEME_SHORT[r["scheme"]]) + " " + \
                    f"{Decimal(r['ratio']) * 100:.0f}%"
            else:
                groups = [("", r["reasons"]["common"])] + [
                    (str(SCHEME_SHORT[s]) + _("："), r["reasons"][s])
                    for s in (str(Scheme.TECH), str(Scheme.MICRO))]
                codes = _("；").join(label + "、".join(codes) for label, codes in groups if codes)
                verdict = _("退回") + " " + (codes or _("；").join(r["messages"]))
            values = "  ".join(f"{headers[k]}={v if v is not None else '—'}"
                               for k, v in zip(SHOWN, (r["values"][JSON_NAMES[k]]
                                                       for k in SHOWN), strict=True))
            self.stdout.write(_("第%(row)s行") % {"row": r["row"]} + f"  {verdict}  {values}")
        self.stdout.write(summary)
