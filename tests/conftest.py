import io
import os
import shutil
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role

from .factories import BankFactory, ClaimFactory, FilingFactory, UserFactory, officer_for


@pytest.fixture
def bank_a(db):  # type: ignore[no-untyped-def]
    return BankFactory(name="甲银行经开区支行", short_name="甲银行")


@pytest.fixture
def bank_b(db):  # type: ignore[no-untyped-def]
    return BankFactory(name="乙银行经开区支行", short_name="乙银行")


@pytest.fixture
def officer_a(bank_a):  # type: ignore[no-untyped-def]
    return officer_for(bank_a, "officer_a")


@pytest.fixture
def officer_b(bank_b):  # type: ignore[no-untyped-def]
    return officer_for(bank_b, "officer_b")


@pytest.fixture
def reviewer(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="reviewer", role=Role.REVIEWER.value)


@pytest.fixture
def approver(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="approver", role=Role.APPROVER.value)


@pytest.fixture
def auditor(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="auditor", role=Role.AUDITOR.value)


@pytest.fixture
def admin_user_(db):  # type: ignore[no-untyped-def]
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def both_schemes(bank_a):  # type: ignore[no-untyped-def]
    """Bank A with an agreement under each scheme."""
    from .factories import AgreementFactory

    AgreementFactory(bank=bank_a, scheme="MICRO")
    AgreementFactory(bank=bank_a, scheme="TECH")
    return bank_a


@pytest.fixture
def world(bank_a, bank_b, officer_a, officer_b):  # type: ignore[no-untyped-def]
    """Two banks, each with filings and a claim."""
    fa = FilingFactory(bank=bank_a, filed_by=officer_a)
    fb = FilingFactory(bank=bank_b, filed_by=officer_b)
    ca = ClaimFactory(filing=fa, created_by=officer_a)
    cb = ClaimFactory(filing=fb, created_by=officer_b)
    return {"filing_a": fa, "filing_b": fb, "claim_a": ca, "claim_b": cb}


@pytest.fixture
def reference_data(transactional_db):  # type: ignore[no-untyped-def]
    """Transactional tests flush the database after each test, taking the data the migrations
    seeded (role groups, policy versions, LPR, fund sizes) with it: put it back first."""
    import importlib

    from django.apps import apps

    for module in ("banks.migrations.0002_roles", "fund.migrations.0002_seed_policy_data"):
        migration = importlib.import_module(module)
        seed = getattr(migration, "create_groups", None) or migration.seed
        seed(apps, None)
    articles = importlib.import_module(
        "fund.migrations.0007_policy_version_articles_seed_and_no_overlap")
    articles.seed_articles(apps, None)


# --- The quarter's import, as the officer's browser sends it ----------------------------------

@pytest.fixture
def upload(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """POST a file to the upload screen (the validation task runs on commit, eagerly)."""

    def send(client, content: bytes, kind: str = "filings", name: str = "2026Q2.xlsx",
             **extra):  # type: ignore[no-untyped-def]
        file = io.BytesIO(content)
        file.name = name
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("loans:import_upload"),
                               {"kind": kind, "file": file, **extra})

    return send


@pytest.fixture
def confirm(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    def send(client, batch):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("loans:import_confirm", args=[batch.pk]))

    return send


# --- Headless Chromium (Debian's chromium), one per test module ----------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (make test installs it with apt-get)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
    # itself are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        yield _WatchedBrowser(b)
        b.close()


# Console errors (and uncaught page errors) of every page the browser tests open; the autouse
# fixture below fails the test that caused one.
CONSOLE_ERRORS: list[str] = []


def _watch(page) -> None:  # type: ignore[no-untyped-def]
    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error":
            CONSOLE_ERRORS.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda e: CONSOLE_ERRORS.append(f"{page.url}: {e}"))


class _WatchedBrowser:
    """The Playwright browser, with every page it opens (directly or through a context)
    watched for console errors."""

    def __init__(self, browser) -> None:  # type: ignore[no-untyped-def]
        self._browser = browser

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)

    def new_page(self, **kwargs: Any):  # type: ignore[no-untyped-def]
        page = self._browser.new_page(**kwargs)
        _watch(page)
        return page

    def new_context(self, **kwargs: Any):  # type: ignore[no-untyped-def]
        context = self._browser.new_context(**kwargs)
        context.on("page", _watch)
        return context


@pytest.fixture(autouse=True)
def _no_console_errors(request):  # type: ignore[no-untyped-def]
    CONSOLE_ERRORS.clear()
    yield
    if "browser" in request.fixturenames:
        assert not CONSOLE_ERRORS, "\n".join(CONSOLE_ERRORS)


def check_screen(page) -> None:  # type: ignore[no-untyped-def]
    """What a browser step shows: no console error so far and no raw code in the page's text
    (tests/test_no_raw_codes.py says what a raw code is)."""
    from .test_no_raw_codes import raw_codes

    assert not CONSOLE_ERRORS, "\n".join(CONSOLE_ERRORS)
    text = page.inner_text("body")
    assert not raw_codes(text), (page.url, raw_codes(text))


def patch_today(monkeypatch: Any, today: Callable[[], date]) -> None:
    """The portal's clock runs from ``today()`` at the real time of day. A live server runs in a
    thread of this process, so the patched functions are its clock too; both are patched so that
    timestamps and dates agree."""
    real_now, real_localdate = timezone.now, timezone.localdate
    real_today = real_localdate()

    def now() -> datetime:
        return real_now() - (real_today - today())

    def localdate(value: datetime | None = None, tz: Any = None) -> date:
        return real_localdate(now() if value is None else value, tz)

    monkeypatch.setattr(timezone, "now", now)
    monkeypatch.setattr(timezone, "localdate", localdate)


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    # The test database is rolled back between tests, so ids repeat: no cached figure may
    # outlive the data it was computed from.
    from django.core.cache import cache

    cache.clear()
