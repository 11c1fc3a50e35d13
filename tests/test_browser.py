"""Each demo user logs in through headless Chromium and sees the Chinese home of their role.
Screenshots of every step are saved under artifacts/screens/ as test artefacts."""

from pathlib import Path

import pytest
from django.core.management import call_command

from .conftest import check_screen

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screens"
DEMO_PASSWORD = "Demo-2026-pass"
HOMES = [
    ("bank_officer", "银行经办工作台"),
    ("bank_officer2", "银行经办工作台"),
    ("reviewer", "托管机构工作台"),
    ("approver", "财政国资局确认工作台"),
    ("auditor", "审计查询"),
    ("admin", "托管机构工作台"),
]


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    check_screen(page)


def login(browser, live_server, username: str):  # type: ignore[no-untyped-def]
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_each_demo_user_logs_in_and_sees_the_home_of_their_role(browser, live_server):
    call_command("load_demo", verbosity=0)
    page = browser.new_page(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    shot(page, "00-login")
    page.close()
    for username, heading in HOMES:
        page = login(browser, live_server, username)
        assert page.url.rstrip("/") == live_server.url, username
        assert heading in page.inner_text("main"), username
        assert page.get_attribute("html", "lang") == "zh-CN"
        shot(page, f"home-{username}")
        page.close()


def test_officer_lists_filter_and_calculator_in_the_browser(browser, live_server):
    call_command("load_demo", verbosity=0)
    page = login(browser, live_server, "bank_officer")
    page.click("nav.mainnav >> text=贷款备案")
    page.wait_for_load_state("networkidle")
    assert "共" in page.inner_text(".toolbar")
    page.select_option("select[name=scheme]", "TECH")  # auto-submits
    page.wait_for_url("**scheme=TECH**")
    shot(page, "officer-filings-tech")
    rows = page.locator("table.data tbody tr")
    assert rows.count() > 0
    for i in range(rows.count()):
        assert "科创" in rows.nth(i).inner_text()
    page.click("nav.mainnav >> text=补偿测算")
    page.fill("input[name=credit_code]", _valid_code())
    page.select_option("select[name=kind]", "company")  # no kind or size chosen in advance
    page.select_option("select[name=size]", "small")
    page.check("input[name=in_bda]")  # nor 在经开区 ticked
    page.fill("input[name=amount]", "2000000")
    page.fill("input[name=drawdown_date]", "2026-05-10")
    page.fill("input[name=maturity_date]", "2027-05-09")
    page.fill("input[name=rate_percent]", "3.8")
    page.fill("input[name=credit_report_outstanding]", "5000000")
    page.fill("input[name=credit_report_date]", "2026-05-06")
    page.fill("input[name=npl_principal]", "2000000")
    page.check("input[name=micro_conduct_ok]")  # each scheme's attestation, never pre-ticked
    page.check("input[name=tech_conduct_ok]")
    page.locator("#calc-result").get_by_text("适用政策").wait_for(timeout=10000)
    result = page.inner_text("#calc-result")
    assert "¥" in result and "%" in result
    shot(page, "officer-calculator")


def _valid_code() -> str:
    from .factories import make_credit_code

    return make_credit_code(42)


def test_every_demo_user_walks_their_menu_without_console_errors_or_raw_codes(browser, live_server):
    # Each entry of each role's main menu, one screenshot each; shot() fails on a console
    # error (an htmx style blocked by the CSP, a script error) or a raw code on the screen.
    call_command("load_demo", verbosity=0)
    for username, _heading in HOMES:
        page = login(browser, live_server, username)
        labels = page.locator("nav.mainnav a").all_inner_texts()
        assert labels, username
        for n in range(len(labels)):
            page.locator("nav.mainnav a").nth(n).click()
            page.wait_for_load_state("networkidle")
            shot(page, f"menu-{username}-{n:02d}")
        page.close()
