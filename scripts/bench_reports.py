"""Benchmark of the annual report on PostgreSQL (``make bench``).

Creates a throw-away database (``riskcomp_reports_bench``), migrates it, and fills it on the
server side (``INSERT … SELECT generate_series``, never the ORM row by row) with one year of
business: 30 banks, 8,000 enterprises (part of them qualified in the filing's snapshot), 20,000
filings across both schemes, 3,000 claims in every status with their history, payments and
their ledger entries for the paid and written-off ones, recoveries and received returns for a
third of the paid ones, confirmed write-offs, the capital, monthly interest, the management fee
and a few suspension changes. After ANALYZE it times ``report_data`` and ``render_report_pdf`` of
the two yearly documents, the audit report (``annual``) then the operations report, with the peak
resident memory of the process (WeasyPrint's layout lives in C and Python objects alike, so RSS is
the honest figure), then the workbook made alongside (``*_xlsx_s``), which holds the listings the
PDF only totals. ``BENCH_REPORTS_KEEP_PDF=DIR`` keeps the two PDFs and workbooks there to look at.

Each figure is printed on a line of its own as ``name: value``. The database is dropped at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/riskcomp python scripts/bench_reports.py
"""

import os
import resource
import sys
import time
from datetime import date
from typing import Any

from benchdb import (
    INSERT_FILINGS,
    SEED_BANKS_AND_ENTERPRISES,
    SEED_OFFICER,
    analyze_and_count,
    load_sql,
    run,
    setup_django,
)

FILINGS = int(os.environ.get("BENCH_REPORTS_FILINGS", "20000"))
CLAIMS = int(os.environ.get("BENCH_REPORTS_CLAIMS", "3000"))
BANKS = 30
ENTERPRISES = 8_000
YEAR = 2025
BENCH_DB = "riskcomp_reports_bench"


# Filing g is filed on day g % 360 of the year; every third is TECH. One claim on every
# (filings / claims)-th filing; the claim's status cycles so that half are paid and a tenth
# written off. Returns come in for every third paid claim.
# Its first statement is the SELECT that ``INSERT_FILINGS`` inserts.
_OWN_FILL = """SELECT 'JJ%(year)s' || lpad(g::text, 8, '0'), 'HT' || lpad(g::text, 8, '0'),
       make_date(%(year)s, 1, 1) + (g %% 360) - 20, make_date(%(year)s + 1, 1, 1) + (g %% 360),
       (50 + g %% 250) * 10000.00, 'CNY', (50 + g %% 250) * 10000.00, 3.2000,
       (ARRAY['credit', 'ip_pledge', 'receivables_pledge', 'credit'])[1 + g %% 4],
       false, false, '', 2000000.00, make_date(%(year)s, 1, 1) + (g %% 360) - 25, 0, g %% 7 = 0,
       make_date(%(year)s, 1, 1) + (g %% 360), '%(year)sQ1',
       CASE WHEN g %% 3 = 0 THEN 'TECH' ELSE 'MICRO' END,
       CASE WHEN g %% 3 = 0 THEN 0.5000 ELSE 0.3000 END,
       CASE WHEN g %% 3 = 0 THEN '京技管发〔2025〕13号' ELSE '京技管发〔2025〕12号' END,
       CASE WHEN g %% 5 = 0 THEN jsonb_build_object('enterprise', jsonb_build_object(
           'qualifications', jsonb_build_array(
               jsonb_build_object('type', (ARRAY['high_tech', 'beijing_srdi', 'single_champion'])
                                          [1 + g %% 3],
                                  'valid_from', '2023-01-01', 'valid_to', '2027-12-31'))))
            ELSE '{}'::jsonb END,
       '', (50 + g %% 250) * 10000.00, 'active', now(),
       (SELECT min(id) FROM banks_bank) + (g / 20) %% %(banks)s,
       (SELECT min(id) FROM loans_enterprise) + g %% %(enterprises)s,
       (SELECT id FROM auth_user WHERE username = 'bench_officer'),
       (SELECT name FROM loans_enterprise
        WHERE id = (SELECT min(id) FROM loans_enterprise) + g %% %(enterprises)s)
FROM generate_series(1, %(filings)s) g;

-- What the filing service stores at filing: the seeded qualification is valid at drawdown.
UPDATE loans_loanfiling
SET qualification_types = ',' || (snapshot->'enterprise'->'qualifications'->0->>'type') || ','
WHERE snapshot->'enterprise' ? 'qualifications';

INSERT INTO claims_claim (number, filing_id, bank_id, scheme, base, ratio, compensation,
                          classification_date, deadline, status, reject_code, submitted_at,
                          created_by_id, created_at, updated_at)
SELECT 'BC' || lpad(f.id::text, 9, '0'), f.id, f.bank_id, f.scheme, f.amount_cny / 2, f.ratio,
       round(f.amount_cny / 2 * f.ratio, 2), f.filed_on, f.filed_on + 700,
       (ARRAY['submitted', 'passed', 'confirmed', 'paid', 'paid', 'paid', 'paid', 'paid',
              'written_off', 'rejected'])[1 + (f.id / 7) %% 10],
       '', make_date(%(year)s, 1, 15)::timestamptz + ((f.id %% 330) || ' days')::interval,
       f.filed_by_id, now(), now()
FROM loans_loanfiling f
WHERE f.id %% (%(filings)s / %(claims)s) = 0
ORDER BY f.id LIMIT %(claims)s;

INSERT INTO claims_claimstatuschange (claim_id, from_status, to_status, note, actor_id,
                                      changed_at)
SELECT c.id, '', 'submitted', '', c.created_by_id, c.submitted_at FROM claims_claim c
UNION ALL
SELECT c.id, 'submitted', c.status, '', c.created_by_id, c.submitted_at + interval '20 days'
FROM claims_claim c WHERE c.status <> 'submitted';

INSERT INTO claims_payment (claim_id, amount, paid_on, reference, paid_by_id, created_at)
SELECT c.id, c.compensation, (c.submitted_at + interval '30 days')::date, 'PAY' || c.id,
       c.created_by_id, now()
FROM claims_claim c WHERE c.status IN ('paid', 'written_off');

INSERT INTO fund_ledgerentry (kind, amount, loss_amount, booked_on, scheme, reference, memo,
                              created_at, created_by_id)
VALUES ('capital', 2000000000.00, 0, make_date(%(year)s, 1, 2), '', 'CZ-%(year)s', '财政拨入',
        now(), NULL),
       ('management_fee', -800000.00, 0, make_date(%(year)s, 12, 20), '', 'GLF-%(year)s',
        '托管管理费', now(), NULL);

INSERT INTO fund_ledgerentry (kind, amount, loss_amount, booked_on, scheme, reference, memo,
                              created_at)
SELECT 'interest', 150000.00 + m * 1000, 0, make_date(%(year)s, m, 21), '', 'LX' || m, '存款利息',
       now()
FROM generate_series(1, 12) m;

INSERT INTO fund_ledgerentry (kind, amount, loss_amount, booked_on, scheme, bank_id, claim_id,
                              payment_id, reference, memo, created_at, created_by_id)
SELECT 'compensation', -p.amount, 0, p.paid_on, c.scheme, c.bank_id, c.id, p.id, p.reference,
       '补偿拨付 ' || c.number, now(), p.paid_by_id
FROM claims_payment p JOIN claims_claim c ON c.id = p.claim_id;

INSERT INTO claims_recovery (claim_id, recovered_on, amount, notified_on, return_amount,
                             notice_deadline, return_deadline, reported_by_id, created_at)
SELECT c.id, p.paid_on + 40, round(c.base / 5, 2), p.paid_on + 45,
       round(c.base / 5 * c.ratio, 2), p.paid_on + 68, p.paid_on + 59, c.created_by_id, now()
FROM claims_claim c JOIN claims_payment p ON p.claim_id = c.id
WHERE c.status = 'paid' AND c.id %% 3 = 0;

INSERT INTO claims_returnpayment (recovery_id, amount, returned_on, reference,
                                  reconciliation_statement, received_by_id, received_at,
                                  recorded_by_id, created_at)
SELECT r.id, r.return_amount, r.notified_on + 7, 'RET' || r.id, '', r.reported_by_id, now(),
       r.reported_by_id, now()
FROM claims_recovery r WHERE r.id %% 4 <> 0;

INSERT INTO fund_ledgerentry (kind, amount, loss_amount, booked_on, scheme, bank_id, claim_id,
                              return_payment_id, reference, memo, created_at)
SELECT 'return', rp.amount, 0, rp.returned_on, c.scheme, c.bank_id, c.id, rp.id, rp.reference,
       '银行返还 ' || c.number, now()
FROM claims_returnpayment rp JOIN claims_recovery r ON r.id = rp.recovery_id
JOIN claims_claim c ON c.id = r.claim_id;

INSERT INTO claims_writeoff (claim_id, ground, ruling, internal_approval, application_letter,
                             amount, status, applied_at, applied_by_id, document_number,
                             document_date, document, decision_note, review_note, decided_at)
SELECT c.id, 'bankruptcy', 'writeoffs/r.pdf', 'writeoffs/i.pdf', '', p.amount, 'confirmed',
       c.submitted_at + interval '60 days', c.created_by_id, 'HX-' || c.id,
       (c.submitted_at + interval '70 days')::date, 'writeoffs/d.pdf', '', '',
       c.submitted_at + interval '70 days'
FROM claims_claim c JOIN claims_payment p ON p.claim_id = c.id WHERE c.status = 'written_off';

INSERT INTO fund_ledgerentry (kind, amount, loss_amount, booked_on, scheme, bank_id, claim_id,
                              write_off_id, reference, memo, created_at)
SELECT 'write_off', 0, w.amount, w.document_date, c.scheme, c.bank_id, c.id, w.id,
       w.document_number, '核销 ' || c.number, now()
FROM claims_writeoff w JOIN claims_claim c ON c.id = w.claim_id;

INSERT INTO banks_suspensionchange (bank_id, scheme, kind, is_suspended, reason, filed_principal,
                                    claimed_principal, net_compensation, changed_at)
SELECT (SELECT min(id) FROM banks_bank) + g, 'MICRO', 'auto', g %% 2 = 0,
       '申报本金占比超过3%%且补偿净额超过500万元', 100000000.00, 4000000.00, 5100000.00,
       make_date(%(year)s, 1 + g, 10)::timestamptz
FROM generate_series(0, 9) g;
"""
_FILL = "".join((SEED_OFFICER, SEED_BANKS_AND_ENTERPRISES, INSERT_FILINGS, _OWN_FILL))


def _fill() -> None:
    started = time.perf_counter()
    load_sql(_FILL, {"banks": BANKS, "enterprises": ENTERPRISES, "filings": FILINGS,
                     "claims": CLAIMS, "year": YEAR})
    analyze_and_count(("loans_loanfiling", "claims_claim", "claims_payment",
                       "claims_returnpayment", "fund_ledgerentry"), started)


def _measure(kind: str, prefix: str) -> Any:
    """Figures and PDF of one yearly document: wall seconds, the process's peak RSS so far
    (the audit report runs first, so its peak is its own), pages."""
    from reports.figures import report_data
    from reports.rendering import render_report_pdf, report_workbook

    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    data = report_data(kind, str(YEAR))
    figures_s = time.perf_counter() - started
    # As the report task names it: the PDF cites the workbook for the listings it leaves there.
    pdf, pages = render_report_pdf(data, workbook_name=f"{kind}-{YEAR}-v1.xlsx")
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = after.ru_maxrss / 1024
    # CPU seconds of this process: on a busy machine the wall time above includes waiting.
    cpu_s = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    print(f"# {kind}: figures: {figures_s:.2f} s; pdf: {len(pdf) / 1024 / 1024:.1f} MB; "
          f"rows listed: {sum(len(t.rows) for t in data.details)}; cpu: {cpu_s:.1f} s",
          flush=True)
    print(f"{prefix}_s: {elapsed:.1f}")
    print(f"{prefix}_cpu_s: {cpu_s:.1f}")
    print(f"{prefix}_peak_mb: {peak_mb:.0f}")
    print(f"{prefix}_pages: {pages}", flush=True)
    # The workbook made alongside (one sheet per table, every listing in full).
    started = time.perf_counter()
    xlsx = report_workbook(data)
    print(f"{prefix}_xlsx_s: {time.perf_counter() - started:.1f}", flush=True)
    if os.environ.get("BENCH_REPORTS_KEEP_PDF"):
        with open(os.path.join(os.environ["BENCH_REPORTS_KEEP_PDF"], f"{kind}.pdf"), "wb") as f:
            f.write(pdf)
        with open(os.path.join(os.environ["BENCH_REPORTS_KEEP_PDF"], f"{kind}.xlsx"), "wb") as f:
            f.write(xlsx)
    return data


def _bench() -> None:
    from fund.selectors import fund_balance

    _fill()
    data = _measure("annual", "annual_report")
    if data.totals["closing_balance"] != fund_balance(on=date(YEAR, 12, 31)):
        sys.exit("bench_reports: the report's closing balance differs from the ledger")
    del data
    _measure("operations", "operations_report")


def main() -> None:
    run(BENCH_DB, setup_django, _bench)


if __name__ == "__main__":
    main()
