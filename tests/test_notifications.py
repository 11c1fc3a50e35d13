"""Notifications: who is told about which event (and no one else), once per event, in the
event's transaction and mailed after it commits; the bell's count and the user's own list."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from banks.models import SuspensionChange
from banks.services import suspension_manual_lift, suspension_manual_set
from claims.common.services import locked_claim, transition
from claims.models import Claim, Payment, Recovery, ReturnPayment
from notifications import services as notify_services
from notifications.context_processors import unread
from notifications.models import Notification
from notifications.tasks import (
    notify_filing_windows,
    notify_overdue_returns,
    notify_suspension_changes,
)

from .conftest import client_for
from .factories import BankFactory, ClaimFactory, FilingFactory, UserFactory, officer_for

S = Claim.Status
Kind = Notification.Kind


@pytest.fixture
def people(bank_a, bank_b, officer_a, officer_b, reviewer, approver, auditor):  # type: ignore[no-untyped-def]
    """Two officers of bank A (one with a mail address), one of bank B, two reviewers, an
    approver, an auditor and an officer without any bank."""
    officer_a.email = "a@bank-a.example"
    officer_a.save(update_fields=["email"])
    return {
        "officer_a": officer_a,
        "officer_a2": officer_for(bank_a, "officer_a2"),
        "officer_b": officer_b,
        "reviewer": reviewer,
        "reviewer2": UserFactory(username="reviewer2", role=Role.REVIEWER.value),
        "approver": approver,
        "auditor": auditor,
        "lonely": UserFactory(username="lonely", role=Role.BANK_OFFICER.value),
    }


@pytest.fixture
def claim_a(bank_a, people):  # type: ignore[no-untyped-def]
    filing = FilingFactory(bank=bank_a, filed_by=people["officer_a"])
    return ClaimFactory(filing=filing, created_by=people["officer_a"], number="MC-2026-0777")


def told(kind: str | None = None) -> set[str]:
    qs = Notification.objects.all()
    if kind is not None:
        qs = qs.filter(kind=kind)
    return set(qs.values_list("recipient__username", flat=True))


def move(claim: Claim, to: str, actor, *, start: str | None = None, note: str = "") -> None:  # type: ignore[no-untyped-def]
    """A claim service's transition: in a transaction, on the locked row."""
    if start is not None:
        Claim.objects.filter(pk=claim.pk).update(status=start)
    with transaction.atomic():
        transition(locked_claim(claim), to, actor=actor, now=timezone.now(), note=note)


# --- Claim events ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_supplement_request_tells_the_banks_officers_and_no_one_else(claim_a, people):
    move(claim_a, S.SUPPLEMENT_REQUESTED, people["reviewer"], note="请补充最新征信报告")
    assert told() == {"officer_a", "officer_a2"}
    n = Notification.objects.get(recipient=people["officer_a"])
    assert n.kind == Kind.SUPPLEMENT
    assert "MC-2026-0777" in n.title
    assert "请补充最新征信报告" in n.body
    assert n.url == reverse("claims:claim_detail", args=[claim_a.pk])
    assert n.read_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "to", "label"), [
    (S.SUBMITTED, S.PASSED, "初审通过"),
    (S.SUBMITTED, S.REJECTED, "初审不通过"),
    (S.PASSED, S.REJECTED, "初审不通过"),
    (S.PROPOSED, S.CONFIRMED, "财政已确认"),
    (S.PROPOSED, S.BUREAU_REJECTED, "财政不予确认"),
])
def test_each_decision_tells_the_banks_officers(claim_a, people, start, to, label):
    move(claim_a, to, people["approver"], start=start)
    assert told(Kind.DECISION) == {"officer_a", "officer_a2"}
    assert Notification.objects.count() == 2
    title = Notification.objects.values_list("title", flat=True).first()
    assert title == f"申报 MC-2026-0777：{label}"


@pytest.mark.django_db
@pytest.mark.parametrize(("start", "to"), [
    (S.PASSED, S.PROPOSED),
    (S.PROPOSED, S.PASSED),  # taken back out of a proposal: no new decision
    (S.CONFIRMED, S.PAID),  # told by the payment itself
    (S.PAID, S.WRITTEN_OFF),
])
def test_other_transitions_tell_no_one(claim_a, people, start, to):
    move(claim_a, to, people["reviewer"], start=start)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_a_rolled_back_transition_notifies_and_mails_no_one(claim_a, people,
                                                           django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(RuntimeError), transaction.atomic()):
        transition(locked_claim(claim_a), S.PASSED, actor=people["reviewer"],
                   now=timezone.now())
        assert told() == {"officer_a", "officer_a2"}  # written in the same transaction
        raise RuntimeError("the service failed after the transition")
    assert not Notification.objects.exists()
    assert callbacks == []
    assert mail.outbox == []


@pytest.mark.django_db
def test_mail_goes_after_commit_to_recipients_with_an_address(claim_a, people,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        move(claim_a, S.PASSED, people["reviewer"])
    assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["a@bank-a.example"]  # officer_a2 has no address
    assert "MC-2026-0777" in message.subject
    assert "补偿金额 ¥240,000.00" in message.body
    assert reverse("claims:claim_detail", args=[claim_a.pk]) in message.body


@pytest.mark.django_db
def test_mail_links_carry_the_portals_address(claim_a, people, settings,
                                              django_capture_on_commit_callbacks):
    settings.RISKCOMP_PORTAL_URL = "https://fund.example/"
    with django_capture_on_commit_callbacks(execute=True):
        move(claim_a, S.PASSED, people["reviewer"])
    url = reverse("claims:claim_detail", args=[claim_a.pk])
    assert f"https://fund.example{url}" in mail.outbox[0].body


@pytest.mark.django_db
def test_a_mail_server_failure_keeps_the_notification(claim_a, people, caplog,
                                                      django_capture_on_commit_callbacks):
    with mock.patch("notifications.services.send_mass_mail", side_effect=OSError("down")), \
            django_capture_on_commit_callbacks(execute=True):
        move(claim_a, S.PASSED, people["reviewer"])
    assert told() == {"officer_a", "officer_a2"}
    assert "notification mail" in caplog.text


@pytest.mark.django_db
def test_texts_are_in_chinese_whatever_the_actors_language(claim_a, people):
    from django.utils import translation

    with translation.override("en"):
        move(claim_a, S.REJECTED, people["reviewer"])
    assert Notification.objects.first().title == "申报 MC-2026-0777：初审不通过"


@pytest.mark.django_db
def test_payment_tells_the_banks_officers(claim_a, people):
    Claim.objects.filter(pk=claim_a.pk).update(status=S.PAID)
    Payment.objects.create(claim=claim_a, amount=Decimal("240000.00"), paid_on=date(2026, 11, 3),
                           reference="FK-2026-0001", paid_by=people["reviewer"])
    assert told(Kind.PAYMENT) == {"officer_a", "officer_a2"}
    assert Notification.objects.count() == 2
    body = Notification.objects.values_list("body", flat=True).first()
    assert "¥240,000.00" in body
    assert "FK-2026-0001" in body


# --- Suspension --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_manual_suspension_and_resumption_tell_officers_and_reviewers(bank_a, people):
    suspension_manual_set(bank=bank_a, scheme="TECH", reason="追偿工作不力",
                          actor=people["reviewer"])
    expected = {"officer_a", "officer_a2", "reviewer", "reviewer2"}
    assert told(Kind.SUSPENSION) == expected
    assert Notification.objects.count() == 4
    first = Notification.objects.filter(recipient=people["officer_a"]).get()
    assert "已暂停" in first.title
    assert "追偿工作不力" in first.body
    assert first.url == reverse("banks:bank_detail", args=[bank_a.pk])
    suspension_manual_lift(bank=bank_a, scheme="TECH", reason="已整改", actor=people["reviewer"])
    assert Notification.objects.count() == 8
    assert Notification.objects.filter(title__contains="已恢复").count() == 4


@pytest.mark.django_db
def test_changes_written_in_bulk_are_announced_by_the_nightly_sweep_once(bank_a, bank_b,
                                                                         people):
    now = datetime(2026, 11, 20, 1, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    figures = {"filed_principal": Decimal("100000000.00"),
               "claimed_principal": Decimal("5000000.00"),
               "net_compensation": Decimal("5100000.00")}
    SuspensionChange.objects.bulk_create([
        SuspensionChange(bank=bank_b, scheme="MICRO", kind=SuspensionChange.Kind.AUTO,
                         is_suspended=True, reason="申报占比超过3%", changed_at=now, **figures),
        # Long before the sweep's window: announced back then.
        SuspensionChange(bank=bank_a, scheme="MICRO", kind=SuspensionChange.Kind.AUTO,
                         is_suspended=True, reason="旧记录", changed_at=now - timedelta(days=30),
                         **figures),
    ])
    assert not Notification.objects.exists()  # bulk_create sends no post_save
    assert notify_suspension_changes.delay("2026-11-20").get() == 3
    assert notify_suspension_changes.delay("2026-11-20").get() == 0
    assert told(Kind.SUSPENSION) == {"officer_b", "reviewer", "reviewer2"}


# --- Daily jobs --------------------------------------------------------------------------------

def _recovery(claim: Claim, user, **kwargs) -> Recovery:  # type: ignore[no-untyped-def]
    values = {"recovered_on": date(2026, 10, 1), "amount": Decimal("100.00"),
              "notified_on": date(2026, 10, 9), "return_amount": Decimal("30.00"),
              "notice_deadline": date(2026, 10, 29), "return_deadline": date(2026, 10, 23)}
    return Recovery.objects.create(claim=claim, reported_by=user, **{**values, **kwargs})


@pytest.mark.django_db
def test_overdue_returns_job_tells_officers_and_reviewers_once_per_recovery(bank_b, claim_a,
                                                                            people):
    filing_b = FilingFactory(bank=bank_b, filed_by=people["officer_b"])
    claim_b = ClaimFactory(filing=filing_b, created_by=people["officer_b"])
    officer = people["officer_a"]
    late = _recovery(claim_a, officer)  # return deadline passed, nothing returned
    notice_late = _recovery(claim_a, officer, notified_on=date(2026, 11, 10),
                            return_deadline=date(2026, 11, 24))
    due_today = _recovery(claim_a, officer, return_deadline=date(2026, 11, 20))  # not yet late
    returned = _recovery(claim_a, officer)
    ReturnPayment.objects.create(recovery=returned, amount=Decimal("30.00"),
                                 returned_on=date(2026, 10, 30), reference="RET-1",
                                 recorded_by=officer)
    _recovery(claim_a, officer, return_amount=Decimal("0.00"))  # nothing to return
    late_b = _recovery(claim_b, people["officer_b"])

    # Two of bank A's (two officers, two reviewers each) and one of bank B's (one officer).
    assert notify_overdue_returns.delay("2026-11-20").get() == 2 * 4 + 3
    assert notify_overdue_returns.delay("2026-11-20").get() == 0
    keys = set(Notification.objects.values_list("key", flat=True))
    assert keys == {f"return-overdue:{r.pk}" for r in (late, notice_late, late_b)}
    assert {n.recipient.username for n in Notification.objects.filter(
        key=f"return-overdue:{late.pk}")} == {"officer_a", "officer_a2", "reviewer", "reviewer2"}
    assert {n.recipient.username for n in Notification.objects.filter(
        key=f"return-overdue:{late_b.pk}")} == {"officer_b", "reviewer", "reviewer2"}
    notice = Notification.objects.filter(key=f"return-overdue:{notice_late.pk}").first()
    assert "晚于通知截止日 2026-10-29" in notice.body
    # The next day: only the recovery that fell due yesterday is new; the others are not
    # announced again.
    assert notify_overdue_returns.delay("2026-11-21").get() == 4
    assert set(Notification.objects.values_list("key", flat=True)) == keys | {
        f"return-overdue:{due_today.pk}"}


@pytest.mark.django_db
def test_overdue_returns_job_defaults_to_today_in_shanghai(claim_a, people, monkeypatch):
    _recovery(claim_a, people["officer_a"], return_deadline=date(2026, 11, 20))
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 11, 20))
    assert notify_overdue_returns.delay().get() == 0
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 11, 21))
    assert notify_overdue_returns.delay().get() == 4


@pytest.mark.django_db
def test_filing_window_opening_tells_every_bank_officer_once(people):
    idle_bank = BankFactory(is_active=False)
    officer_for(idle_bank, "idle_officer")
    assert notify_filing_windows.delay("2026-07-01").get() == 3
    assert notify_filing_windows.delay("2026-07-01").get() == 0
    assert notify_filing_windows.delay("2026-07-02").get() == 0  # still the same opening
    assert told(Kind.FILING_WINDOW) == {"officer_a", "officer_a2", "officer_b"}
    n = Notification.objects.first()
    assert n.title == "2026年第三季度放款的备案窗口已开放"
    assert n.url == reverse("loans:filing_list")
    assert n.key == "filing-window:2026Q3:open"


@pytest.mark.django_db
def test_filing_window_reminders_on_each_of_the_last_three_working_days(people):
    # Q2 2026 loans: deadline 2026-07-21 (Tue), the 15th working day of Q3.
    assert notify_filing_windows.delay("2026-07-01").get() == 3  # Q3's window opening
    days = {"2026-07-16": 0, "2026-07-17": 3, "2026-07-18": 0, "2026-07-19": 0,
            "2026-07-20": 3, "2026-07-21": 3, "2026-07-22": 0}
    for day, expected in days.items():
        assert notify_filing_windows.delay(day).get() == expected, day
        assert notify_filing_windows.delay(day).get() == 0, day
    keys = sorted(set(Notification.objects.filter(key__startswith="filing-window:2026Q2")
                      .values_list("key", flat=True)))
    assert keys == ["filing-window:2026Q2:left-0", "filing-window:2026Q2:left-1",
                    "filing-window:2026Q2:left-2"]
    last = Notification.objects.filter(key="filing-window:2026Q2:left-0").first()
    assert last.title == "今日为2026年第二季度放款的备案截止日"
    assert "2026-07-21" in last.body


@pytest.mark.django_db
def test_filing_window_mid_quarter_says_nothing(people):
    assert notify_filing_windows.delay("2026-08-12").get() == 0


# --- Reader services ---------------------------------------------------------------------------

def _note(user, n: int = 0, **kwargs) -> Notification:  # type: ignore[no-untyped-def]
    values = {"kind": Kind.PAYMENT, "title": f"消息{n}", "url": "/claims/", "key": f"k{n}"}
    return Notification.objects.create(recipient=user, **{**values, **kwargs})


@pytest.mark.django_db
def test_notify_twice_with_the_same_key_writes_once(people):
    users = [people["officer_a"], people["officer_b"]]
    first = notify_services.notify(recipients=users, kind=Kind.PAYMENT, title="t", key="x")
    again = notify_services.notify(recipients=[*users, people["reviewer"]], kind=Kind.PAYMENT,
                                   title="t", key="x")
    assert len(first) == 2
    assert [n.recipient_id for n in again] == [people["reviewer"].pk]
    assert Notification.objects.count() == 3


@pytest.mark.django_db
def test_reading_keeps_the_first_reading_time(people):
    n = _note(people["officer_a"])
    first = notify_services.notification_read(notification=n, actor=people["officer_a"]).read_at
    assert first is not None
    again = notify_services.notification_read(notification=n, actor=people["officer_a"])
    assert again.read_at == first


@pytest.mark.django_db
def test_nobody_reads_someone_elses_notification(people):
    n = _note(people["officer_b"])
    with pytest.raises(Notification.DoesNotExist):
        notify_services.notification_read(notification=n, actor=people["officer_a"])


@pytest.mark.django_db
def test_read_all_marks_only_the_actors_unread(people):
    for i in range(3):
        _note(people["officer_a"], i)
    _note(people["officer_b"], 9)
    assert notify_services.notifications_read_all(actor=people["officer_a"]) == 3
    assert notify_services.notifications_read_all(actor=people["officer_a"]) == 0
    assert Notification.objects.filter(read_at__isnull=True).get().recipient == people["officer_b"]


# --- Screens -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_unread_count_is_one_query_and_only_when_shown(people, rf):
    user = people["officer_a"]
    _note(user, 1)
    _note(user, 2, read_at=timezone.now())
    _note(people["officer_b"], 3)
    request = rf.get("/")
    request.user = user
    with CaptureQueriesContext(connection) as ctx:
        count = unread(request)["unread_notifications"]
    assert len(ctx.captured_queries) == 0  # not asked for yet
    with CaptureQueriesContext(connection) as ctx:
        assert count() == 1
        assert count() == 1
    assert len(ctx.captured_queries) == 1


@pytest.mark.django_db
def test_every_page_counts_unread_in_one_query(people):
    user = people["officer_a"]
    for i in range(3):
        _note(user, i)
    client = client_for(user)
    for url in (reverse("home"), reverse("claims:claim_list"), reverse("notifications:list")):
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(url)
        assert page.status_code == 200
        counts = [q["sql"] for q in ctx.captured_queries
                  if "notifications_notification" in q["sql"] and "COUNT" in q["sql"].upper()
                  and "read_at" in q["sql"]]
        assert len(counts) == 1, (url, counts)
        assert 'class="bell-count">3<' in page.content.decode()


@pytest.mark.django_db
def test_bell_without_unread_shows_no_count(people):
    page = client_for(people["officer_a"]).get(reverse("home")).content.decode()
    assert reverse("notifications:list") in page
    assert "bell-count" not in page


@pytest.mark.django_db
def test_list_shows_own_notifications_unread_first(people):
    user = people["officer_a"]
    older_read = _note(user, 1, title="已读的旧消息", read_at=timezone.now())
    older_read.created_at = timezone.now() + timedelta(minutes=5)  # newest, but read
    older_read.save()
    _note(user, 2, title="未读消息甲")
    _note(people["officer_b"], 3, title="乙行的消息")
    page = client_for(user).get(reverse("notifications:list")).content.decode()
    assert "乙行的消息" not in page
    assert page.index("未读消息甲") < page.index("已读的旧消息")
    unread_only = client_for(user).get(reverse("notifications:list"), {"state": "unread"})
    assert "已读的旧消息" not in unread_only.content.decode()
    assert "未读消息甲" in unread_only.content.decode()


@pytest.mark.django_db
def test_list_is_paginated(people):
    for i in range(30):
        _note(people["officer_a"], i)
    page = client_for(people["officer_a"]).get(reverse("notifications:list"))
    assert len(page.context["listing"].page.object_list) == 25
    assert "第 1 / 2 页" in page.content.decode()


@pytest.mark.django_db
def test_opening_marks_read_and_goes_to_its_page(people):
    n = _note(people["officer_a"], url="/claims/recoveries/")
    client = client_for(people["officer_a"])
    assert client.get(reverse("notifications:open", args=[n.pk])).status_code == 405
    response = client.post(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 302
    assert response["Location"] == "/claims/recoveries/"
    n.refresh_from_db()
    assert n.read_at is not None


@pytest.mark.django_db
def test_opening_never_leaves_the_portal(people):
    n = _note(people["officer_a"], url="https://elsewhere.example/")
    response = client_for(people["officer_a"]).post(reverse("notifications:open", args=[n.pk]))
    assert response["Location"] == reverse("notifications:list")


@pytest.mark.django_db
def test_another_users_notification_is_a_404(people):
    n = _note(people["officer_b"])
    response = client_for(people["officer_a"]).post(reverse("notifications:open", args=[n.pk]))
    assert response.status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


@pytest.mark.django_db
def test_read_all_screen(people):
    for i in range(2):
        _note(people["officer_a"], i)
    other = _note(people["officer_b"], 5)
    client = client_for(people["officer_a"])
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "已将 2 条消息标为已读" in response.content.decode()
    assert not Notification.objects.filter(recipient=people["officer_a"],
                                           read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


@pytest.mark.django_db
def test_user_without_role_has_no_bell_and_no_list(db):
    client = client_for(UserFactory())
    assert "bell" not in client.get(reverse("home")).content.decode()
    assert client.get(reverse("notifications:list")).status_code == 403


def notification_access_objects(world) -> dict[type, set[int]]:  # type: ignore[no-untyped-def]
    """For tests/test_access.py: a notification for each bank's officer; returns bank A's."""
    own: set[int] = set()
    for key in ("claim_a", "claim_b"):
        claim = world[key]
        n = Notification.objects.create(
            recipient=claim.created_by, kind=Kind.PAYMENT, title=f"{claim.number} 已拨付",
            url=reverse("claims:claim_detail", args=[claim.pk]), key=f"access:{claim.pk}")
        if key == "claim_a":
            own.add(n.pk)
    return {Notification: own}
