"""``/healthz`` for the reverse proxy and the monitoring: 200 when the database (and Redis, when
``REDIS_URL`` is set) answer, 503 otherwise, with ``ok`` or ``fail`` per component and nothing
more (the reason goes to the log, not to whoever asks).

It is a middleware placed before the security, session and login middleware: the proxy probes
the application server directly over plain HTTP, with no session, no login and whatever Host
header it likes, and a probe must neither be redirected to HTTPS or the login page nor open or
touch a session.
"""

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

HEALTH_PATH = "/healthz"
# The probe must answer before the proxy's own timeout, even when Redis does not.
REDIS_TIMEOUT_SECONDS = 2.0

log = logging.getLogger("riskcomp.health")


def database_ok() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        log.warning("health check: database not reachable", exc_info=True)
        return False
    return True


def redis_ok(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                                  socket_timeout=REDIS_TIMEOUT_SECONDS)
    try:
        return bool(client.ping())
    except Exception:
        log.warning("health check: Redis not reachable", exc_info=True)
        return False
    finally:
        client.close()


def health() -> dict[str, str]:
    """``ok``/``fail`` for the database and, when one is configured, Redis; ``status`` sums up."""
    parts = {"database": database_ok()}
    if settings.REDIS_URL:
        parts["redis"] = redis_ok(settings.REDIS_URL)
    result = {name: "ok" if up else "fail" for name, up in parts.items()}
    return {"status": "ok" if all(parts.values()) else "fail", **result}


class HealthCheckMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.rstrip("/") != HEALTH_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        body = health()
        return HttpResponse(
            json.dumps(body), status=200 if body["status"] == "ok" else 503,
            content_type="application/json",
            headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})
