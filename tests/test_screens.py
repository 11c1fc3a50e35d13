"""The screens shell: login, role homes, language, lists with search/filter/sort/pagination."""

from decimal import Decimal

import pytest
from django.urls import reverse

from riskcomp.templatetags.portal import cny, pct

from .conftest import client_for
from .factories import FilingFactory


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("1234567.891"), "¥1,234,567.89"),
    (Decimal("0.005"), "¥0.01"),
    (Decimal("-1000"), "-¥1,000.00"),
    (Decimal("999"), "¥999.00"),
    (None, "—"),
])
def test_cny_is_shown_with_thousands_separators(value, shown):
    assert cny(value) == shown


def test_ratio_shown_as_percent():
    assert pct(Decimal("0.4000")) == "40%"
    assert pct(Decimal("0.2500")) == "25%"
    assert pct(Decimal("0.0981636848420719880395908")) == "9.82%"


@pytest.mark.django_db
def test_login_with_password_reaches_the_role_home(client, officer_a):
    response = client.post(reverse("login"), {"username": "officer_a",
                                              "password": "Secret-pass-123"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "银行经办工作台" in page
    assert "甲银行经开区支行" in page


@pytest.mark.django_db
def test_wrong_password_is_refused_in_chinese(client, officer_a):
    response = client.post(reverse("login"), {"username": "officer_a", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("fixture", "heading"), [
    ("officer_a", "银行经办工作台"),
    ("reviewer", "托管机构工作台"),
    ("approver", "财政国资局确认工作台"),
    ("auditor", "审计查询"),
    ("admin_user_", "托管机构工作台"),
])
def test_each_role_has_its_own_home(request, fixture, heading):
    page = client_for(request.getfixturevalue(fixture)).get(reverse("home")).content.decode()
    assert heading in page
    assert 'lang="zh-CN"' in page


@pytest.mark.django_db
def test_language_switch_to_english(officer_a):
    client = client_for(officer_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("home")).content.decode()
    assert 'lang="en"' in page
    assert "Filings" in page  # the navigation, translated


@pytest.mark.django_db
def test_logout_and_password_change(officer_a):
    client = client_for(officer_a)
    response = client.post(reverse("password_change"), {
        "old_password": "Secret-pass-123", "new_password1": "Another-pass-456",
        "new_password2": "Another-pass-456"})
    assert response.status_code == 302
    officer_a.refresh_from_db()
    assert officer_a.check_password("Another-pass-456")
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_filing_list_search_filter_sort_and_paginate(bank_a, officer_a):
    for i in range(30):
        FilingFactory(bank=bank_a, filed_by=officer_a, iou_number=f"IOU{i:03d}",
                      scheme="TECH" if i % 3 == 0 else "MICRO",
                      ratio=Decimal("0.50") if i % 3 == 0 else Decimal("0.30"),
                      amount=Decimal(1000 + i), amount_cny=Decimal(1000 + i))
    client = client_for(officer_a)
    url = reverse("loans:filing_list")
    page1 = client.get(url, {"sort": "-amount"}).content.decode()
    assert "共 30 条" in page1
    assert "IOU029" in page1 and "IOU000" not in page1  # 25 a page, largest first
    assert "第 1 / 2 页" in page1
    page2 = client.get(url, {"sort": "-amount", "page": 2}).content.decode()
    assert "IOU000" in page2
    tech = client.get(url, {"scheme": "TECH"}).content.decode()
    assert "共 10 条" in tech
    one = client.get(url, {"q": "IOU017"}).content.decode()
    assert "共 1 条" in one
    # An unknown filter value or sort key is ignored, not passed to the database.
    assert client.get(url, {"scheme": "X'; DROP", "sort": "password"}).status_code == 200


@pytest.mark.django_db
def test_filing_list_query_count_is_the_same_at_10_and_100_rows(bank_a, officer_a,
                                                                django_assert_max_num_queries):
    client = client_for(officer_a)
    url = reverse("loans:filing_list")
    FilingFactory.create_batch(10, bank=bank_a, filed_by=officer_a)
    with django_assert_max_num_queries(12) as ten:
        client.get(url, {"per_page": 100})
    FilingFactory.create_batch(90, bank=bank_a, filed_by=officer_a)
    with django_assert_max_num_queries(len(ten.captured_queries)) as hundred:
        page = client.get(url, {"per_page": 100})
    assert "共 100 条" in page.content.decode()
    assert len(hundred.captured_queries) == len(ten.captured_queries)


@pytest.mark.django_db
def test_static_assets_are_served_locally(client):
    page = client.get(reverse("login")).content.decode()
    assert "/static/css/portal.css" in page
    assert "https://" not in page and "http://" not in page.replace("http://testserver", "")
    assert client.get("/static/css/portal.css").status_code == 200
    assert client.get("/static/django_htmx/htmx-2.min.js").status_code == 200


@pytest.mark.django_db
def test_bank_home_shows_filing_window_and_distance_to_thresholds(bank_a, officer_a,
                                                                   monkeypatch):
    from datetime import date

    from django.utils import timezone

    from banks.models import SuspensionState

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 10, 9))
    SuspensionState.objects.create(
        bank=bank_a, scheme="MICRO", filed_principal=Decimal("100000000.00"),
        claimed_principal=Decimal("2500000.00"), net_compensation=Decimal("4000000.00"))
    page = client_for(officer_a).get(reverse("home")).content.decode()
    assert "2026年第三季度放款" in page and "2026-10-27" in page and "剩余 13 个工作日" in page
    assert "待2027年节假日安排公布后确定" in page  # the Q4 deadline falls in 2027
    assert "CALENDAR_UNKNOWN" not in page
    assert "2.5%" in page  # claimed / filed
    assert "尚余 ¥1,000,000.00" in page  # 5,000,000 − 4,000,000 net compensation
    assert "尚余 ¥500,000.00" in page  # 3% of 100,000,000 − 2,500,000 claimed


@pytest.mark.django_db
def test_reviewer_home_asks_for_next_years_holiday_schedule_in_november(
        reviewer, approver, admin_user_, monkeypatch):
    from datetime import date

    from django.utils import timezone

    from fund.models import CalendarDay, CalendarYear

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 11, 26))
    page = client_for(reviewer).get(reverse("home")).content.decode()
    assert "节假日安排待录入" in page and "2027 年的法定节假日" in page
    entry = reverse("calendar:year", args=[2027])
    assert entry not in page  # only the administrator maintains it
    assert entry in client_for(admin_user_).get(reverse("home")).content.decode()
    assert "节假日安排待录入" not in client_for(approver).get(reverse("home")).content.decode()
    # A year registered without its days is not known: the reminder stays.
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕7号")
    assert "节假日安排待录入" in client_for(reviewer).get(reverse("home")).content.decode()
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert "节假日安排待录入" not in client_for(reviewer).get(reverse("home")).content.decode()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 6, 1))
    CalendarYear.objects.all().delete()
    assert "节假日安排待录入" not in client_for(reviewer).get(reverse("home")).content.decode()
