"""The administrator's year-end journey in headless Chromium: the home screen's reminder that
December's LPR is due, its entry, then the successor of 京技管发〔2025〕12号 created from the
current version on 参数维护 and confirmed. Screenshots under
artifacts/screens/journeys/params-NN-<step>.png (test artefacts, not committed)."""

from datetime import date
from decimal import Decimal

import pytest

from fund.models import LprRate, PolicyVersion

from .conftest import patch_today
from .factories import UserFactory
from .test_journeys import Steps, confirmed, go, log_in, main_text, nav, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]

# A Tuesday after the 20th: December's LPR (published Monday the 21st) is due.
TODAY = date(2026, 12, 22)
NEW = "京技管发〔2026〕9号"


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    patch_today(monkeypatch, lambda: TODAY)


def test_admin_enters_the_lpr_and_creates_the_next_micro_version(browser, live_server):
    UserFactory(username="root_j", is_superuser=True, is_staff=True)
    steps = Steps("params")
    page = open_page(browser)
    log_in(page, live_server, "root_j")
    assert "本月LPR待录入" in main_text(page)
    steps.shot(page, "home-reminder")

    # The LPR: a typing error first (29 %), refused in Chinese, then the published figures.
    go(page, "#lpr-reminder >> text=录入本月LPR")
    page.fill("input[name=published_on]", "2026-12-21")
    page.fill("input[name=one_year_percent]", "29")
    page.fill("input[name=five_year_percent]", "3.50")
    confirmed(page, "main button:has-text('录入')", "确认录入该期LPR")
    assert "1年期LPR须大于0%且不超过10%" in main_text(page)
    steps.shot(page, "lpr-refused")
    page.fill("input[name=one_year_percent]", "3.00")
    confirmed(page, "main button:has-text('录入')", "确认录入该期LPR")
    assert "已录入2026-12-21公布的LPR" in main_text(page)
    steps.shot(page, "lpr-list")
    assert LprRate.objects.filter(published_on=date(2026, 12, 21),
                                  one_year_percent=Decimal("3.00")).exists()

    # The successor, from the current version's figures.
    nav(page, "参数维护")
    go(page, "main >> text=政策参数版本")
    steps.shot(page, "versions")
    old = PolicyVersion.objects.get(version="京技管发〔2025〕12号")
    go(page, f"main a[href='/params/versions/{old.pk}/succeed/']")
    assert page.input_value("input[name=valid_from]") == "2027-01-01"
    assert page.input_value("input[name=amount_cap]") == "10000000.00"
    assert page.input_value("input[name=valid_to]") == ""
    page.fill("input[name=version]", NEW)
    page.fill("input[name=valid_to]", "2029-12-31")
    page.fill("input[name=amount_cap]", "8000000.00")
    page.fill("input[name=base_ratio]", "0.35")
    page.fill("input[name=article_AMOUNT_CAP]", "第五条第（三）项")
    steps.shot(page, "successor-form")
    # The confirmation is a required tick, then the browser's dialog.
    assert page.locator("input[name=confirm]").get_attribute("required") is not None
    page.check("input[name=confirm]")
    confirmed(page, "main button:has-text('保存政策版本')", "一经备案采用即不能修改或删除")
    text = main_text(page)
    assert f"已新建政策版本{NEW}（2027-01-01至2029-12-31）" in text
    assert "¥8,000,000.00" in text and "35%" in text and f"{NEW}第五条第（三）项" in text
    steps.shot(page, "successor-detail")
    new = PolicyVersion.objects.get(version=NEW)
    assert (new.valid_from, new.amount_cap, new.base_ratio) == (
        date(2027, 1, 1), Decimal("8000000.00"), Decimal("0.3500"))
    assert new.outstanding_cap == old.outstanding_cap
