"""What the operator relies on: gunicorn started from the repository's gunicorn.conf.py answers
the health check and writes its logs where RISKCOMP_LOG_DIR says, the backup and restore scripts
refuse what they must, and the manual names every scheduled task. (The full backup-and-restore
round trip on PostgreSQL is scripts/test_restore.sh, ``make restore-test``.)"""

import hashlib
import json
import multiprocessing
import os
import runpy
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
GUNICORN = Path(sys.executable).with_name("gunicorn")
BASH = shutil.which("bash") or "/bin/bash"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local test server
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_gunicorn_config_defaults_to_a_worker_per_core_plus_one_of_four_threads(monkeypatch):
    for name in ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_BIND",
                 "RISKCOMP_LOG_DIR"):
        monkeypatch.delenv(name, raising=False)
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["workers"] == multiprocessing.cpu_count() + 1 and conf["threads"] == 4
    assert conf["timeout"] == 120 and conf["bind"] == "127.0.0.1:8000"
    assert conf["accesslog"] == "-" and conf["wsgi_app"] == "riskcomp.wsgi:application"
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "1")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "60")
    monkeypatch.setenv("RISKCOMP_LOG_DIR", "/var/log/riskcomp")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["workers"] == 3 and conf["threads"] == 1 and conf["timeout"] == 60
    assert conf["accesslog"] == "/var/log/riskcomp/gunicorn-access.log"


@pytest.mark.skipif(not GUNICORN.exists(), reason="gunicorn is not installed")
def test_gunicorn_answers_the_health_check_and_logs_to_files(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "riskcomp.settings.test", "GUNICORN_WORKERS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{port}", "RISKCOMP_LOG_DIR": str(tmp_path),
        "REDIS_URL": "redis://127.0.0.1:1/0",  # a broker that refuses connections
    })
    server = subprocess.Popen(  # noqa: S603 - fixed argv, our own server
        [str(GUNICORN), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        status, body = 0, b""
        for _ in range(100):
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        assert status == 503
        assert json.loads(body) == {"status": "fail", "database": "ok", "redis": "fail"}
    finally:
        server.terminate()
        server.wait(timeout=30)
    access = (tmp_path / "gunicorn-access.log").read_text()
    assert '"GET /healthz HTTP/1.1" 503' in access
    assert "gunicorn-error.log" in os.listdir(tmp_path)
    # The application's own log: why Redis failed is here, not in the response.
    app_log = (tmp_path / "riskcomp.log").read_text()
    assert "riskcomp.health" in app_log and "Redis not reachable" in app_log


def _fake_backup(path: Path, *, damage: bool = False) -> Path:
    path.mkdir()
    (path / "db.dump").write_bytes(b"PGDMP fake")
    (path / "media.tar.gz").write_bytes(b"not really a tar")
    sums = "".join(f"{hashlib.sha256((path / n).read_bytes()).hexdigest()}  {n}\n"
                   for n in ("db.dump", "media.tar.gz"))
    (path / "SHA256SUMS").write_text(sums)
    if damage:
        with open(path / "db.dump", "ab") as fh:
            fh.write(b"x")
    return path


def _restore(backup: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
           "RISKCOMP_VAR_DIR": str(tmp_path / "var")}
    return subprocess.run(  # noqa: S603 - fixed argv, our own script
        [BASH, "scripts/restore.sh", str(backup), *args], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60, check=False)


def test_restore_does_nothing_without_yes(tmp_path):
    result = _restore(_fake_backup(tmp_path / "b"), tmp_path)
    assert result.returncode == 1 and "--yes" in result.stdout
    assert not (tmp_path / "var").exists()


def test_restore_refuses_a_damaged_backup(tmp_path):
    result = _restore(_fake_backup(tmp_path / "b", damage=True), tmp_path, "--yes")
    assert result.returncode == 3 and "checksum mismatch" in result.stderr
    assert not (tmp_path / "var").exists()


def test_backup_refuses_a_database_that_is_not_postgresql(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    result = subprocess.run(  # noqa: S603 - fixed argv, our own script
        [BASH, "scripts/backup.sh", str(tmp_path / "out")], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and not (tmp_path / "out").exists()


@pytest.mark.parametrize("script", ["backup.sh", "restore.sh", "test_restore.sh"])
def test_the_scripts_parse(script):
    assert subprocess.run([BASH, "-n", f"scripts/{script}"], cwd=ROOT,  # noqa: S603
                          check=False).returncode == 0


def test_the_manual_names_every_scheduled_task_and_the_health_check():
    readme = (ROOT / "README.md").read_text()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in readme, entry["task"]
    for needle in ("/healthz", "pg_dump", "pg_restore", "scripts/backup.sh", "scripts/restore.sh",
                   "make restore-test", "gunicorn.conf.py", "logrotate", "RISKCOMP_LOG_DIR"):
        assert needle in readme, needle
