"""The bank API's rate limit is one limit per key whichever worker process answers: the calls are
counted in the shared "api" cache (Redis when REDIS_URL is set). Throttles of separate "workers"
(separate instances, separate cache connections, separate processes) count against one
counter; an unreachable cache lets calls through rather than refusing every bank."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.auth import API_CACHE, PerKeyThrottle
from api.models import ApiKey

REDIS_URL = os.environ.get("REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="REDIS_URL is not set")
ROOT = Path(__file__).resolve().parent.parent


def request_by(key: ApiKey) -> Request:
    """A request to the API once authenticated by ``key``: what the throttle reads of it."""
    request = Request(RequestFactory().get("/api/v1/claims/"))
    request.auth = key
    return request


@pytest.fixture
def rate(monkeypatch):  # type: ignore[no-untyped-def]
    def set_rate(text: str) -> None:
        monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"api_key": text})

    return set_rate


def a_key() -> ApiKey:
    return ApiKey(prefix=secrets.token_hex(5))  # only its prefix is read


def redis_cache() -> RedisCache:
    """A cache of its own connection pool, as another process would have."""
    return RedisCache(REDIS_URL, {"KEY_PREFIX": "riskcomp-api",
                                  "OPTIONS": {"socket_connect_timeout": 0.5}})


def test_the_api_cache_is_redis_when_redis_url_is_set() -> None:
    backend = settings.CACHES[API_CACHE]["BACKEND"]
    if REDIS_URL:
        assert backend == "django.core.cache.backends.redis.RedisCache"
        assert settings.CACHES[API_CACHE]["LOCATION"] == REDIS_URL
    else:
        assert backend == "django.core.cache.backends.locmem.LocMemCache"


@pytest.mark.parametrize("where", ["api cache", pytest.param("redis", marks=needs_redis)])
def test_two_workers_throttles_share_one_limit(rate, where) -> None:  # type: ignore[no-untyped-def]
    rate("3/min")
    first, second = PerKeyThrottle(), PerKeyThrottle()
    if where == "redis":
        first.cache, second.cache = redis_cache(), redis_cache()
    assert first.cache is not second.cache or where == "api cache"
    call = request_by(a_key())
    allowed = [t.allow_request(call, None) for t in (first, second, first, second, first)]
    assert allowed == [True, True, True, False, False]
    waits = [second.wait(), first.wait()]
    assert all(wait is not None and 0 < wait <= 60 for wait in waits)
    # Another key has its own count.
    assert second.allow_request(request_by(a_key()), None) is True


def test_the_count_starts_again_in_the_next_window(rate, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    rate("2/min")
    throttle = PerKeyThrottle()
    now = [600.0 * 1_000_000 + 50]
    monkeypatch.setattr(throttle, "timer", lambda: now[0])
    call = request_by(a_key())
    assert [throttle.allow_request(call, None) for _ in range(3)] == [True, True, False]
    assert throttle.wait() == pytest.approx(10)
    now[0] += 10
    assert throttle.allow_request(call, None) is True


@needs_redis
def test_three_worker_processes_share_one_limit_in_redis() -> None:
    """Three processes (as gunicorn's workers) hit one key 10 times each at once: of the 30 calls,
    exactly the limit (12 a day) are let through."""
    prefix = secrets.token_hex(5)
    script = (
        "import django; django.setup()\n"
        "from api.auth import PerKeyThrottle\n"
        "from api.models import ApiKey\n"
        f"class Call: auth = ApiKey(prefix={prefix!r})\n"
        "t = PerKeyThrottle()\n"
        "print(sum(t.allow_request(Call(), None) for _ in range(10)))\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "riskcomp.settings.test",
           "RISKCOMP_API_RATE": "12/day", "REDIS_URL": REDIS_URL}
    workers = [subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env,  # noqa: S603
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
               for _ in range(3)]
    allowed = [int(w.communicate(timeout=120)[0].strip().splitlines()[-1]) for w in workers]
    assert all(w.returncode == 0 for w in workers)
    assert sum(allowed) == 12, allowed


def test_an_unreachable_cache_lets_calls_through(rate, caplog) -> None:  # type: ignore[no-untyped-def]
    rate("1/min")
    throttle = PerKeyThrottle()
    throttle.cache = RedisCache("redis://127.0.0.1:1/0",
                                {"OPTIONS": {"socket_connect_timeout": 0.2}})
    call = request_by(a_key())
    assert [throttle.allow_request(call, None) for _ in range(3)] == [True, True, True]
    assert "cache unreachable" in caplog.text


@pytest.mark.django_db
def test_the_http_answer_counts_in_the_api_cache(rate, both_schemes, reviewer) -> None:  # type: ignore[no-untyped-def]
    from .test_api_filings import ApiClient, issue

    rate("2/min")
    key, text = issue(both_schemes, reviewer)
    client = ApiClient(text)
    assert [client.get("claims/").status_code for _ in range(3)] == [200, 200, 429]
    response = client.get("claims/")
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 60
    ident = PerKeyThrottle().get_cache_key(request_by(key), None)
    window = int(time.time() // 60)
    names = [f"{ident}:{w}" for w in (window - 1, window)]
    assert sum(caches[API_CACHE].get(n, 0) for n in names) == 4
    assert all(caches["default"].get(n) is None for n in names)
