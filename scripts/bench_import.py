"""Benchmark of the quarter's Excel import on PostgreSQL (``make bench``).

Creates a throw-away database (``riskcomp_bench_<run>``), a bank with agreements for both schemes
and an officer, and a 10,000-row workbook of valid, varied loans drawn down in 2026Q3 (filed on
2026-10-09, within the deadline). Then measures:

1. our path, exactly as the portal runs it (upload checks and reading, the validation task, the
   confirmation, the commit task; tasks eager), in a process that has already imported a small
   file of other loans, as a Celery worker has (the first import of a process also pays for
   loading modules, catalogues and connections once), with enterprises new to the portal:
   ``import_rows_per_s``, the queries per 1,000 rows and, in a second run into a fresh bank, the
   peak of Python allocations (tracemalloc, which slows the code down, hence a separate run):
   ``import_peak_mb``;
2. the same file through a plain django-import-export ``ModelResource`` saving row by row (no
   rule judged at all): ``import_naive_rows_per_s``, and the ratio ``import_speedup``;
3. a 100,000-row quarter of the same kind: the upload's reading here, then the validation, the
   confirmation and the commit in a process of their own, as a worker runs them:
   ``import_100k_s`` (all of it) and ``import_100k_peak_mb``, that process's peak resident memory
   (Python, Django and the database driver included).

Each figure is printed on a line of its own as ``name: value``. The database is dropped at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/riskcomp python scripts/bench_import.py
"""

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from benchdb import QueryCounter, bench_environment, run, setup_django

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
LARGE_ROWS = int(os.environ.get("BENCH_IMPORT_LARGE_ROWS", "100000"))
# Runs of ``import_rows_per_s``, each a file of its own enterprises (new to the portal, as in the
# first quarter a bank files them), the best reported: on a shared two-core machine a single run
# varies by a third from one minute to the next.
RUNS = int(os.environ.get("BENCH_IMPORT_RUNS", "3"))
FILING_DAY = date(2026, 10, 9)  # within the 15 working days after 2026Q3
BENCH_DB = "riskcomp_bench"


def _setup_django(bench_url: str) -> None:
    setup_django(bench_url)
    _fix_today()


def _fix_today() -> None:
    from django.utils import timezone

    timezone.localdate = lambda *args, **kwargs: FILING_DAY  # "today" for the filing deadline


WARM_UP_ROWS = 500


def _rows(n: int, seed: int = 20261009, area: str = "110302") -> list[list[Any]]:
    """Raw rows as a bank fills the template: Chinese labels, dates, numbers. ``area`` (in the
    credit codes) and ``seed`` give another file of other enterprises."""
    from loans.importing import FILINGS
    from riskcomp.policy.credit_code import credit_code_check_char

    rnd = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    enterprises = []
    for i in range(max(n * 2 // 5, 1)):
        body = "91" + area + "".join(rnd.choice(chars) for _ in range(9))
        profile = rnd.random()
        if profile < 0.55:  # small company, MICRO (or TECH when in scope)
            kind, size, tech = "企业法人", rnd.choice(["小型", "微型"]), rnd.random() < 0.3
        elif profile < 0.75:  # medium tech company, TECH
            kind, size, tech = "企业法人", "中型", True
        else:  # individual business, MICRO
            kind, size, tech = "个体工商户", rnd.choice(["小型", "微型"]), False
        if size == "微型":
            tech = False
        enterprises.append((body + credit_code_check_char(body), f"北京亦庄测试企业{i:05d}有限公司",
                            kind, size, tech, rnd.random() < 0.25))
    headers = FILINGS.headers
    out = []
    for n_row in range(n):
        code, name, kind, size, tech, qualified = enterprises[n_row % len(enterprises)]
        drawdown = date(2026, 7, 1) + timedelta(days=rnd.randrange(92))
        loan_type = rnd.choice(["信用贷款", "信用贷款", "知识产权质押贷款", "应收账款质押贷款"])
        share = ""
        if tech and size == "中型" and rnd.random() < 0.3:
            loan_type, share = "银担分险贷款", "30"
        foreign = rnd.random() < 0.03
        amount = Decimal(rnd.randrange(50, 300)) * 10000
        values = {
            "统一社会信用代码": code, "企业名称": name, "主体类型": kind, "企业规模": size,
            "是否在经开区": "是", "符合小微政策信用合规条件": "是",
            "符合科创政策信用合规条件": "是",
            "属于科创支持范围": "是" if tech else "否",
            "借据号": f"JJ2026Q3{n_row:06d}", "合同号": f"HT2026Q3{n_row:06d}",
            "贷款品种": loan_type, "贷款金额": str(amount / 7 if foreign else amount),
            "币种": "USD" if foreign else "CNY", "汇率": "7.1" if foreign else None,
            "放款日期": drawdown.isoformat(),
            "合同到期日": (drawdown + timedelta(days=rnd.choice([180, 364, 729]))).isoformat(),
            "年利率(%)": str(Decimal(rnd.randrange(280, 445)) / 100),
            "征信未结清贷款余额": str(Decimal(rnd.randrange(0, 500)) * 10000),
            "征信报告日期": (drawdown - timedelta(days=rnd.randrange(1, 20))).isoformat(),
            "有其他保险担保或补偿": "否", "首笔贷款": rnd.choice(["是", "否"]),
            "追加自然人保证": rnd.choice(["是", "否"]),
            "政府性融资担保机构": "北京市融资担保有限公司" if share else None,
            "银行分险比例(%)": share or None,
        }
        if qualified:
            values.update({"资质1类型": "国家高新技术企业", "资质1证书编号": f"GR2025{n_row:06d}",
                           "资质1有效期起": "2025-01-01", "资质1有效期止": "2027-12-31"})
        if values["贷款金额"] and foreign:
            values["贷款金额"] = str((amount / 7).quantize(Decimal("0.01")))
        out.append([n_row + 2, *(values.get(h) for h in headers)])
    return out


def _bank(code: str):  # type: ignore[no-untyped-def]
    from django.contrib.auth import get_user_model

    from banks.models import Bank, CooperationAgreement
    from banks.services import officer_grant

    bank = Bank.objects.create(name=f"基准测试银行{code}", short_name=f"基准{code}", code=code)
    for scheme in ("MICRO", "TECH"):
        CooperationAgreement.objects.create(
            bank=bank, scheme=scheme, number=f"BENCH-{code}-{scheme}", signed_on=date(2025, 7, 1),
            valid_from=date(2025, 7, 1), valid_to=date(2028, 6, 29))
    officer = get_user_model().objects.create_user(username=f"bench_{code}", password=None)
    officer_grant(user=officer, bank=bank)
    return bank, officer



def _our_path(data: bytes, bank, officer):  # type: ignore[no-untyped-def]
    """Upload (checks and reading), validation task, confirmation, commit task."""
    from loans.import_services import import_batch_confirm, import_batch_create
    from loans.importing import FILINGS, read_workbook
    from loans.models import ImportBatch

    parsed = read_workbook(data, FILINGS)
    batch = import_batch_create(bank=bank, kind="filings", original_name="bench.xlsx", data=data,
                                parsed=parsed, actor=officer)  # validation runs on commit
    batch.refresh_from_db(fields=["status", "message"])  # as the progress page polls it
    if batch.status != ImportBatch.Status.VALIDATED:
        sys.exit(f"bench_import: validation ended {batch.status}: {batch.message}")
    import_batch_confirm(batch=batch, actor=officer)  # the commit task runs on commit
    batch.refresh_from_db(fields=["status", "message", "total_rows"])
    if batch.status != ImportBatch.Status.COMMITTED:
        sys.exit(f"bench_import: commit ended {batch.status}: {batch.message}")
    return batch


def _large_workbook(rows: list[list[Any]]) -> bytes:
    """The template's data sheet, written as a stream (openpyxl's write-only mode: the full
    template of 100,000 rows would take minutes and gigabytes to build, which is not measured)."""
    import io

    import openpyxl

    from loans.importing import FILING_SHEET, FILINGS

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(FILING_SHEET)
    ws.append(FILINGS.headers)
    for raw in rows:
        ws.append(raw[1:])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _large(data: bytes) -> tuple[float, float, int]:
    """Upload here (checks, reading, the batch), then the worker's part in a process of its own:
    (seconds in all, the worker's peak MB, rows filed)."""
    from unittest import mock

    from django.db import connection

    from loans.import_services import import_batch_create
    from loans.importing import FILINGS, read_workbook
    from loans.models import LoanFiling

    bank, officer = _bank("L1")
    started = time.perf_counter()
    parsed = read_workbook(data, FILINGS)
    # Nothing is sent from the upload: the worker below runs the validation itself.
    with mock.patch("jobs.services.job_send"):
        batch = import_batch_create(bank=bank, kind="filings", original_name="large.xlsx",
                                    data=data, parsed=parsed, actor=officer)
    uploaded = time.perf_counter() - started
    del parsed
    s = connection.settings_dict
    url = (f"postgres://{s['USER']}{':' + s['PASSWORD'] if s['PASSWORD'] else ''}@"
           f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}")
    worker = subprocess.run(  # noqa: S603 - this very script, with fixed arguments
        [sys.executable, __file__, "--worker", str(batch.pk), str(officer.pk)],
        env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, check=False)
    if worker.returncode != 0:
        sys.exit(f"bench_import: the worker's part failed:\n{worker.stderr[-3000:]}")
    figures = json.loads(worker.stdout.strip().splitlines()[-1])
    filed = LoanFiling.objects.filter(bank=bank).count()
    print(f"# 100k: upload {uploaded:.1f} s, validation {figures['validate_s']:.1f} s, "
          f"commit {figures['commit_s']:.1f} s, {filed} rows filed", flush=True)
    return uploaded + figures["validate_s"] + figures["commit_s"], figures["peak_mb"], filed


def _worker(batch_id: int, actor_id: int) -> None:
    """The validation task, the confirmation and the commit task, as a worker runs them."""
    bench_environment(os.environ["DATABASE_URL"])
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)
    _fix_today()
    from django.contrib.auth import get_user_model

    from loans.import_services import import_batch_confirm, import_batch_validate
    from loans.models import ImportBatch

    started = time.perf_counter()
    import_batch_validate(batch_id)
    validated = time.perf_counter()
    # Read as the confirmation view reads it (``import_batch_list_for``): without the preview,
    # which is the page's, not the commit's (100,000 entries would be most of the peak).
    batch = ImportBatch.objects.defer("result", "preview").get(pk=batch_id)
    if batch.status != ImportBatch.Status.VALIDATED:
        sys.exit(f"validation ended {batch.status}: {batch.message}")
    import_batch_confirm(batch=batch, actor=get_user_model().objects.get(pk=actor_id))
    committed = time.perf_counter()  # the commit task ran eagerly on the confirmation's commit
    batch.refresh_from_db()
    if batch.status != ImportBatch.Status.COMMITTED:
        sys.exit(f"commit ended {batch.status}: {batch.message}")
    print(json.dumps({"validate_s": validated - started, "commit_s": committed - validated,
                      "peak_mb": _peak_rss_kb() / 1024}))


def _peak_rss_kb() -> int:
    """This process's peak resident memory (``VmHWM``: since its ``exec``; ``ru_maxrss`` would
    also count the forking parent's)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        _worker(int(sys.argv[2]), int(sys.argv[3]))
        return
    with tempfile.TemporaryDirectory(prefix="riskcomp-bench-") as var_dir:
        os.environ["RISKCOMP_VAR_DIR"] = var_dir  # the uploaded workbooks go here
        run(BENCH_DB, _setup_django, _bench)


def _bench() -> None:
    from django.db import connection
    from import_export.formats.base_formats import XLSX
    from naive_resource import NaiveLoanFilingResource

    from loans.importing import FILINGS, build_workbook
    from loans.models import LoanFiling

    started = time.perf_counter()
    data = build_workbook(FILINGS, _rows(ROWS))
    print(f"# workbook: {ROWS} rows, {len(data) / 1048576:.1f} MB, built in "
          f"{time.perf_counter() - started:.1f} s", flush=True)

    warm_bank, warm_officer = _bank("WARM")
    _our_path(build_workbook(FILINGS, _rows(WARM_UP_ROWS, seed=1, area="110115")), warm_bank,
              warm_officer)

    runs = []
    for attempt in range(1, RUNS + 1):  # a fresh bank and file each time; the best is reported
        if attempt > 1:
            data = build_workbook(FILINGS, _rows(ROWS, seed=20261009 + attempt,
                                                 area=f"1103{attempt + 10:02d}"))
        bank, officer = _bank(f"B{attempt}")
        count = QueryCounter()
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            batch = _our_path(data, bank, officer)
            elapsed = time.perf_counter() - started
        filed = LoanFiling.objects.filter(bank=bank).count()
        print(f"# ours, run {attempt}: {filed} of {batch.total_rows} rows filed in "
              f"{elapsed:.2f} s, {count.queries} queries", flush=True)
        runs.append((elapsed, count.queries, filed))
    elapsed, queries, filed = min(runs)
    ours = ROWS / elapsed

    bank2, officer2 = _bank("M1")
    tracemalloc.start()
    _our_path(data, bank2, officer2)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    bank3, officer3 = _bank("N1")
    started = time.perf_counter()
    dataset = XLSX().create_dataset(data)
    resource_ = NaiveLoanFilingResource(bank=bank3, actor=officer3, filed_on=date(2026, 10, 9))
    result = resource_.import_data(dataset, dry_run=False, raise_errors=True)
    naive_elapsed = time.perf_counter() - started
    naive_filed = LoanFiling.objects.filter(bank=bank3).count()
    print(f"# naive: {naive_filed} rows saved in {naive_elapsed:.2f} s "
          f"({result.totals.get('new', 0)} new)", flush=True)
    naive = ROWS / naive_elapsed

    print(f"import_rows_per_s: {ours:.0f}")
    print(f"import_naive_rows_per_s: {naive:.0f}")
    print(f"import_speedup: {ours / naive:.1f}")
    print(f"import_peak_mb: {peak / 1048576:.1f}")
    print(f"import_queries_per_1000_rows: {queries / (ROWS / 1000):.1f}")
    print(f"import_filed_rows: {filed}", flush=True)

    started = time.perf_counter()
    large = _large_workbook(_rows(LARGE_ROWS, seed=100000, area="110108"))
    print(f"# workbook: {LARGE_ROWS} rows, {len(large) / 1048576:.1f} MB, built in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    seconds, peak_mb, large_filed = _large(large)
    print(f"import_100k_s: {seconds:.1f}")
    print(f"import_100k_peak_mb: {peak_mb:.0f}")
    print(f"import_100k_filed_rows: {large_filed}")


if __name__ == "__main__":
    main()
