"""Load run of the portal through gunicorn on PostgreSQL (``make bench``).

The data are those of ``bench_screens.py`` (30 banks, 100,000 filings, 10,000 claims, filled on
the server side). Twenty users are added: half of them bank officers of ten banks, half
custodian reviewers with a confirmed authenticator. gunicorn is started with the repository's
``gunicorn.conf.py`` (two-factor login on, ``DEBUG`` off, tasks in-process as without Redis) and
each user, a thread of this process, logs in through the real login page (the reviewers then
give the current TOTP code of their authenticator, as their phone would show it), and opens
pages for ``BENCH_LOAD_SECONDS`` seconds: officers their home page, filings (filtered and
searched), claims and one of their filings or claims; reviewers their home page, the review
queue, the lists, a claim, its review page and its filing. Between two pages a user reads for
``BENCH_LOAD_THINK_MS`` milliseconds on average (0 for a closed loop that asks as fast as the
server answers).

Printed, each on a line of its own: ``load_login_s`` (all of them logging in at once),
``load_rps`` (pages answered per second), ``load_p50_ms`` and ``load_p95_ms`` (the time a user
waited for a page, measured here: queueing in gunicorn included), ``load_errors`` (anything but
a 200, or no answer) and ``load_worker_cpu_ms_per_page``, the CPU time the gunicorn workers
spent per page (which the machine's other work does not change); a comment line per screen.
The database is dropped at the end unless ``BENCH_KEEP_DB=1`` (then it is the one
``bench_screens.py`` keeps).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/riskcomp python scripts/bench_load.py
"""

import http.client
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from benchdb import BASE, bench_environment, keep_database, run

USERS = int(os.environ.get("BENCH_LOAD_USERS", "20"))
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "60"))
THINK_MS = float(os.environ.get("BENCH_LOAD_THINK_MS", "1000"))
PASSWORD = "Bench-load-password-2026"  # noqa: S105 - users of a throw-away database
# The reviewers' authenticator secret (hex, as django-otp stores it); theirs alone.
TOTP_KEY = "3132333435363738393031323334353637383930"
_STATE: dict[str, Any] = {}


def _setup_django(bench_url: str) -> None:
    bench_environment(bench_url)
    os.environ["RISKCOMP_2FA_REQUIRED"] = "1"
    import logging
    import warnings

    import django

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _load_users() -> list[tuple[str, str]]:
    """(username, role) of the users of the run, with their password and, for reviewers, a
    confirmed authenticator whose last used code is forgotten (a kept database is run again)."""
    from django.contrib.auth.models import Group, User
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from guardian.shortcuts import assign_perm

    from accounts.roles import Role
    from banks.models import ACT_FOR_BANK, Bank

    users = []
    banks = list(Bank.objects.order_by("code")[:10])
    _STATE["banks"] = {}
    for i in range(USERS):
        role = "officer" if i % 2 == 0 else "reviewer"
        user, _created = User.objects.get_or_create(username=f"load_{role}_{i:02d}")
        user.set_password(PASSWORD)
        user.save()
        group = Role.BANK_OFFICER if role == "officer" else Role.REVIEWER
        user.groups.set([Group.objects.get(name=group.value)])
        if role == "officer":
            bank = banks[(i // 2) % len(banks)]
            assign_perm(f"banks.{ACT_FOR_BANK}", user, bank)
            _STATE["banks"][user.username] = bank
        else:
            TOTPDevice.objects.update_or_create(
                user=user, name="手机",
                defaults={"key": TOTP_KEY, "confirmed": True, "last_t": -1,
                          "throttling_failure_count": 0, "throttling_failure_timestamp": None})
        users.append((user.username, role))
    return users


def _pages() -> dict[str, list[list[str]]]:
    """For each user, the kinds of page it opens, each kind as often as it appears, with the
    records it may open (its bank's for an officer)."""
    from django.urls import reverse

    from claims.models import Claim
    from claims.review.selectors import OPEN_STATUSES
    from loans.models import LoanFiling

    def paths(name: str, qs: Any, n: int) -> list[str]:
        return [reverse(name, args=[pk])
                for pk in qs.order_by("?").values_list("pk", flat=True)[:n]]

    filters = "?" + urlencode({"scheme": "MICRO", "quarter": "2025Q4", "q": "企业12"})
    home, filings, claims = (reverse("home"), reverse("loans:filing_list"),
                             reverse("claims:claim_list"))
    queue = reverse("claims:review_queue")
    pages: dict[str, list[list[str]]] = {}
    for username, role in _STATE["users"]:
        if role == "officer":
            bank = _STATE["banks"][username]
            pages[username] = [
                [home], [home], [filings], [filings + filters], [claims],
                *[paths("loans:filing_detail", LoanFiling.objects.filter(bank=bank), 20)] * 2,
                paths("claims:claim_detail", Claim.objects.filter(bank=bank), 10),
            ]
        else:
            open_claims = Claim.objects.filter(status__in=OPEN_STATUSES)
            pages[username] = [
                [home], [queue], [queue], [queue], [queue + "?age=gt10"],
                [filings + filters], [claims],
                *[paths("claims:review", open_claims, 40)] * 2,
                paths("claims:claim_detail", open_claims, 20),
                paths("loans:filing_detail", LoanFiling.objects.filter(status="claimed"), 20),
            ]
    return pages


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """One user's cookies and requests (a new connection each, as gunicorn's sync workers
    close them)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, str, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": "127.0.0.1", "Accept-Language": "zh-hans"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, response.headers.get("Location", ""), text
        finally:
            conn.close()

    def login(self, username: str, role: str) -> None:
        from django_otp.oath import totp

        _status, _loc, page = self.request("GET", "/accounts/login/")
        status, location, _text = self.request("POST", "/accounts/login/", {
            "username": username, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(page)})
        if status != 302:
            raise RuntimeError(f"{username}: the login answered {status}")
        if role == "reviewer":
            path = urlsplit(location).path or "/"
            status, location, _text = self.request("GET", path)
            if status != 302 or "/2fa/" not in location:
                raise RuntimeError(f"{username}: no second step ({status} {location})")
            _status, _loc, page = self.request("GET", location)
            code = f"{totp(bytes.fromhex(TOTP_KEY)):06d}"
            status, _loc, _text = self.request("POST", location, {
                "token": code, "csrfmiddlewaretoken": _csrf(page)})
            if status != 302:
                raise RuntimeError(f"{username}: the authenticator code answered {status}")
        status, _loc, _text = self.request("GET", "/")
        if status != 200:
            raise RuntimeError(f"{username}: the home page answered {status} after login")


def _csrf(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match[1]


def _login(browser: Browser, username: str, role: str, errors: list[str]) -> None:
    try:
        browser.login(username, role)
    except (OSError, RuntimeError) as exc:
        errors.append(str(exc))


def _user_run(browser: Browser, username: str, seed: int, deadline: float,
              samples: list[tuple[str, float]], errors: list[str]) -> None:
    rng = random.Random(seed)  # noqa: S311 - choosing pages, not secrets
    kinds = _STATE["pages"][username]
    while time.monotonic() < deadline:
        path = rng.choice(rng.choice(kinds))
        started = time.perf_counter()
        try:
            status, _loc, _text = browser.request("GET", path)
        except OSError as exc:
            errors.append(f"{path}: {exc}")
            continue
        samples.append((path, (time.perf_counter() - started) * 1000))
        if status != 200:
            errors.append(f"{path}: {status}")
        if THINK_MS:
            time.sleep(rng.uniform(0.5, 1.5) * THINK_MS / 1000)


def _all(target: Any, args: list[tuple[Any, ...]]) -> None:
    threads = [threading.Thread(target=target, args=a) for a in args]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _workers_cpu_s(master: int) -> float:
    """CPU seconds the gunicorn workers (the master's children) have used so far (Linux)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:  # ppid; utime and stime follow at 11 and 12
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _by_screen(samples: list[tuple[str, float]]) -> None:
    """A comment line per screen (its URL name): how many, p50 and p95, slowest first."""
    from bench_screens import _percentile
    from django.urls import resolve

    by_name: dict[str, list[float]] = {}
    for path, ms in samples:
        name = resolve(path.split("?")[0]).view_name + ("?" if "?" in path else "")
        by_name.setdefault(name, []).append(ms)
    for name, times in sorted(by_name.items(), key=lambda kv: -_percentile(kv[1], 95)):
        print(f"# {name}: {len(times)} pages, p50 {_percentile(times, 50):.0f} ms, "
              f"p95 {_percentile(times, 95):.0f} ms", flush=True)


def _gunicorn(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
           "GUNICORN_BIND": f"127.0.0.1:{port}"}
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn and configuration
            [str(BASE / ".venv" / "bin" / "gunicorn"), "-c", str(BASE / "gunicorn.conf.py"),
             "--access-logfile", "/dev/null"],
            cwd=BASE, env=env, stdout=out, stderr=subprocess.STDOUT)
    for _ in range(600):
        if server.poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit(f"bench_load: gunicorn did not start, see {log}")


def _bench() -> None:
    import bench_screens
    from django.db import connections

    bench_screens._fill()
    _STATE["users"] = _load_users()
    _STATE["pages"] = _pages()
    connections.close_all()
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        log = Path(tmp) / "gunicorn.log"
        server = _gunicorn(port, log)
        try:
            samples: list[tuple[str, float]] = []
            errors: list[str] = []
            users = _STATE["users"]
            browsers = {username: Browser(port) for username, _role in users}
            # Everybody logs in at once (the password hash is slow on purpose), then works.
            started = time.perf_counter()
            _all(_login, [(browsers[u], u, role, errors) for u, role in users])
            login_s = time.perf_counter() - started
            logged_in = [u for u, _role in users if "sessionid" in browsers[u].cookies]
            cpu_before = _workers_cpu_s(server.pid)
            started = time.perf_counter()
            deadline = time.monotonic() + SECONDS
            _all(_user_run, [(browsers[u], u, i, deadline, samples, errors)
                             for i, u in enumerate(logged_in)])
            wall = time.perf_counter() - started
            cpu = _workers_cpu_s(server.pid) - cpu_before
        finally:
            server.terminate()
            server.wait(timeout=60)
        workers = len(re.findall(r"Booting worker", log.read_text(errors="replace")))
    _by_screen([(path, ms) for path, ms in samples])
    times = [ms for _path, ms in samples]
    for error in errors[:5]:
        print(f"# error: {error}", flush=True)
    print(f"# {USERS} users for {SECONDS:.0f} s, {THINK_MS:.0f} ms reading between pages on "
          f"average; {workers} gunicorn workers booted", flush=True)
    print(f"load_users: {USERS}")
    print(f"load_login_s: {login_s:.1f}")
    print(f"load_requests: {len(times)}")
    print(f"load_rps: {len(times) / wall:.1f}")
    print(f"load_p50_ms: {bench_screens._percentile(times, 50):.0f}" if times
          else "load_p50_ms: -")
    print(f"load_p95_ms: {bench_screens._percentile(times, 95):.0f}" if times
          else "load_p95_ms: -")
    print(f"load_errors: {len(errors)}")
    # What a page costs the web workers, whatever else the machine is doing at the time.
    print(f"load_worker_cpu_ms_per_page: {cpu * 1000 / max(len(times), 1):.0f}")


def main() -> None:
    from bench_screens import BENCH_DB, CLAIMS, FILINGS

    # Kept, it is the database bench_screens.py keeps; otherwise a throw-away one of its own.
    name = f"{BENCH_DB}_{FILINGS}_{CLAIMS}" if keep_database() else "riskcomp_bench_load"
    run(name, _setup_django, _bench, keep=keep_database())


if __name__ == "__main__":
    main()
