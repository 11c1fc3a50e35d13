"""Entering a year's holiday schedule (参数维护 → 节假日安排): one screen, the year and its days
saved together, a preview of the stored deadlines it changes, and the deadlines caught up, then
flagged and notified as usual. While a year is unknown, screens say which year a deadline
waits for, and the claims queue keeps a least age."""

from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from claims import services as claim_services
from claims.models import Claim, Recovery
from claims.payment.selectors import recovery_list_for
from fund import calendar_services
from fund.calendar_services import calendar_year_enter
from fund.models import CalendarDay, CalendarYear
from fund.selectors import policy_context
from loans.models import LoanFiling
from notifications.models import Notification
from notifications.services import overdue_returns_notify
from riskcomp.policy.holidays import parse_schedule

from .conftest import client_for
from .factories import ClaimFactory, FilingFactory
from .test_claims_bank import paid_claim
from .test_policy_holidays import HOLIDAYS_2027, MAKEUPS_2027
from .test_translations import _chinese_outside_data, _in_english, compiled_locale, english  # noqa: F401

SOURCE = "国务院办公厅关于2027年部分节假日安排的通知（测试用安排）"
URL_2027 = reverse("calendar:year", args=[2027])


def fake_today(monkeypatch, day: date) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: day)


def schedule_2027():  # type: ignore[no-untyped-def]
    return parse_schedule(2027, HOLIDAYS_2027, MAKEUPS_2027)


def late_december_recovery(bank, officer, payer, monkeypatch) -> Recovery:  # type: ignore[no-untyped-def]
    """Recovered 21 December 2026, notified 29 December, with 2027 unknown."""
    fake_today(monkeypatch, date(2026, 12, 29))
    claim = paid_claim(bank, officer, payer)
    return claim_services.recovery_report(claim=claim, recovered_on=date(2026, 12, 21),
                                          amount=Decimal("1000.00"), actor=officer)


def q4_filing(bank, officer, *, stored: str | None) -> LoanFiling:  # type: ignore[no-untyped-def]
    """A loan drawn in the fourth quarter of 2026, its filing deadline recorded as ``stored``."""
    return FilingFactory.create(bank=bank, filed_by=officer, drawdown_date=date(2026, 11, 10),
                         quarter="2026Q4", filed_on=date(2026, 11, 20),
                         snapshot={"scheme": "MICRO", "filing_deadline": stored,
                                   "loan": {"drawdown_date": "2026-11-10"}})


# --- The service ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_entering_2027_catches_up_the_deadlines_stored_empty_and_the_return_then_is_overdue(
        bank_a, officer_a, reviewer, admin_user_, monkeypatch):
    recovery = late_december_recovery(bank_a, officer_a, reviewer, monkeypatch)
    assert recovery.notice_deadline is None and recovery.return_deadline is None
    filing = q4_filing(bank_a, officer_a, stored=None)
    fake_today(monkeypatch, date(2027, 1, 14))
    assert not recovery_list_for(user=reviewer).get(pk=recovery.pk).is_overdue
    assert overdue_returns_notify(today=date(2027, 1, 14)) == 0

    done = calendar_year_enter(schedule=schedule_2027(), source=SOURCE,
                               override_confirmed=False, actor=admin_user_)

    recovery.refresh_from_db()
    # 20 working days after 21 December 2026 and 10 after 29 December, 1 January off.
    assert recovery.notice_deadline == date(2027, 1, 19)
    assert recovery.return_deadline == date(2027, 1, 13)
    filing.refresh_from_db()
    assert filing.snapshot["filing_deadline"] == "2027-01-22"
    assert {(c.field, c.before, c.after) for c in done.changes} == {
        ("notice_deadline", None, date(2027, 1, 19)),
        ("return_deadline", None, date(2027, 1, 13)),
        ("filing_deadline", None, date(2027, 1, 22)),
    }
    # The year counts as known with its days, registered in the same step.
    entry = CalendarYear.objects.get(year=2027)
    assert entry.source == SOURCE and entry.entered_by == admin_user_
    assert CalendarDay.objects.filter(date__year=2027, is_workday=False).count() == 27
    assert CalendarDay.objects.filter(date__year=2027, is_workday=True).count() == 3
    assert 2027 in policy_context().calendar.known_years
    # After the new return deadline, nothing returned: flagged, and the nightly job tells.
    row = recovery_list_for(user=reviewer).get(pk=recovery.pk)
    assert row.is_overdue
    assert overdue_returns_notify(today=date(2027, 1, 14)) == 2  # the officer and the reviewer
    assert set(Notification.objects.filter(kind=Notification.Kind.RETURN_OVERDUE)
               .values_list("recipient__username", flat=True)) == {"officer_a", "reviewer"}


@pytest.mark.django_db
def test_each_recomputed_deadline_is_audited_and_the_bank_told(
        bank_a, bank_b, officer_a, officer_b, reviewer, admin_user_, monkeypatch):
    recovery = late_december_recovery(bank_a, officer_a, reviewer, monkeypatch)
    filing = q4_filing(bank_a, officer_a, stored="2027-01-21")  # weekend rule, wrong
    right = q4_filing(bank_b, officer_b, stored="2027-01-22")  # already right: untouched
    calendar_year_enter(schedule=schedule_2027(), source=SOURCE, override_confirmed=False,
                        actor=admin_user_)

    entries = LogEntry.objects.get_for_object(recovery).filter(action=LogEntry.Action.UPDATE)
    (entry,) = entries
    assert entry.changes_dict == {"notice_deadline": ["None", "2027-01-19"],
                                  "return_deadline": ["None", "2027-01-13"]}
    assert entry.actor == admin_user_
    assert "2027年节假日安排" in entry.additional_data["reason"]
    (filing_entry,) = LogEntry.objects.get_for_object(filing).filter(
        action=LogEntry.Action.UPDATE)
    assert filing_entry.changes_dict == {"snapshot": ["2027-01-21", "2027-01-22"]}
    assert not LogEntry.objects.get_for_object(right).filter(
        action=LogEntry.Action.UPDATE).exists()
    assert LogEntry.objects.get_for_object(CalendarYear.objects.get(year=2027)).exists()

    (told,) = Notification.objects.filter(kind=Notification.Kind.DEADLINE)
    assert told.recipient == officer_a  # bank B had nothing changed
    assert told.title == "2027年节假日安排已录入：本行 3 项期限已确定"
    assert "备案截止日：2027-01-21 → 2027-01-22" in told.body
    assert "返还截止日：待定 → 2027-01-13" in told.body


@pytest.mark.django_db
def test_the_year_and_its_days_are_saved_together_or_not_at_all(
        bank_a, officer_a, reviewer, admin_user_, monkeypatch):
    recovery = late_december_recovery(bank_a, officer_a, reviewer, monkeypatch)

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("recompute failed")

    monkeypatch.setattr(calendar_services, "deadline_changes", broken)
    with pytest.raises(RuntimeError):
        calendar_year_enter(schedule=schedule_2027(), source=SOURCE, override_confirmed=False,
                            actor=admin_user_)
    assert not CalendarYear.objects.exists() and not CalendarDay.objects.exists()
    recovery.refresh_from_db()
    assert recovery.return_deadline is None


@pytest.mark.django_db
def test_a_year_registered_without_its_days_is_not_known(bank_a, officer_a):
    # The admin path used to allow it, and banks saw the weekend rule's 21 January.
    CalendarYear.objects.create(year=2027, source=SOURCE)
    assert 2027 not in policy_context().calendar.known_years
    CalendarDay.objects.create(date=date(2027, 1, 1), is_workday=False, note="元旦")
    assert 2027 in policy_context().calendar.known_years


@pytest.mark.django_db
@pytest.mark.parametrize(("source", "code"), [("", "source_missing"), ("文" * 201,
                                                                        "source_too_long")])
def test_a_schedule_without_its_source_is_refused(admin_user_, source, code):
    with pytest.raises(ValidationError) as exc:
        calendar_year_enter(schedule=schedule_2027(), source=source, override_confirmed=False,
                            actor=admin_user_)
    assert [e.code for e in exc.value.error_dict["source"]] == [code]
    assert not CalendarYear.objects.exists() and not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_replacing_a_year_the_package_knows_needs_confirmation(admin_user_):
    # 2026 entered by hand with National Day ending on the 6th: the 7th becomes a working day.
    schedule = parse_schedule(2026, "元旦 2026-01-01~2026-01-03\n国庆节 2026-10-01~2026-10-06",
                              "")
    with pytest.raises(ValidationError) as exc:
        calendar_year_enter(schedule=schedule, source="更正通知", override_confirmed=False,
                            actor=admin_user_)
    assert [e.code for e in exc.value.error_dict["override_confirmed"]] == [
        "override_unconfirmed"]
    assert not CalendarYear.objects.exists()
    assert policy_context().calendar.is_workday(date(2026, 10, 7)) is False
    calendar_year_enter(schedule=schedule, source="更正通知", override_confirmed=True,
                        actor=admin_user_)
    assert policy_context().calendar.is_workday(date(2026, 10, 7)) is True


@pytest.mark.django_db
def test_entering_a_year_again_replaces_its_days(admin_user_):
    calendar_year_enter(schedule=schedule_2027(), source=SOURCE, override_confirmed=False,
                        actor=admin_user_)
    smaller = parse_schedule(2027, "元旦 2027-01-01\n春节 2027-02-08~2027-02-12", "")
    calendar_year_enter(schedule=smaller, source=SOURCE + "（更正）", override_confirmed=False,
                        actor=admin_user_)
    assert set(CalendarDay.objects.filter(date__year=2027).values_list("date", flat=True)) == \
        set(smaller.overrides())
    assert CalendarYear.objects.get(year=2027).source.endswith("（更正）")


# --- The screens ------------------------------------------------------------------------------

FORM = {"source": SOURCE, "holidays": HOLIDAYS_2027, "makeup_days": MAKEUPS_2027}


@pytest.mark.django_db
def test_only_the_administrator_enters_a_schedule(reviewer, approver, officer_a, admin_user_):
    for user in (reviewer, approver, officer_a):
        c = client_for(user)
        assert c.get(reverse("calendar:list")).status_code == 403
        assert c.post(URL_2027, {**FORM, "action": "save"}).status_code == 403
    page = client_for(admin_user_).get(reverse("calendar:list")).content.decode()
    assert "节假日安排" in page and "2004年至2026年的安排平台已内置" in page
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_the_admin_site_no_longer_registers_a_year_or_changes_a_day(admin_user_):
    c = client_for(admin_user_)
    assert c.get(reverse("admin:fund_calendaryear_add")).status_code == 403
    assert c.post(reverse("admin:fund_calendaryear_add"),
                  {"year": 2027, "source": SOURCE}).status_code == 403
    assert c.get(reverse("admin:fund_calendarday_add")).status_code == 403
    assert not CalendarYear.objects.exists()


@pytest.mark.django_db
def test_preview_shows_the_calendar_and_what_will_change_then_save_applies_it(
        bank_a, officer_a, reviewer, admin_user_, monkeypatch):
    recovery = late_december_recovery(bank_a, officer_a, reviewer, monkeypatch)
    c = client_for(admin_user_)
    page = c.get(URL_2027).content.decode()
    assert "国务院办公厅关于2027年部分节假日安排的通知" in page  # the source, prefilled
    assert "该年度的安排尚未录入" in page

    response = c.post(URL_2027, {**FORM, "action": "preview"})
    page = response.content.decode()
    assert "保存后将重新计算的期限" in page
    assert "共 2 项已存储的期限将改变，涉及 1 家银行" in page
    assert "2027-01-13" in page and "2027-01-19" in page and "待定" in page
    assert 'data-date="2027-02-20"' in page and "cal-makeup" in page  # the twelve months
    assert not CalendarYear.objects.exists() and not CalendarDay.objects.exists()
    recovery.refresh_from_db()
    assert recovery.return_deadline is None  # a preview writes nothing

    previewed = response.context["previewed"]
    assert 'id="save-form"' in page and previewed["holidays"] == HOLIDAYS_2027
    # Saving other content than was previewed shows the preview again, saving nothing.
    changed = c.post(URL_2027, {**previewed, "makeup_days": "", "action": "save"})
    assert changed.status_code == 200 and "内容与预览不一致" in changed.content.decode()
    assert not CalendarYear.objects.exists()
    # The browser sends a hidden field's line ends as LF, the textarea's as CRLF: the same.
    crlf = {**previewed, "holidays": previewed["holidays"].replace("\n", "\r\n")}
    saved = c.post(URL_2027, {**crlf, "action": "save"}, follow=True)
    assert "已保存2027年节假日安排；2项已存储的期限重新计算" in saved.content.decode()
    recovery.refresh_from_db()
    assert recovery.return_deadline == date(2027, 1, 13)
    assert CalendarYear.objects.get(year=2027).entered_by == admin_user_
    # Opened again, the year shows as entered, its text as saved.
    again = c.get(URL_2027)
    assert again.context["form"].initial["holidays"].startswith("元旦 2027-01-01~2027-01-03")
    assert "已录入，依据：" in again.content.decode()


@pytest.mark.django_db
def test_a_wrong_schedule_is_explained_in_chinese_and_saves_nothing(admin_user_):
    response = client_for(admin_user_).post(URL_2027, {
        **FORM, "makeup_days": "2027-01-04 调休\n2027-01-02", "action": "save"})
    page = response.content.decode()
    assert "调休上班日须为周六或周日" in page
    assert "2027-01-02不能既是假期“元旦”又是调休上班日" in page
    assert "保存后将重新计算的期限" not in page
    assert not CalendarYear.objects.exists() and not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_overriding_a_known_year_warns_and_needs_the_box_ticked(admin_user_):
    c = client_for(admin_user_)
    url = reverse("calendar:year", args=[2026])
    form = {"source": "更正通知", "holidays": "元旦 2026-01-01~2026-01-03", "makeup_days": ""}
    page = c.get(url).content.decode()
    assert "该年度已有内置安排" in page and "确认以录入的安排替代平台内置的该年度安排" in page
    preview = c.post(url, {**form, "action": "preview"})
    assert "录入的安排与内置安排有" in preview.content.decode()
    refused = c.post(url, {**preview.context["previewed"], "action": "save"}).content.decode()
    assert "请勾选确认" in refused
    assert not CalendarYear.objects.exists()
    ticked = c.post(url, {**form, "override_confirmed": "on", "action": "preview"})
    assert ticked.context["previewed"]["override_confirmed"] == "on"
    assert c.post(url, {**ticked.context["previewed"], "action": "save"}).status_code == 302
    assert CalendarYear.objects.filter(year=2026).exists()


@pytest.mark.django_db
def test_a_year_outside_the_range_is_not_found(admin_user_):
    assert client_for(admin_user_).get(reverse("calendar:year", args=[1999])).status_code == 404
    response = client_for(admin_user_).get(reverse("calendar:list"), {"year": "abc"})
    assert "请输入2004至2099之间的年份" in response.content.decode()


# --- While a year is unknown -----------------------------------------------------------------

@pytest.mark.django_db
def test_screens_say_which_years_schedule_a_deadline_waits_for(
        bank_a, officer_a, reviewer, admin_user_, monkeypatch):
    recovery = late_december_recovery(bank_a, officer_a, reviewer, monkeypatch)
    filing = q4_filing(bank_a, officer_a, stored=None)
    pages = [
        client_for(officer_a).get(reverse("claims:recovery_list")),
        client_for(officer_a).get(reverse("claims:claim_detail", args=[recovery.claim_id])),
        client_for(reviewer).get(reverse("claims:return_list")),
        client_for(officer_a).get(reverse("loans:filing_detail", args=[filing.pk])),
    ]
    for response in pages:
        page = response.content.decode()
        assert response.status_code == 200
        assert "待2027年节假日安排公布后确定" in page, response.request["PATH_INFO"]
        assert "CALENDAR_UNKNOWN" not in page, response.request["PATH_INFO"]
    calendar_year_enter(schedule=schedule_2027(), source=SOURCE, override_confirmed=False,
                        actor=admin_user_)
    page = client_for(officer_a).get(reverse("claims:recovery_list")).content.decode()
    assert "2027-01-13" in page and "待2027年节假日安排公布后确定" not in page


@pytest.mark.django_db
def test_the_queue_keeps_each_age_as_a_lower_bound_while_a_year_is_unknown(
        bank_a, officer_a, reviewer, admin_user_, monkeypatch):
    old = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a),
                       submitted_at=timezone.make_aware(datetime.combine(date(2026, 12, 1),
                                                                         time(10))))
    fresh = ClaimFactory(filing=FilingFactory(bank=bank_a, filed_by=officer_a),
                         submitted_at=timezone.make_aware(datetime.combine(date(2026, 12, 29),
                                                                           time(10))))
    fake_today(monkeypatch, date(2027, 1, 6))
    response = client_for(reviewer).get(reverse("claims:review_queue"), {"sort": "-age"})
    page = response.content.decode()
    rows = response.context["listing"].page.object_list
    assert [c.pk for c in rows] == [old.pk, fresh.pk]  # oldest first, by the least ages
    assert [c.review_age for c in rows] == [22, 2]
    assert rows[0].age_alert and not rows[1].age_alert
    assert [c.age_pending_year for c in rows] == [2027, 2027]
    assert "≥ 22" in page and "待2027年节假日安排公布后确定" in page
    assert 'class="overdue"' in page
    assert "CALENDAR_UNKNOWN" not in page
    export = client_for(reviewer).get(reverse("claims:review_queue"),
                                      {"sort": "-age", "export": "xlsx"})
    sheet = openpyxl.load_workbook(BytesIO(export.content)).active
    rows_x = list(sheet.iter_rows(values_only=True))
    assert rows_x[0][9:11] == ("审核时长（工作日）", "审核时长说明")
    note = "至少为该数，待2027年节假日安排公布后确定"
    assert [r[9:11] for r in rows_x[1:]] == [(22, note), (2, note)]
    review = client_for(reviewer).get(reverse("claims:review", args=[old.pk])).content.decode()
    head = review.split('class="claim-actions"')[0]  # the age, above the decision form
    assert "≥ 22 个工作日" in head and "待2027年节假日安排公布后确定" in head
    assert "CALENDAR_UNKNOWN" not in head
    # With 2027 entered (1 January off) the ages are exact: 25 and 5.
    calendar_year_enter(schedule=schedule_2027(), source=SOURCE, override_confirmed=False,
                        actor=admin_user_)
    rows = client_for(reviewer).get(reverse("claims:review_queue")).context[
        "listing"].page.object_list
    assert [(c.review_age, c.age_pending_year) for c in rows] == [(25, None), (5, None)]
    assert Claim.objects.count() == 2


@pytest.mark.django_db
def test_a_recovery_reported_in_an_unknown_year_says_so_in_words(
        bank_a, officer_a, reviewer, monkeypatch):
    fake_today(monkeypatch, date(2026, 12, 29))
    claim = paid_claim(bank_a, officer_a, reviewer)
    response = client_for(officer_a).post(
        reverse("claims:recovery_create", args=[claim.pk]),
        {"recovered_on": "2026-12-21", "amount": "1000.00"}, follow=True)
    page = response.content.decode()
    assert "期限待2027年节假日安排公布后确定" in page
    assert "CALENDAR_UNKNOWN" not in page


@pytest.mark.django_db
def test_the_schedule_screens_are_english(admin_user_, english):  # noqa: F811
    names = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节、国庆节", "春节调休",
             "劳动节调休", "国庆节调休")
    data = (SOURCE, *HOLIDAYS_2027.splitlines(), *MAKEUPS_2027.splitlines(), *names)
    c = _in_english(client_for(admin_user_))
    pages = [c.get(reverse("calendar:list")), c.get(URL_2027),
             c.post(URL_2027, {**FORM, "action": "preview"}),
             c.post(URL_2027, {**FORM, "makeup_days": "2027-01-04", "action": "preview"}),
             c.get(reverse("calendar:year", args=[2026]))]
    for response in pages:
        html = response.content.decode()
        assert '<html lang="en">' in html
        found = _chinese_outside_data(html, data)
        assert not found, found
    assert "Deadlines recomputed on saving" in pages[2].content.decode()


def test_the_apps_above_the_fund_register_their_deadlines_and_notifier() -> None:
    from claims.recovery_deadlines import RECOVERY_DEADLINES
    from fund.calendar_hooks import deadline_notifiers, deadline_sources
    from loans.calendar_deadlines import FILING_DEADLINES
    from notifications.receivers import on_deadlines_recomputed

    # Filings first, then recoveries: the preview's order.
    assert deadline_sources() == (FILING_DEADLINES, RECOVERY_DEADLINES)
    assert deadline_notifiers() == (on_deadlines_recomputed,)
