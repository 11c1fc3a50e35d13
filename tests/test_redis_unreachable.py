"""Redis unreachable without refusing: a host that drops the connection's packets, or one that
accepts the connection and never answers. A request that sends a task must still answer within
about two seconds with "队列暂时不可用", leaving the job for the sweeper; ``/healthz`` answers 503
as promptly. Each test waits on real socket timeouts (about 1–2 s)."""

import json
import signal
import socket
import time
from collections.abc import Iterator

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from jobs.models import Job
from loans.models import ImportBatch
from reports.models import ReportFile
from riskcomp.celery import app

from .conftest import client_for
from .test_import import row, tech_row, workbook
from .test_jobs import _today  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

# How long the send may take to give up, with room for a loaded test machine: the settings
# bound it at about 2 s (connect 0.5 s, read 1 s, one publish retry). Unbounded, it hangs.
PROMPT_SECONDS = 3.5
# The whole request, which also reads and stores the workbook.
REQUEST_SECONDS = 10.0
HANG_SECONDS = 30.0


@pytest.fixture(params=["drops_packets", "never_answers"])
def unreachable_redis(request) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A Redis URL whose host does not answer. ``drops_packets``: the listening socket's
    accept queue is full, so the kernel drops further SYNs and a connect hangs, as with a
    firewalled host. ``never_answers``: the connection is accepted, no reply ever comes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    held: list[socket.socket] = []
    if request.param == "drops_packets":
        while len(held) < 16:  # fill the accept queue until a connect no longer completes
            probe = socket.socket()
            probe.settimeout(0.3)
            try:
                probe.connect(("127.0.0.1", port))
            except TimeoutError:
                probe.close()
                break
            held.append(probe)
        else:
            pytest.fail("the accept queue never filled: SYNs are not dropped here")
    # Should the bounds be lost, a send would wait forever: interrupt it so the test fails.
    def interrupt(signum, frame):  # type: ignore[no-untyped-def]
        raise TimeoutError("still waiting on the unreachable Redis")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    yield f"redis://127.0.0.1:{port}/0"
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)
    for probe in held:
        probe.close()
    server.close()


def _reset_connections() -> None:
    app._pool = None  # the connection pools keep the old broker's address
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def broker_unreachable(unreachable_redis: str) -> Iterator[str]:
    """The Celery app as production configures it (the settings' timeouts and retry policy),
    its broker and result backend on the unreachable host."""
    before = app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager
    app.conf.broker_url = app.conf.result_backend = unreachable_redis
    app.conf.task_always_eager = False
    _reset_connections()
    yield unreachable_redis
    app.conf.broker_url, app.conf.result_backend, app.conf.task_always_eager = before
    _reset_connections()


@pytest.fixture
def send_seconds(monkeypatch) -> list[float]:  # type: ignore[no-untyped-def]
    """How long each send to the broker took (the request's wait for the queue)."""
    from jobs import services

    real, took = services.job_send, []

    def timed(job_id: int) -> bool:
        started = time.monotonic()
        try:
            return real(job_id)
        finally:
            took.append(time.monotonic() - started)

    monkeypatch.setattr(services, "job_send", timed)
    return took


def _timed(call):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def _messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.django_db(transaction=True)  # the send runs at the view's commit, as served
@pytest.mark.usefixtures("reference_data")
def test_upload_with_redis_unreachable_answers_promptly_and_leaves_the_job_to_the_sweeper(
        both_schemes, officer_a, upload, broker_unreachable, send_seconds):
    client = client_for(officer_a)
    response, seconds = _timed(lambda: upload(client, workbook([row(), tech_row()])))
    assert response.status_code == 302
    [send] = send_seconds
    assert send < PROMPT_SECONDS, f"the send took {send:.1f} s"
    assert seconds < REQUEST_SECONDS, f"the upload took {seconds:.1f} s"
    [message] = _messages(response)
    assert "后台任务队列暂时不可用" in message
    assert ImportBatch.objects.get().status == ImportBatch.Status.UPLOADED
    job = Job.objects.get()
    assert (job.state, job.sent_at) == (Job.State.QUEUED, None)


@pytest.mark.django_db(transaction=True)  # the send runs at the view's commit, as served
@pytest.mark.usefixtures("reference_data")
def test_report_request_with_redis_unreachable_answers_promptly(
        reviewer, broker_unreachable, send_seconds, django_capture_on_commit_callbacks):
    client = client_for(reviewer)

    def request():  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("reports:report_generate"),
                               {"kind": "semiannual", "period": "2026H1"})

    response, seconds = _timed(request)
    assert response.status_code == 302
    [send] = send_seconds
    assert send < PROMPT_SECONDS, f"the send took {send:.1f} s"
    assert seconds < REQUEST_SECONDS, f"the report request took {seconds:.1f} s"
    [message] = _messages(response)
    assert "队列暂时不可用" in message and "已提交生成" not in message
    assert ReportFile.objects.get().status == ReportFile.Status.PENDING
    assert Job.objects.get().sent_at is None


@pytest.mark.django_db
def test_healthz_with_redis_unreachable_is_a_prompt_503(settings, unreachable_redis):
    settings.REDIS_URL = unreachable_redis
    response, seconds = _timed(lambda: Client().get("/healthz"))
    assert response.status_code == 503
    assert json.loads(response.content) == {"status": "fail", "database": "ok", "redis": "fail"}
    assert seconds < PROMPT_SECONDS, f"/healthz took {seconds:.1f} s"
