"""What is waiting in the broker's queues, for the sweeper.

A worker takes a message off its queue before it runs the task (and, with a larger prefetch, well
before). Killed in between, it leaves the message in Redis's "unacked" set, which Redis hands out
again only after the visibility timeout (2 h): the job stays "排队中" although no queue holds it.
The sweeper tells such a job from one still waiting its turn by reading the queues themselves."""

import base64
import json
import logging
from typing import Any

from celery import current_app

logger = logging.getLogger(__name__)

# Beyond this many messages in one queue the sweeper does not look further and assumes every
# queued job is waiting there (re-sending it would only lengthen the queue).
SCAN_LIMIT = 20_000


def _queue_names(app: Any) -> set[str]:
    names = {app.conf.task_default_queue}
    routes = app.conf.task_routes or {}
    if isinstance(routes, dict):
        names |= {r["queue"] for r in routes.values() if isinstance(r, dict) and r.get("queue")}
    return names


def _job_id(raw: bytes | str) -> int | None:
    """The ``job_id`` keyword of a task message as kombu's Redis transport stores it."""
    try:
        payload = json.loads(raw)
        body = payload["body"]
        if payload.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        decoded = json.loads(body)
        # Task protocol 2: [args, kwargs, embed]; protocol 1: a dict with "kwargs".
        kwargs = decoded[1] if isinstance(decoded, list) else decoded.get("kwargs", {})
        job_id = kwargs.get("job_id")
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None
    return job_id if isinstance(job_id, int) else None


def waiting_job_ids() -> set[int] | None:
    """The jobs whose messages wait in a queue of the broker (not yet taken by any worker), or
    None when that cannot be known: a broker other than Redis, Redis unreachable, or a queue
    longer than ``SCAN_LIMIT``."""
    app = current_app
    try:
        with app.connection_for_read() as conn:
            if conn.transport.driver_type != "redis":
                return None
            conn.ensure_connection(max_retries=1)
            channel = conn.default_channel
            client = channel.client
            waiting: set[int] = set()
            for queue in _queue_names(app):
                # kombu keeps one list per priority step: "celery", "celery\x06\x163", …
                for step in channel.priority_steps:
                    key = f"{queue}{channel.sep}{step}" if step else queue
                    if client.llen(key) > SCAN_LIMIT:
                        return None
                    waiting.update(j for j in map(_job_id, client.lrange(key, 0, -1))
                                   if j is not None)
            return waiting
    except Exception:
        logger.warning("the broker's queues could not be read", exc_info=True)
        return None
