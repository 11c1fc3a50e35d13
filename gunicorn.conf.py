"""gunicorn settings for the portal: ``.venv/bin/gunicorn -c gunicorn.conf.py``.

Environment variables override each value (README, 运维手册): GUNICORN_BIND, GUNICORN_WORKERS,
GUNICORN_THREADS, GUNICORN_TIMEOUT; RISKCOMP_LOG_DIR puts the access and error logs in that
directory."""

import multiprocessing
import os

wsgi_app = "riskcomp.wsgi:application"
# Only the reverse proxy on this machine talks to gunicorn.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# cores + 1 worker processes of 4 threads each (gthread). A page costs a worker about 30 ms of CPU
# and as long again waiting on PostgreSQL: threads fill that wait, while more processes than
# cores only add memory and context switches. Twelve requests in flight keep a slow export or
# PDF from holding up everybody else. Measured with 20 users (scripts/bench_load.py, README).
workers = int(os.environ.get("GUNICORN_WORKERS", str(multiprocessing.cpu_count() + 1)))
# More than one thread makes each worker a threaded one (gthread), sharing its memory.
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# The slowest synchronous pages (an .xlsx export of every filing, the proposal PDF) take seconds;
# a worker silent for this long is stuck and is restarted. The proxy's read timeout must be longer.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle each worker after about a thousand requests, so that memory a large export or import
# preview took is given back to the system.
max_requests = 1000
max_requests_jitter = 100
# X-Forwarded-Proto from the proxy on this machine is trusted (HTTPS detection).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

_log_dir = os.environ.get("RISKCOMP_LOG_DIR", "")
accesslog = os.path.join(_log_dir, "gunicorn-access.log") if _log_dir else "-"
errorlog = os.path.join(_log_dir, "gunicorn-error.log") if _log_dir else "-"
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
