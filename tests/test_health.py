"""``/healthz``: what the reverse proxy probes. 200 when the database and Redis answer, 503 naming
the component that does not, no login, no session, no internals."""

import json

import pytest
import redis
from django.db import OperationalError, connections
from django.test import Client

REFUSING_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused
LIVE_REDIS = "redis://127.0.0.1:6379/8"


def _probe(client: Client | None = None, **extra):  # type: ignore[no-untyped-def]
    response = (client or Client()).get("/healthz", **extra)
    return response, json.loads(response.content)


@pytest.mark.django_db
def test_healthy_without_redis_configured(settings):
    settings.REDIS_URL = ""
    response, body = _probe()
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert body == {"status": "ok", "database": "ok"}
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_a_broker_that_refuses_connections_is_a_503_naming_redis(settings):
    settings.REDIS_URL = REFUSING_BROKER
    response, body = _probe()
    assert response.status_code == 503
    assert body == {"status": "fail", "database": "ok", "redis": "fail"}
    # Nothing of the failure's detail reaches the caller.
    assert b"127.0.0.1" not in response.content and b"refused" not in response.content


@pytest.mark.django_db
def test_a_database_that_does_not_answer_is_a_503_naming_the_database(settings, monkeypatch):
    settings.REDIS_URL = ""

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("connection to server at 10.0.0.5 port 5432 failed")

    monkeypatch.setattr(connections["default"], "cursor", down)
    response, body = _probe()
    assert response.status_code == 503
    assert body == {"status": "fail", "database": "fail"}
    assert b"10.0.0.5" not in response.content


@pytest.mark.django_db
def test_healthy_with_a_live_redis(settings):
    try:
        redis.Redis.from_url(LIVE_REDIS, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    settings.REDIS_URL = LIVE_REDIS
    response, body = _probe()
    assert response.status_code == 200
    assert body == {"status": "ok", "database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_the_probe_needs_no_login_no_https_no_known_host_and_opens_no_session(settings):
    settings.REDIS_URL = ""
    settings.SECURE_SSL_REDIRECT = True  # as in production: the proxy probes over plain HTTP
    response, _body = _probe(HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert not response.cookies
    assert Client().get("/healthz/").status_code == 200


@pytest.mark.django_db
def test_the_probe_is_read_only(settings, auditor):
    settings.REDIS_URL = ""
    assert Client().post("/healthz").status_code == 405
    # Logged in (an auditor, read-only by role) it answers the same, without touching the session.
    client = Client()
    client.force_login(auditor)
    before = dict(client.session.items())
    response, body = _probe(client)
    assert response.status_code == 200 and body["status"] == "ok"
    assert dict(client.session.items()) == before
