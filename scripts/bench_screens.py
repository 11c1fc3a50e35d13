"""Load benchmark of the portal's screens on PostgreSQL (``make bench``).

Creates a throw-away database (``riskcomp_bench_screens``), migrates it, and fills it on the
server side (``INSERT … SELECT generate_series``, as ``bench_suspension.py`` does) with 30 banks,
20,000 enterprises, 100,000 filings drawn down over eleven quarters and 10,000 claims in every
status with their status history, supplement requests, payments, recoveries, returns, ledger
entries and two proposals waiting for the bureau; then recomputes the suspensions and runs
VACUUM ANALYZE.

Several clients (separate processes, each with its own ``django.test.Client`` per role logged in
with ``force_login``) then request every screen in random order at the same time. The server
time is measured inside Django by a middleware added for the benchmark only (around the whole
handler, so client overhead is not counted), together with the number of queries. For each
screen it prints ``p50_ms_<screen>``, ``p95_ms_<screen>`` and ``queries_<screen>`` (the most a
request of that screen ran), each on a line of its own. The database is dropped at the end,
unless ``BENCH_KEEP_DB=1``: then it is kept (``riskcomp_bench_screens_<filings>_<claims>_keep``)
and the next run with that variable measures again without filling it (drop it by hand when the
seeding changes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/riskcomp python scripts/bench_screens.py
"""

import multiprocessing
import os
import random
import time
from collections import defaultdict
from typing import Any

from benchdb import (
    INSERT_FILINGS,
    SEED_BANKS_AND_ENTERPRISES,
    QueryCounter,
    analyze_and_count,
    bench_environment,
    keep_database,
    load_sql,
    run,
)

FILINGS = int(os.environ.get("BENCH_SCREENS_FILINGS", "100000"))
CLAIMS = int(os.environ.get("BENCH_SCREENS_CLAIMS", "10000"))
CLIENTS = int(os.environ.get("BENCH_SCREENS_CLIENTS", "4"))
ROUNDS = int(os.environ.get("BENCH_SCREENS_ROUNDS", "10"))
BANKS = 30
ENTERPRISES = 20_000
BENCH_DB = "riskcomp_bench_screens"
# The list filters a user would set: a scheme, a quarter, a part of an enterprise's name.
SEARCH = "企业12"
QUARTER = "2025Q4"


def _setup_django(bench_url: str) -> None:
    bench_environment(bench_url)  # as in production: no query log, cached templates
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
    import logging
    import warnings

    import django

    logging.disable(logging.WARNING)  # the figures are the output, start-up notices are not
    warnings.filterwarnings("ignore", message="No directory at")  # no collectstatic here
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    # The timing middleware wraps everything else; it exists in this process only.
    settings.MIDDLEWARE = [f"{__name__}.ServerTiming", *settings.MIDDLEWARE]
    call_command("migrate", verbosity=0, interactive=False)



class ServerTiming:
    """Times the request inside the server and counts its queries (``Server-Timing``)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        from django.db import connection

        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
        response["Server-Timing"] = f"app;dur={elapsed * 1000:.2f}"
        response["X-Bench-Queries"] = str(counter.queries)
        return response


# Filings: banks B01..B30 take blocks of 20 consecutive filings; drawdowns spread over 2024Q1 to
# 2026Q3; every third filing is TECH. A claim on every (filings / claims)-th filing, its status
# cycling through the pipeline, submitted within the last 200 days.
# Its first statement is the SELECT that ``INSERT_FILINGS`` inserts.
_OWN_FILL = """SELECT 'JJ' || lpad(g::text, 8, '0'), 'HT' || lpad(g::text, 8, '0'), d, d + 365,
       (50 + g %% 250) * 10000.00, 'CNY', (50 + g %% 250) * 10000.00, 3.2000,
       CASE WHEN g %% 5 = 0 THEN 'ip_pledge' ELSE 'credit' END,
       false, false, '', 2000000.00, d - 5, 0, g %% 7 = 0, d + 10, to_char(d, 'YYYY"Q"Q'),
       CASE WHEN g %% 3 = 0 THEN 'TECH' ELSE 'MICRO' END,
       CASE WHEN g %% 3 = 0 THEN 0.5000 ELSE 0.3000 END,
       CASE WHEN g %% 3 = 0 THEN '京技管发〔2025〕13号' ELSE '京技管发〔2025〕12号' END,
       '{}'::jsonb, '', (50 + g %% 250) * 10000.00,
       CASE WHEN g %% (%(filings)s / %(claims)s) = 0 THEN 'claimed' ELSE 'active' END, now(),
       (SELECT min(id) FROM banks_bank) + (g / 20) %% %(banks)s,
       (SELECT min(id) FROM loans_enterprise) + g %% %(enterprises)s,
       (SELECT id FROM auth_user WHERE username = 'bench_officer'),
       (SELECT name FROM loans_enterprise
        WHERE id = (SELECT min(id) FROM loans_enterprise) + g %% %(enterprises)s)
FROM (SELECT g, date '2024-01-01' + (g * 7919) %% 1004 AS d
      FROM generate_series(1, %(filings)s) g) s;

INSERT INTO claims_claim (number, filing_id, bank_id, scheme, base, ratio, compensation,
                          classification_date, deadline, status, reject_code, submitted_at,
                          created_by_id, created_at, updated_at)
SELECT 'BC' || lpad(f.id::text, 9, '0'), f.id, f.bank_id, f.scheme, f.amount_cny / 2, f.ratio,
       round(f.amount_cny / 2 * f.ratio, 2), (s.at - interval '5 days')::date,
       f.maturity_date + 365,
       (ARRAY['submitted', 'submitted', 'submitted', 'supplement', 'supplement', 'passed',
              'passed', 'proposed', 'proposed', 'confirmed', 'paid', 'paid', 'paid', 'paid',
              'paid', 'written_off', 'written_off', 'rejected', 'rejected',
              'bureau_rejected'])[1 + (f.id / 10) %% 20],
       '', s.at, f.filed_by_id, s.at, s.at
FROM loans_loanfiling f
CROSS JOIN LATERAL (SELECT least(now() - interval '1 hour',
                                 greatest(now() - ((f.id * 37) %% 200) * interval '1 day'
                                          - (f.id %% 9) * interval '1 hour',
                                          f.drawdown_date + interval '60 days')) AS at) s
WHERE f.id %% (%(filings)s / %(claims)s) = 0;

-- The history a claim went through to reach its status; a third of those reviewed past the
-- supplement stage waited on the bank once.
INSERT INTO claims_claimstatuschange (claim_id, from_status, to_status, note, actor_id,
                                      changed_at)
SELECT c.id, coalesce(p.path[p.i - 1], ''), p.path[p.i], '', c.created_by_id,
       least(c.submitted_at + (p.i - 1) * interval '2 days', now())
FROM claims_claim c
CROSS JOIN LATERAL (
    SELECT x.path, i FROM (SELECT CASE c.status
        WHEN 'submitted' THEN ARRAY['submitted']
        WHEN 'supplement' THEN ARRAY['submitted', 'supplement']
        WHEN 'rejected' THEN ARRAY['submitted', 'rejected']
        ELSE (CASE WHEN c.id %% 3 = 0 THEN ARRAY['submitted', 'supplement', 'submitted']
                   ELSE ARRAY['submitted'] END)
             || (ARRAY['passed', 'proposed', 'confirmed', 'paid', 'written_off'])[1:CASE c.status
                 WHEN 'passed' THEN 1 WHEN 'proposed' THEN 2 WHEN 'bureau_rejected' THEN 2
                 WHEN 'confirmed' THEN 3 WHEN 'paid' THEN 4 ELSE 5 END]
             || (CASE WHEN c.status = 'bureau_rejected' THEN ARRAY['bureau_rejected']
                      ELSE ARRAY[]::text[] END)
    END AS path) x, generate_subscripts(x.path, 1) i
) p;

UPDATE claims_claim c SET updated_at = h.last
FROM (SELECT claim_id, max(changed_at) AS last FROM claims_claimstatuschange
      GROUP BY claim_id) h
WHERE h.claim_id = c.id;

INSERT INTO claims_supplementrequest (claim_id, message, requested_by_id, requested_at, answer,
                                      answered_at)
SELECT c.id, '请补充催收记录。', c.created_by_id, c.updated_at, '', NULL
FROM claims_claim c WHERE c.status = 'supplement';

INSERT INTO claims_payment (claim_id, amount, paid_on, reference, paid_by_id, created_at)
SELECT c.id, c.compensation, c.updated_at::date, 'PAY' || c.id, c.created_by_id, now()
FROM claims_claim c WHERE c.status IN ('paid', 'written_off');

INSERT INTO claims_recovery (claim_id, recovered_on, amount, notified_on, return_amount,
                             reported_by_id, created_at)
SELECT c.id, c.updated_at::date, round(c.base / 5, 2), c.updated_at::date,
       round(c.base / 5 * c.ratio, 2), c.created_by_id, now()
FROM claims_claim c WHERE c.status = 'paid' AND c.id %% 3 = 0;

INSERT INTO claims_returnpayment (recovery_id, amount, returned_on, reference,
                                  reconciliation_statement, recorded_by_id, created_at)
SELECT r.id, r.return_amount, r.notified_on, 'RET' || r.id, '', r.reported_by_id, now()
FROM claims_recovery r WHERE r.return_amount > 0 AND r.id %% 2 = 0;

INSERT INTO fund_ledgerentry (kind, amount, loss_amount, booked_on, scheme, reference, memo,
                              created_at)
VALUES ('capital', 3000000000.00, 0, date '2024-01-02', '', 'CAP1', '财政拨入资金', now());

INSERT INTO fund_ledgerentry (kind, amount, loss_amount, booked_on, scheme, bank_id, claim_id,
                              payment_id, reference, memo, created_at)
SELECT 'compensation', -p.amount, 0, p.paid_on, c.scheme, c.bank_id, c.id, p.id, p.reference,
       '补偿拨付', now()
FROM claims_payment p JOIN claims_claim c ON c.id = p.claim_id;

INSERT INTO fund_ledgerentry (kind, amount, loss_amount, booked_on, scheme, bank_id, claim_id,
                              return_payment_id, reference, memo, created_at)
SELECT 'return', rp.amount, 0, rp.returned_on, c.scheme, c.bank_id, c.id, rp.id, rp.reference,
       '银行返还', now()
FROM claims_returnpayment rp JOIN claims_recovery r ON r.id = rp.recovery_id
JOIN claims_claim c ON c.id = r.claim_id
"""
_FILL = "".join((SEED_BANKS_AND_ENTERPRISES, INSERT_FILINGS, _OWN_FILL))


def _users() -> dict[str, Any]:
    from django.contrib.auth.models import Group, User

    from accounts.roles import Role

    users = {}
    for key, role in (("officer", Role.BANK_OFFICER), ("reviewer", Role.REVIEWER),
                      ("approver", Role.APPROVER), ("auditor", Role.AUDITOR)):
        user = User.objects.create_user(f"bench_{key}")
        user.groups.add(Group.objects.get(name=role.value))
        users[key] = user
    return users


def _officer_bank(officer: Any) -> None:
    from guardian.shortcuts import assign_perm

    from banks.models import ACT_FOR_BANK, Bank

    assign_perm(f"banks.{ACT_FOR_BANK}", officer, Bank.objects.get(code="B01"))


def _proposals(reviewer: Any) -> None:
    """The proposed claims go to the bureau in one proposal per scheme."""
    from django.utils import timezone

    from claims.models import Claim, Proposal

    for scheme in ("MICRO", "TECH"):
        proposal = Proposal.objects.create(
            number=f"CY{scheme}2026Q3", scheme=scheme, period="2026Q3",
            status=Proposal.Status.SUBMITTED, created_by=reviewer,
            submitted_at=timezone.now())
        Claim.objects.filter(status=Claim.Status.PROPOSED, scheme=scheme).update(
            proposal=proposal)


def _fill() -> dict[str, Any]:
    from django.contrib.auth.models import User

    from claims.services import suspension_recompute

    if User.objects.filter(username="bench_reviewer").exists():  # a kept database, filled
        print("# data: kept from an earlier run (BENCH_KEEP_DB)", flush=True)
        return {key: User.objects.get(username=f"bench_{key}")
                for key in ("officer", "reviewer", "approver", "auditor")}
    started = time.perf_counter()
    users = _users()
    load_sql(_FILL, {"banks": BANKS, "enterprises": ENTERPRISES, "filings": FILINGS,
                     "claims": CLAIMS})
    _officer_bank(users["officer"])
    _proposals(users["reviewer"])
    suspension_recompute()
    # Until the GIN indexes' pending entries are merged the planner shuns the trigram indexes.
    analyze_and_count(("loans_loanfiling", "claims_claim", "claims_claimstatuschange",
                       "claims_payment", "fund_ledgerentry", "banks_suspensionstate"), started,
                      vacuum=True)
    return users


# (screen, role, url name, kwargs source, query string)
SCREENS: tuple[tuple[str, str, str, str, str], ...] = (
    ("home_officer", "officer", "home", "", ""),
    ("home_reviewer", "reviewer", "home", "", ""),
    ("home_approver", "approver", "home", "", ""),
    ("home_auditor", "auditor", "home", "", ""),
    ("review_queue", "reviewer", "claims:review_queue", "", ""),
    ("filing_list_officer", "officer", "loans:filing_list", "",
     f"scheme=MICRO&quarter={QUARTER}&q={SEARCH}"),
    ("filing_list_reviewer", "reviewer", "loans:filing_list", "",
     f"scheme=MICRO&quarter={QUARTER}&q={SEARCH}"),
    ("claim_list_officer", "officer", "claims:claim_list", "", ""),
    ("claim_list_reviewer", "reviewer", "claims:claim_list", "", ""),
    ("filing_detail", "reviewer", "loans:filing_detail", "filing", ""),
    ("claim_detail", "reviewer", "claims:claim_detail", "claim", ""),
    ("claim_review", "reviewer", "claims:review", "open_claim", ""),
    ("performance", "approver", "reports:performance", "", ""),
    ("performance_filtered", "auditor", "reports:performance", "",
     "scheme=MICRO&quarter_from=2025Q1&quarter_to=2025Q4"),
    ("enterprise_list", "reviewer", "enterprises:enterprise_list", "", ""),
    ("enterprise_list_search", "reviewer", "enterprises:enterprise_list", "", f"q={SEARCH}"),
    ("enterprise_detail", "reviewer", "enterprises:enterprise_detail", "enterprise", ""),
)

# Filled before the clients fork: the users and the records the record pages pick from.
_STATE: dict[str, Any] = {}


def _record_ids() -> dict[str, list[int]]:
    from claims.models import Claim
    from claims.review.selectors import OPEN_STATUSES
    from loans.models import LoanFiling

    return {
        "filing": list(LoanFiling.objects.filter(pk__in=Claim.objects.values("filing"))
                       .values_list("pk", flat=True)[:2000]),
        "claim": list(Claim.objects.values_list("pk", flat=True)[:2000]),
        "open_claim": list(Claim.objects.filter(status__in=OPEN_STATUSES)
                           .values_list("pk", flat=True)[:2000]),
        "enterprise": list(LoanFiling.objects.order_by("enterprise_id")
                           .values_list("enterprise_id", flat=True).distinct()[:2000]),
    }


def _client_run(seed: int) -> list[tuple[str, float, int]]:
    """One client: a warm-up pass over every screen, then ``ROUNDS`` passes in random order."""
    from django.test import Client
    from django.urls import reverse

    rng = random.Random(seed)  # noqa: S311 - picking pages, not secrets
    clients = {}
    for key, user in _STATE["users"].items():
        clients[key] = Client()
        clients[key].force_login(user)
    samples = []
    for round_no in range(ROUNDS + 1):
        order = list(SCREENS)
        rng.shuffle(order)
        for screen, role, name, pk_from, query in order:
            args = [rng.choice(_STATE["ids"][pk_from])] if pk_from else []
            url = reverse(name, args=args) + (f"?{query}" if query else "")
            response = clients[role].get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{screen}: {url} answered {response.status_code}")
            if round_no:
                ms = float(response["Server-Timing"].split("dur=")[1])
                samples.append((screen, ms, int(response["X-Bench-Queries"])))
    return samples


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _bench() -> None:
    from django.db import connections

    _STATE["users"] = _fill()
    _STATE["ids"] = _record_ids()
    connections.close_all()  # every client process opens its own connection
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(CLIENTS) as pool:
        runs = pool.map(_client_run, range(CLIENTS))
    wall = time.perf_counter() - started
    by_screen: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for client_run in runs:
        for screen, ms, queries in client_run:
            by_screen[screen].append((ms, queries))
    requests = sum(len(v) for v in by_screen.values())
    print(f"# {CLIENTS} clients, {requests} timed requests in {wall:.1f} s", flush=True)
    for screen, *_rest in SCREENS:
        samples = by_screen[screen]
        times = [ms for ms, _q in samples]
        print(f"p50_ms_{screen}: {_percentile(times, 50):.0f}")
        print(f"p95_ms_{screen}: {_percentile(times, 95):.0f}")
        print(f"queries_{screen}: {max(q for _ms, q in samples)}")
    print(f"screens_filings: {FILINGS}")
    print(f"screens_claims: {CLAIMS}")
    print(f"screens_clients: {CLIENTS}")


def main() -> None:
    # A kept database is named after its size: a run with other sizes fills its own.
    name = f"{BENCH_DB}_{FILINGS}_{CLAIMS}" if keep_database() else BENCH_DB
    run(name, _setup_django, _bench, keep=keep_database())


if __name__ == "__main__":
    main()
