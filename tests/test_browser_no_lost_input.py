"""In headless Chromium: typing the credit code of a known enterprise after filling part of the
enterprise fields keeps what was typed and fills only the rest; the page raises no console
error. Screenshots go to artifacts/screens/no-lost-input/."""

from pathlib import Path

import pytest

from .conftest import patch_today
from .factories import EnterpriseFactory, FilingFactory, officer_for
from .test_browser_filing_verdicts import TODAY, logged_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]

SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screens" / "no-lost-input"
LONG_NAME = "北京经济技术开发区亦庄新城高端装备智能制造与工业互联网创新应用科技有限公司"


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    patch_today(monkeypatch, lambda: TODAY)


def test_the_lookup_keeps_what_the_officer_typed(browser, live_server):
    from .factories import BankFactory

    bank = BankFactory(name="甲银行经开区支行", short_name="甲银行")
    officer = officer_for(bank, "officer_l")
    known = EnterpriseFactory(name="北京亦庄老客户有限公司", size="medium", kind="company")
    FilingFactory(bank=bank, enterprise=known, filed_by=officer)
    context, page = logged_in(browser, live_server, "officer_l")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/filings/new/")
    assert page.input_value("select[name=size]") == ""
    assert page.input_value("select[name=kind]") == ""
    assert not page.is_checked("input[name=in_bda]")
    page.fill("input[name=enterprise_name]", LONG_NAME)
    page.select_option("select[name=size]", "small")
    page.check("input[name=in_bda]")
    page.fill("input[name=credit_code]", known.credit_code)
    page.press("input[name=credit_code]", "Tab")
    page.wait_for_selector(".lookup-note")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "01-after-lookup.png"), full_page=True)
    assert page.input_value("input[name=enterprise_name]") == LONG_NAME
    assert page.input_value("select[name=size]") == "small"
    assert page.input_value("select[name=kind]") == "company"  # was empty: filled
    assert page.is_checked("input[name=in_bda]")
    for name in ("micro_conduct_ok", "tech_conduct_ok"):
        assert not page.is_checked(f"input[name={name}]")
    # The live check looks again at the filled fields: no longer asks for the kind.
    page.wait_for_function(
        "!document.querySelector('#filing-verdict').innerText.includes('请选择主体类型')")
    assert errors == []
    context.close()
