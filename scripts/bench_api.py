"""Benchmark of the bank API on PostgreSQL (``make bench``).

Creates a throw-away database (``riskcomp_bench_api_<run>``), a bank with agreements for both
schemes and a read-write API key, then, through Django's whole HTTP stack (the test client:
every middleware, DRF's authentication, throttle, the JSON body read once, the idempotency record
and the call log):

1. a batch of 10,000 varied loans (the rows of ``bench_import.py``, as JSON objects keyed
   by the API's field names) filed in one ``POST /api/v1/filings/batch/``, after a warm-up batch
   of 500 other loans: ``api_batch_rows_per_s``;
2. 300 single ``POST /api/v1/filings/`` calls, each a new loan with its own Idempotency-Key:
   ``api_filing_p95_ms`` (and the median, ``api_filing_p50_ms``).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/riskcomp python scripts/bench_api.py
"""

import json
import os
import statistics
import sys
import time
import uuid
from datetime import timedelta
from typing import Any

from bench_import import _bank, _rows, _setup_django
from benchdb import run

ROWS = int(os.environ.get("BENCH_API_ROWS", "10000"))
SINGLE_CALLS = int(os.environ.get("BENCH_API_SINGLE_CALLS", "300"))
BENCH_DB = "riskcomp_bench_api"


def _setup(bench_url: str) -> None:
    os.environ["RISKCOMP_API_RATE"] = "1000000/min"  # the rate limit is not what is measured
    _setup_django(bench_url)


def _json_rows(raw_rows: list[list[Any]]) -> list[dict[str, Any]]:
    from loans.importing import FILINGS

    names = [f.attribute for f in FILINGS.fields]
    return [{name: value for name, value in zip(names, raw[1:], strict=True)
             if value is not None} for raw in raw_rows]


def _post(client: Any, key: str, path: str, body: bytes) -> Any:
    return client.post(path, body, content_type="application/json", headers={
        "Authorization": f"Bearer {key}", "Idempotency-Key": str(uuid.uuid4())},
                       SERVER_NAME="localhost")


def _bench() -> None:
    from django.test import Client
    from django.utils import timezone

    from api.models import ApiKey
    from api.services import api_key_create

    bank, officer = _bank("A1")
    _key, text = api_key_create(bank=bank, name="基准", scope=ApiKey.Scope.READ_WRITE,
                                expires_at=timezone.now() + timedelta(days=1),
                                actor=officer)
    client = Client()
    warm_rows = _json_rows(_rows(500, seed=7, area="110105"))
    for n, data in enumerate(warm_rows):
        data["iou_number"] = f"API-WARM-{n:05d}"
    warm = json.dumps({"rows": warm_rows}, ensure_ascii=False).encode()
    response = _post(client, text, "/api/v1/filings/batch/", warm)
    if response.status_code != 200:
        sys.exit(f"bench_api: warm-up batch answered {response.status_code}: "
                 f"{response.content[:500]!r}")
    rows = _json_rows(_rows(ROWS))
    body = json.dumps({"rows": rows}, ensure_ascii=False).encode()
    started = time.perf_counter()
    response = _post(client, text, "/api/v1/filings/batch/", body)
    elapsed = time.perf_counter() - started
    result = response.json()
    # The generated quarter lends some enterprises past the amount cap: those few rows are refused
    # (AMOUNT_CAP), as the Excel import refuses them; every row is judged all the same.
    if response.status_code != 200 or result["accepted"] < ROWS * 0.95:
        rejected = [r for r in result.get("rows", []) if not r["accepted"]][:3]
        sys.exit(f"bench_api: batch answered {response.status_code}, accepted "
                 f"{result.get('accepted')} of {ROWS}: {rejected}")
    print(f"api_batch_rows: {ROWS}")
    print(f"api_batch_accepted: {result['accepted']}")
    print(f"api_batch_body_mb: {len(body) / 1048576:.1f}")
    print(f"api_batch_s: {elapsed:.2f}")
    print(f"api_batch_rows_per_s: {ROWS / elapsed:.0f}")

    singles = _json_rows(_rows(SINGLE_CALLS, seed=11, area="110108"))
    times = []
    for n, data in enumerate(singles):
        data["iou_number"] = f"API-SINGLE-{n:05d}"
        payload = json.dumps(data, ensure_ascii=False).encode()
        started = time.perf_counter()
        response = _post(client, text, "/api/v1/filings/", payload)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 201:
            sys.exit(f"bench_api: single filing answered {response.status_code}: "
                     f"{response.content[:500]!r}")
    times.sort()
    print(f"api_filing_calls: {len(times)}")
    print(f"api_filing_p50_ms: {statistics.median(times):.1f}")
    print(f"api_filing_p95_ms: {times[int(len(times) * 0.95) - 1]:.1f}")


def main() -> None:
    run(BENCH_DB, _setup, _bench)


if __name__ == "__main__":
    main()
