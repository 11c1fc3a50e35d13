"""Hardening that holds for every page: the production deploy check, cookie flags, login
throttling (django-axes) and a Content-Security-Policy that allows no inline script or style."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from .conftest import client_for

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Secret-pass-123"  # tests/factories.py UserFactory
WRONG = "wrong-password"


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "RISKCOMP_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "riskcomp.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "riskcomp.intranet.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "RISKCOMP_VAR_DIR": str(tmp_path),
        "REDIS_URL": "",
        "RISKCOMP_2FA_REQUIRED": "0",  # production must ignore this
        "RISKCOMP_PROXY_COUNT": "1",
    })
    return env


def test_manage_py_check_deploy_is_clean_with_production_settings(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(tmp_path), capture_output=True, text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in result.stdout and "System check identified no issues" in output, output


def test_production_cookies_are_secure_httponly_and_same_site(tmp_path):
    names = ("SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_SAMESITE",
             "CSRF_COOKIE_SECURE", "CSRF_COOKIE_HTTPONLY", "CSRF_COOKIE_SAMESITE",
             "SESSION_COOKIE_AGE", "RISKCOMP_SESSION_MAX_AGE",
             "RISKCOMP_2FA_REQUIRED", "AUTHENTICATION_BACKENDS", "SECURE_SSL_REDIRECT",
             "AXES_IPWARE_PROXY_COUNT", "AXES_IPWARE_META_PRECEDENCE_ORDER")
    script = ("import django, json; django.setup(); from django.conf import settings as s; "
              f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT,  # noqa: S603 - our own code
                            env=production_env(tmp_path), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    prod = json.loads(result.stdout.strip().splitlines()[-1])
    assert prod["SESSION_COOKIE_SECURE"] and prod["CSRF_COOKIE_SECURE"]
    assert prod["SESSION_COOKIE_HTTPONLY"] and prod["CSRF_COOKIE_HTTPONLY"]
    assert prod["SESSION_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert prod["CSRF_COOKIE_SAMESITE"] in ("Lax", "Strict")
    assert prod["SECURE_SSL_REDIRECT"] is True
    # 30 minutes idle, 12 hours in all.
    assert prod["SESSION_COOKIE_AGE"] == 30 * 60
    assert prod["RISKCOMP_SESSION_MAX_AGE"] == 12 * 60 * 60
    # The environment variable cannot switch the second factor off in production.
    assert prod["RISKCOMP_2FA_REQUIRED"] is True
    assert prod["AUTHENTICATION_BACKENDS"][0] == "axes.backends.AxesStandaloneBackend"
    # One reverse proxy: the client is the one address it writes into X-Forwarded-For.
    assert prod["AXES_IPWARE_PROXY_COUNT"] == 0
    assert prod["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]


# --- Login throttling -------------------------------------------------------------------------

def _login(client, username: str, password: str, ip: str = "10.0.0.1"):  # type: ignore[no-untyped-def]
    return client.post(reverse("login"), {"username": username, "password": password},
                       REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_that_username_from_that_address(client, reviewer):
    for _ in range(4):
        response = _login(client, "reviewer", "wrong-password")
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
    locked = _login(client, "reviewer", "wrong-password")
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录已暂时锁定" in page and "30 分钟" in page
    # Even the right password is refused now, from that address.
    again = _login(client, "reviewer", PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_lock_is_per_username_and_address(client, reviewer, approver):
    for _ in range(5):
        _login(client, "reviewer", "wrong-password")
    assert _login(client, "reviewer", PASSWORD).status_code == 429
    # Another address may still log in as that user; the same address as another user too.
    assert _login(client, "reviewer", PASSWORD, ip="10.0.0.2").status_code == 302
    client.logout()
    assert _login(client, "approver", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_successful_login_clears_the_failure_count(client, reviewer):
    for _ in range(4):
        _login(client, "reviewer", "wrong-password")
    assert _login(client, "reviewer", PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert _login(client, "reviewer", "wrong-password").status_code == 200
    assert _login(client, "reviewer", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_behind_one_proxy_the_forwarded_address_is_counted(client, reviewer, settings):
    # RISKCOMP_PROXY_COUNT=1: nginx overwrites X-Forwarded-For with the address it sees.
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")

    def attempt(forwarded: str, password: str = WRONG):  # type: ignore[no-untyped-def]
        return client.post(reverse("login"), {"username": "reviewer", "password": password},
                           REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    for _ in range(5):
        attempt("203.0.113.5")
    assert attempt("203.0.113.5", PASSWORD).status_code == 429
    # Another client behind the same proxy is not locked out with them.
    assert attempt("203.0.113.6", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_force_login_is_not_affected_by_axes(reviewer):
    # The many tests that log in with client.force_login go around the backends entirely.
    assert client_for(reviewer).get(reverse("home")).status_code == 200


# --- Content-Security-Policy ------------------------------------------------------------------

def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_every_page_sends_a_strict_content_security_policy(client, reviewer, officer_a, world):
    pages = [(client, reverse("login"))]
    staff = client_for(reviewer)
    pages += [(staff, reverse("home")), (staff, reverse("claims:claim_list")),
              (staff, reverse("claims:claim_detail", args=[world["claim_a"].pk])),
              (staff, reverse("accounts:sessions")),
              (client_for(officer_a), reverse("loans:filing_list")),
              (client_for(officer_a), reverse("calculator"))]
    for who, url in pages:
        response = who.get(url)
        assert response.status_code == 200, url
        csp = _csp(response)
        assert csp["default-src"] == "default-src 'self'", url
        assert csp["script-src"] == "script-src 'self'", url
        assert csp["style-src"] == "style-src 'self'", url
        assert csp["img-src"] == "img-src 'self' data:", url
        assert csp["frame-ancestors"] == "frame-ancestors 'self'", url
        assert csp["object-src"] == "object-src 'none'", url
        assert csp["form-action"] == "form-action 'self'", url
        assert "unsafe" not in response["Content-Security-Policy"], url
        html = response.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url
        assert not re.search(r"<style\b|\sstyle\s*=", html), url


@pytest.mark.django_db
def test_htmx_is_told_not_to_inject_its_indicator_style(client):
    html = client.get(reverse("login")).content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", html)
    assert meta, "htmx-config meta tag missing"
    config = json.loads(meta.group(1))
    assert config["includeIndicatorStyles"] is False
    assert config["allowEval"] is False


def _our_templates() -> list[Path]:
    dirs = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    dirs += [ROOT / app / "templates" for app in ("accounts", "banks", "loans", "claims", "fund",
                                                   "reports", "notifications", "riskcomp")]
    return sorted(p for d in dirs if d.is_dir() for p in d.rglob("*.html"))


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"(href|src|action)\s*=\s*[\"']\s*javascript:", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)


def test_no_template_contains_an_inline_script_or_handler():
    templates = _our_templates()
    assert len(templates) > 20
    offenders = []
    for path in templates:
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, JS_URL):
            offenders += [f"{path.relative_to(ROOT)}: {m.group(0)[:60]}"
                          for m in pattern.finditer(text)]
    assert not offenders, offenders


def test_no_page_template_contains_an_inline_style():
    # PDF layouts are rendered by WeasyPrint on the server, never by a browser under the CSP.
    offenders = [
        f"{path.relative_to(ROOT)}: {m.group(0)[:60]}"
        for path in _our_templates() if "pdf" not in path.relative_to(ROOT).parts
        for m in INLINE_STYLE.finditer(path.read_text(encoding="utf-8"))]
    assert not offenders, offenders


def test_the_scan_would_catch_an_inline_script():
    samples = ['<script>alert(1)</script>', '<button onclick="go()">', '<a href="javascript:x">',
               '<div style="color:red">', "<style>p{}</style>"]
    caught = [s for s in samples if any(p.search(s) for p in (INLINE_SCRIPT, EVENT_HANDLER,
                                                                JS_URL, INLINE_STYLE))]
    assert caught == samples
    assert not INLINE_SCRIPT.search('<script src="/static/js/portal.js" defer></script>')
