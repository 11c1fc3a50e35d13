"""Benchmark of the suspension recompute on PostgreSQL (``make bench``).

Creates a throw-away database (``riskcomp_suspension``), migrates it, and fills it on the server
side (``INSERT … SELECT generate_series``, never the ORM row by row) with 30 banks, 200,000
enterprises, 1,000,000 filings across both schemes and 50,000 claims in every status, with
payments for the paid and written-off ones and returns for part of them. After ANALYZE it times
``claims.suspension.services.suspension_recompute()``: one warm-up run (which creates the
states), then the best of three, and counts the queries of one run.

Each figure is printed on a line of its own as ``name: value``. The database is dropped at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/riskcomp python scripts/bench_suspension.py
"""

import os
import sys
import time

from benchdb import (
    INSERT_FILINGS,
    SEED_BANKS_AND_ENTERPRISES,
    SEED_OFFICER,
    QueryCounter,
    analyze_and_count,
    load_sql,
    run,
    setup_django,
)

FILINGS = int(os.environ.get("BENCH_SUSPENSION_FILINGS", "1000000"))
CLAIMS = int(os.environ.get("BENCH_SUSPENSION_CLAIMS", "50000"))
BANKS = 30
ENTERPRISES = 200_000
RUNS = 3
BENCH_DB = "riskcomp_suspension"


# Banks B01..B30, each taking blocks of 20 consecutive filings; a bank's claims are bigger the
# higher its number, so that some banks stay under the thresholds and others go over them.
# Every third filing is TECH.
# Its first statement is the SELECT that ``INSERT_FILINGS`` inserts.
_OWN_FILL = """SELECT 'JJ' || lpad(g::text, 8, '0'), 'HT' || lpad(g::text, 8, '0'),
       date '2025-07-01' + (g %% 360), date '2026-07-01' + (g %% 360),
       (50 + g %% 250) * 10000.00, 'CNY', (50 + g %% 250) * 10000.00, 3.2000, 'credit',
       false, false, '', 2000000.00, date '2025-06-25' + (g %% 360), 0, g %% 7 = 0,
       date '2025-10-10' + (g %% 360), '2025Q3',
       CASE WHEN g %% 3 = 0 THEN 'TECH' ELSE 'MICRO' END,
       CASE WHEN g %% 3 = 0 THEN 0.5000 ELSE 0.3000 END,
       CASE WHEN g %% 3 = 0 THEN '京技管发〔2025〕13号' ELSE '京技管发〔2025〕12号' END,
       '{}'::jsonb, '', (50 + g %% 250) * 10000.00, 'active', now(),
       (SELECT min(id) FROM banks_bank) + (g / 20) %% %(banks)s,
       (SELECT min(id) FROM loans_enterprise) + g %% %(enterprises)s,
       (SELECT id FROM auth_user WHERE username = 'bench_officer'),
       (SELECT name FROM loans_enterprise
        WHERE id = (SELECT min(id) FROM loans_enterprise) + g %% %(enterprises)s)
FROM generate_series(1, %(filings)s) g;

-- One claim on every (filings / claims)-th filing: a filing has at most one open claim.
INSERT INTO claims_claim (number, filing_id, bank_id, scheme, base, ratio, compensation,
                          classification_date, deadline, status, reject_code, submitted_at,
                          created_by_id, created_at, updated_at)
SELECT 'BC' || lpad(f.id::text, 9, '0'), f.id, f.bank_id, f.scheme,
       f.amount_cny * (1 + (f.bank_id - b.first) %% 10) / 10,
       f.ratio, round(f.amount_cny * (1 + (f.bank_id - b.first) %% 10) / 10 * f.ratio, 2),
       date '2026-03-31', date '2027-12-31',
       (ARRAY['submitted', 'supplement', 'passed', 'proposed', 'confirmed', 'paid', 'paid',
              'paid', 'written_off', 'rejected'])[1 + (f.id / 20) %% 10],
       '', now(), f.filed_by_id, now(), now()
FROM loans_loanfiling f, (SELECT min(id) AS first FROM banks_bank) b
WHERE f.id %% (%(filings)s / %(claims)s) = 0;

INSERT INTO claims_payment (claim_id, amount, paid_on, reference, paid_by_id, created_at)
SELECT c.id, c.compensation, date '2026-05-20', 'PAY' || c.id, c.created_by_id, now()
FROM claims_claim c WHERE c.status IN ('paid', 'written_off');

INSERT INTO claims_recovery (claim_id, recovered_on, amount, notified_on, return_amount,
                             reported_by_id, created_at)
SELECT c.id, date '2026-06-01', round(c.base / 5, 2), date '2026-06-05',
       round(c.base / 5 * c.ratio, 2), c.created_by_id, now()
FROM claims_claim c WHERE c.status = 'paid' AND c.id %% 3 = 0;

INSERT INTO claims_returnpayment (recovery_id, amount, returned_on, reference,
                                  reconciliation_statement, recorded_by_id, created_at)
SELECT r.id, r.return_amount, date '2026-06-12', 'RET' || r.id, '', r.reported_by_id, now()
FROM claims_recovery r WHERE r.return_amount > 0;
"""
_FILL = "".join((SEED_OFFICER, SEED_BANKS_AND_ENTERPRISES, INSERT_FILINGS, _OWN_FILL))



def _fill() -> None:
    started = time.perf_counter()
    load_sql(_FILL, {"banks": BANKS, "enterprises": ENTERPRISES, "filings": FILINGS,
                     "claims": CLAIMS})
    analyze_and_count(("loans_loanfiling", "claims_claim", "claims_payment",
                       "claims_returnpayment"), started)


def _bench() -> None:
    from django.db import connection

    from banks.models import SuspensionChange, SuspensionState
    from claims.services import suspension_recompute

    _fill()
    started = time.perf_counter()
    suspension_recompute()  # warm-up: creates every state
    print(f"# warm-up: {time.perf_counter() - started:.2f} s, "
          f"{SuspensionState.objects.count()} states, "
          f"{SuspensionState.objects.filter(is_auto_suspended=True).count()} suspended",
          flush=True)
    changes = SuspensionChange.objects.count()
    runs = []
    for _ in range(RUNS):
        count = QueryCounter()
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            suspension_recompute()
            runs.append((time.perf_counter() - started, count.queries))
    if SuspensionChange.objects.count() != changes:
        sys.exit("bench_suspension: a second recompute recorded changes")
    elapsed, queries = min(runs)
    print(f"suspension_recompute_s: {elapsed:.3f}")
    print(f"suspension_recompute_queries: {queries}")
    print(f"suspension_filings: {FILINGS}")
    print(f"suspension_claims: {CLAIMS}")


def main() -> None:
    run(BENCH_DB, setup_django, _bench)


if __name__ == "__main__":
    main()
