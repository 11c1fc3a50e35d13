"""The filing form in headless Chromium: each scheme's own conduct attestation, and the verdict
after submit is the live check's, scheme by scheme (a bank whose MICRO agreement has ended).
Screenshots go to artifacts/screens/filing-verdicts/."""

from datetime import date
from pathlib import Path

import pytest

from loans.models import LoanFiling
from riskcomp.labels import reason_label

from .conftest import check_screen, patch_today
from .factories import AgreementFactory, BankFactory, make_credit_code, officer_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screens" / "filing-verdicts"
PASSWORD = "Secret-pass-123"  # tests.factories.UserFactory
TODAY = date(2026, 7, 10)  # 2026Q2 loans may be filed until 2026-07-21


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    patch_today(monkeypatch, lambda: TODAY)


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    check_screen(page)


def verdicts(page) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The verdict panel's blocks per scheme: label -> reasons, as the officer reads them."""
    found = {}
    for block in page.locator("#filing-verdict .verdict.small").all():
        label = block.locator("h3 .badge").inner_text().strip()
        found[label] = [li.inner_text().strip() for li in block.locator("li").all()]
    return found


def logged_in(browser, live_server, username: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(20000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    return context, page


def test_the_verdict_after_submit_is_the_live_checks_scheme_by_scheme(browser, live_server):
    bank = BankFactory(name="甲银行经开区支行", short_name="甲银行")
    AgreementFactory(bank=bank, scheme="TECH")
    AgreementFactory(bank=bank, scheme="MICRO", valid_to=date(2026, 3, 31))  # ended
    officer_for(bank, "officer_v")
    context, page = logged_in(browser, live_server, "officer_v")

    page.goto(f"{live_server.url}/filings/new/")
    for name in ("micro_conduct_ok", "tech_conduct_ok"):
        assert not page.is_checked(f"input[name={name}]")  # never ticked in advance
    fields = {
        "enterprise_name": "北京亦庄异常名录科技有限公司", "iou_number": "JJ-V001",
        "contract_number": "HT-V001", "amount": "3000000.00", "rate_percent": "3.6",
        "drawdown_date": "2026-05-12", "maturity_date": "2027-05-11",
        "credit_report_outstanding": "1000000", "credit_report_date": "2026-05-08",
    }
    page.fill("input[name=credit_code]", make_credit_code(901))
    page.press("input[name=credit_code]", "Tab")
    page.wait_for_selector(".lookup-note")  # the enterprise part is refilled: fill in after it
    for name, value in fields.items():
        page.fill(f"input[name={name}]", value)
    page.select_option("select[name=kind]", "company")
    page.select_option("select[name=size]", "small")
    page.select_option("select[name=loan_type]", "credit")
    page.check("input[name=in_bda]")
    page.check("input[name=tech_scope]")
    # On the abnormal-operations list, no penalty: MICRO's conditions hold, TECH's do not.
    page.check("input[name=micro_conduct_ok]")
    page.check("input[name=first_loan]")
    page.wait_for_selector("#filing-verdict .verdict.small")
    page.wait_for_timeout(600)  # the live check waits 300 ms after the last change
    page.wait_for_load_state("networkidle")
    live = verdicts(page)
    shot(page, "01-live-check")
    assert ([r.split("：")[0] for r in live["小微企业贷款风险补偿"]]
            == [reason_label("NO_AGREEMENT")])
    assert ([r.split("：")[0] for r in live["科技创新类中小企业贷款风险补偿"]]
            == [reason_label("CONDUCT")])

    with page.expect_navigation():
        page.click("form.calc-form button[type=submit]")
    after = verdicts(page)
    shot(page, "02-after-submit")
    assert after == live
    summary = page.inner_text(".msg-error")
    assert reason_label("NO_AGREEMENT") in summary and "京技管发〔2025〕12号第二条" in summary
    assert reason_label("CONDUCT") in summary
    assert LoanFiling.objects.count() == 0
    context.close()


def test_the_calculator_judges_each_scheme_on_its_own_attestation(browser, live_server):
    bank = BankFactory()
    AgreementFactory(bank=bank, scheme="MICRO")
    AgreementFactory(bank=bank, scheme="TECH")
    officer_for(bank, "officer_c")
    context, page = logged_in(browser, live_server, "officer_c")
    page.goto(f"{live_server.url}/calculator/")
    for name in ("micro_conduct_ok", "tech_conduct_ok"):
        assert not page.is_checked(f"input[name={name}]")
    page.fill("input[name=credit_code]", make_credit_code(902))
    page.select_option("select[name=kind]", "company")
    page.select_option("select[name=size]", "small")
    page.select_option("select[name=loan_type]", "credit")
    for name, value in {"amount": "2000000.00", "rate_percent": "3.6",
                        "drawdown_date": "2026-05-12", "maturity_date": "2027-05-11",
                        "credit_report_outstanding": "1000000",
                        "credit_report_date": "2026-05-08"}.items():
        page.fill(f"input[name={name}]", value)
    page.check("input[name=in_bda]")  # never ticked in advance
    page.check("input[name=tech_scope]")
    # A major administrative penalty (MICRO Art. 5(2)), on no TECH list: TECH only, 50 %.
    page.check("input[name=tech_conduct_ok]")
    page.wait_for_selector("#calc-result .verdict")
    page.wait_for_timeout(900)  # the calculator waits 600 ms after the last change
    page.wait_for_load_state("networkidle")
    shot(page, "03-calculator")
    result = page.inner_text("#calc-result")
    assert "科技创新类中小企业贷款风险补偿" in result and "50%" in result
    assert reason_label("CONDUCT") in result and "京技管发〔2025〕12号第五条" in result
    context.close()
