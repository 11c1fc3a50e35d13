"""The administrator enters the 2027 holiday schedule in headless Chromium, on 6 January 2027,
with a recovery of late December whose deadlines were stored empty: the home screen asks for
the year, the schedule is typed in, previewed as twelve months with the deadlines it will set,
saved; the bank then sees its deadlines and, once the return deadline has passed, the overdue
return. Screenshots go to artifacts/screens/journeys/calendar-NN-<step>.png.

The schedule typed is a plausible test schedule, not the official one."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from claims import services as claim_services
from claims.models import Claim, Payment, Recovery
from fund.models import CalendarDay, CalendarYear
from loans.models import LoanFiling
from notifications.models import Notification
from notifications.tasks import notify_overdue_returns

from .conftest import patch_today
from .factories import BankFactory, ClaimFactory, FilingFactory, UserFactory, officer_for
from .test_journeys import Steps, go, log_in, main_text, nav, open_page
from .test_policy_holidays import HOLIDAYS_2027, MAKEUPS_2027

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("reference_data")]

CLOCK = {"today": date(2027, 1, 6)}


@pytest.fixture(autouse=True)
def _today(monkeypatch):  # type: ignore[no-untyped-def]
    """The portal's clock runs from CLOCK["today"] (which the journey moves on) at the real
    time of day; the live server's thread reads the same patched functions."""
    CLOCK["today"] = date(2027, 1, 6)
    patch_today(monkeypatch, lambda: CLOCK["today"])


def test_administrator_enters_the_2027_holiday_schedule(live_server, browser):
    bank = BankFactory(name="甲银行经开区支行", short_name="甲银行")
    officer = officer_for(bank, "bank_officer")
    reviewer = UserFactory(username="reviewer", role=Role.REVIEWER.value)
    UserFactory(username="admin", is_superuser=True, is_staff=True)
    filing = FilingFactory(bank=bank, filed_by=officer, status=LoanFiling.Status.CLAIMED)
    claim = ClaimFactory(filing=filing, status=Claim.Status.PAID)
    Payment.objects.create(claim=claim, amount=claim.compensation, paid_on=date(2026, 10, 20),
                           reference="PAY-J1", paid_by=reviewer)
    recovery = claim_services.recovery_report(
        claim=claim, recovered_on=date(2026, 12, 21), notified_on=date(2026, 12, 29),
        amount=Decimal("100000.00"), actor=officer)
    assert recovery.return_deadline is None  # 2027 unknown when it was reported
    steps = Steps("calendar")

    admin = open_page(browser)
    log_in(admin, live_server, "admin")
    assert "2027 年的法定节假日和调休安排尚未录入" in main_text(admin)
    steps.shot(admin, "home-asks-for-2027")
    nav(admin, "节假日安排")
    go(admin, "main >> text=录入2027年节假日安排")
    assert "该年度的安排尚未录入" in main_text(admin)
    assert admin.input_value("input[name=source]") == "国务院办公厅关于2027年部分节假日安排的通知"
    admin.fill("input[name=source]", "国务院办公厅关于2027年部分节假日安排的通知（测试用安排）")
    admin.fill("textarea[name=holidays]", HOLIDAYS_2027)
    admin.fill("textarea[name=makeup_days]", "2027-02-20 春节调休\n2027-02-22 写错的日期")
    go(admin, "#schedule-form button[type=submit]")
    text = main_text(admin)
    assert "调休上班日须为周六或周日" in text and "保存后将重新计算的期限" not in text
    steps.shot(admin, "a-weekday-refused")

    admin.fill("textarea[name=makeup_days]", MAKEUPS_2027)
    go(admin, "#schedule-form button[type=submit]")
    text = main_text(admin)
    assert "共 2 项已存储的期限将改变，涉及 1 家银行" in text
    assert "2027-01-13" in text and "2027-01-19" in text
    assert admin.locator("td.cal-holiday").count() == 27
    assert admin.locator("td.cal-makeup").count() == 3
    assert not CalendarYear.objects.exists()  # nothing saved by the preview
    steps.shot(admin, "preview")
    go(admin, "#save-form button[type=submit]")
    assert "已保存2027年节假日安排；2项已存储的期限重新计算" in main_text(admin)
    steps.shot(admin, "saved")
    assert CalendarYear.objects.get(year=2027).source.endswith("（测试用安排）")
    assert CalendarDay.objects.filter(date__year=2027).count() == 30
    recovery.refresh_from_db()
    assert (recovery.notice_deadline, recovery.return_deadline) == (date(2027, 1, 19),
                                                                   date(2027, 1, 13))

    bank_page = open_page(browser)
    log_in(bank_page, live_server, "bank_officer")
    assert Notification.objects.filter(recipient=officer,
                                       kind=Notification.Kind.DEADLINE).exists()
    bank_page.goto(f"{live_server.url}{reverse('claims:recovery_list')}")
    text = bank_page.inner_text("table.data")
    assert "2027-01-13" in text and "2027-01-19" in text and "逾期未返还" not in text
    steps.shot(bank_page, "bank-sees-its-deadlines")

    # A week later the return deadline has passed and nothing was returned.
    CLOCK["today"] = date(2027, 1, 14)
    bank_page = open_page(browser)  # a new day, a new session
    log_in(bank_page, live_server, "bank_officer")
    bank_page.goto(f"{live_server.url}{reverse('claims:recovery_list')}")
    assert "逾期未返还" in bank_page.inner_text("table.data")
    steps.shot(bank_page, "return-overdue")
    assert notify_overdue_returns.delay().get() == 2  # the officer and the reviewer
    assert Recovery.objects.get(pk=recovery.pk).return_deadline == date(2027, 1, 13)
