"""Sessions end after 30 minutes idle and 12 hours in all; a user sees their sessions on other
devices and ends them; paying and the bureau's confirmation ask for the password again when it
was last given more than five minutes ago."""

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import UserSession
from accounts.security import LOGIN_AT, SEEN_AT, VERIFIED_AT, reauth_required
from accounts.selectors import describe_user_agent
from claims.models import Claim, Confirmation, Payment

from .conftest import client_for
from .test_payments import confirmed
from .test_proposals import TODAY, proposed, scan

PASSWORD = "Secret-pass-123"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_WIN = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/131.0.0.0 Safari/537.36")


def logged_in(username: str, *, ua: str = FIREFOX, ip: str = "10.1.1.1") -> Client:
    """A browser that logged in through the login form."""
    client = Client(HTTP_USER_AGENT=ua, REMOTE_ADDR=ip)
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    return client


def set_session(client: Client, **values: object) -> None:
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


# --- The session register and "my sessions" ---------------------------------------------------

@pytest.mark.django_db
def test_login_registers_the_session_with_device_address_and_time(reviewer):
    client = logged_in("reviewer", ua=CHROME_WIN, ip="10.1.1.7")
    row = UserSession.objects.get(user=reviewer)
    assert row.session_key == client.session.session_key
    assert row.ip_address == "10.1.1.7" and "Chrome/131" in row.user_agent
    assert abs((timezone.now() - row.created_at).total_seconds()) < 60
    page = client.get(reverse("accounts:sessions")).content.decode()
    assert "Chrome 131 · Windows" in page and "10.1.1.7" in page and "当前会话" in page


@pytest.mark.django_db
def test_user_sees_and_ends_a_session_on_another_device(reviewer):
    office = logged_in("reviewer", ua=CHROME_WIN, ip="10.1.1.7")
    laptop = logged_in("reviewer", ua=FIREFOX, ip="10.9.9.9")
    page = office.get(reverse("accounts:sessions")).content.decode()
    assert "Firefox 128 · Linux" in page and "10.9.9.9" in page
    other = UserSession.objects.get(session_key=laptop.session.session_key)
    response = office.post(reverse("accounts:session_end"), {"session": other.pk})
    assert response.status_code == 302
    assert not UserSession.objects.filter(pk=other.pk).exists()
    assert not Session.objects.filter(session_key=other.session_key).exists()
    # The laptop is logged out; the office browser is not.
    assert laptop.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert office.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_end_all_other_sessions_keeps_the_current_one(reviewer):
    current = logged_in("reviewer")
    others = [logged_in("reviewer", ip=f"10.2.2.{i}") for i in range(3)]
    current.post(reverse("accounts:session_end"), {"all": "1"})
    assert list(UserSession.objects.filter(user=reviewer).values_list("session_key", flat=True)) \
        == [current.session.session_key]
    for other in others:
        assert other.get(reverse("home")).status_code == 302
    assert current.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_the_current_session_is_not_ended_from_the_list(reviewer):
    client = logged_in("reviewer")
    row = UserSession.objects.get(user=reviewer)
    client.post(reverse("accounts:session_end"), {"session": row.pk})
    assert UserSession.objects.filter(pk=row.pk).exists()
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_nobody_ends_or_sees_another_users_session(reviewer, approver):
    theirs = logged_in("approver", ip="10.3.3.3")
    mine = logged_in("reviewer")
    row = UserSession.objects.get(user=approver)
    assert mine.post(reverse("accounts:session_end"), {"session": row.pk}).status_code == 404
    assert "10.3.3.3" not in mine.get(reverse("accounts:sessions")).content.decode()
    assert theirs.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_logout_forgets_the_session(reviewer):
    client = logged_in("reviewer")
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=reviewer).exists()


@pytest.mark.django_db
def test_a_password_change_keeps_the_register_in_step(reviewer):
    client = logged_in("reviewer")
    old_key = client.session.session_key
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "Another-pass-456",
        "new_password2": "Another-pass-456"})
    assert response.status_code == 302
    new_key = client.session.session_key
    assert new_key != old_key
    assert list(UserSession.objects.filter(user=reviewer).values_list("session_key", flat=True)) \
        == [new_key]
    assert client.get(reverse("accounts:sessions")).status_code == 200


@pytest.mark.django_db
def test_expired_sessions_are_not_listed_and_are_pruned_at_the_next_login(reviewer):
    old = logged_in("reviewer", ip="10.4.4.4")
    Session.objects.filter(session_key=old.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    new = logged_in("reviewer", ip="10.5.5.5")
    assert "10.4.4.4" not in new.get(reverse("accounts:sessions")).content.decode()
    assert UserSession.objects.filter(user=reviewer).count() == 1


@pytest.mark.parametrize(("ua", "label"), [
    (CHROME_WIN, "Chrome 131 · Windows"),
    (FIREFOX, "Firefox 128 · Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge 131 · Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari 17 · iOS"),
    ("curl/8.5.0", "curl/8.5.0"),
])
def test_user_agent_is_shown_as_browser_and_system(ua, label):
    assert describe_user_agent(ua) == label


# --- Idle and absolute limits -----------------------------------------------------------------

@pytest.mark.django_db
def test_activity_pushes_the_idle_expiry_30_minutes_ahead(reviewer):
    client = logged_in("reviewer")
    key = client.session.session_key
    set_session(client, **{SEEN_AT: time.time() - 120})
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=5))
    assert client.get(reverse("home")).status_code == 200
    left = Session.objects.get(session_key=key).expire_date - timezone.now()
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)
    assert time.time() - client.session[SEEN_AT] < 60


@pytest.mark.django_db
def test_requests_within_a_minute_do_not_write_the_session(reviewer):
    client = logged_in("reviewer")
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("home"))
        client.get(reverse("claims:claim_list"))
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"]]
    assert writes == []


@pytest.mark.django_db
def test_a_session_idle_for_30_minutes_is_over(reviewer):
    client = logged_in("reviewer")
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("home"))["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_idle_time_counts_from_the_last_request_not_the_last_save(reviewer):
    client = logged_in("reviewer")
    set_session(client, **{SEEN_AT: time.time() - 30 * 60 + 30})
    assert client.get(reverse("home")).status_code == 200
    set_session(client, **{SEEN_AT: time.time() - 30 * 60 - 1})  # the row itself not yet expired
    response = client.get(reverse("home"))
    assert response["Location"].startswith(reverse("login"))
    assert "超过 30 分钟未操作" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_a_session_ends_12_hours_after_login_even_when_busy(reviewer):
    client = logged_in("reviewer")
    set_session(client, **{LOGIN_AT: time.time() - 12 * 3600 + 60})
    assert client.get(reverse("home")).status_code == 200
    set_session(client, **{LOGIN_AT: time.time() - 12 * 3600 - 1})
    response = client.get(reverse("claims:claim_list"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('claims:claim_list')}"
    assert not UserSession.objects.filter(user=reviewer).exists()
    page = client.get(response["Location"]).content.decode()
    assert "登录已超过 12 小时" in page


@pytest.mark.django_db
def test_htmx_requests_of_an_ended_session_navigate_to_login(reviewer):
    client = logged_in("reviewer")
    set_session(client, **{LOGIN_AT: time.time() - 13 * 3600})
    response = client.get(reverse("calculator"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("login"))


# --- Confirm the password before paying or confirming -------------------------------------------

def stale(client: Client) -> None:
    set_session(client, **{VERIFIED_AT: time.time() - 301})


@pytest.mark.django_db
def test_paying_asks_for_the_password_when_it_was_given_over_5_minutes_ago(
        bank_a, officer_a, reviewer):
    claim = confirmed(bank_a, officer_a)
    client = logged_in("reviewer")
    pay = reverse("claims:claim_pay", args=[claim.pk])
    assert client.get(pay).status_code == 200  # just logged in
    stale(client)
    response = client.get(pay)
    assert response["Location"] == (
        f"{reverse('accounts:reauth')}?next=%2Fclaims%2F{claim.pk}%2Fpay%2F")
    page = client.get(response["Location"]).content.decode()
    assert "确认身份" in page and 'name="password"' in page
    assert 'name="token"' not in page  # no second factor in these settings
    wrong = client.post(response["Location"], {"password": "not-it", "next": pay})
    assert wrong.status_code == 200 and "密码不正确" in wrong.content.decode()
    right = client.post(response["Location"], {"password": PASSWORD, "next": pay})
    assert right["Location"] == pay
    assert client.get(pay).status_code == 200


@pytest.mark.django_db
def test_a_stale_payment_post_pays_nothing_and_returns_to_the_form(bank_a, officer_a, reviewer):
    claim = confirmed(bank_a, officer_a)
    client = logged_in("reviewer")
    stale(client)
    pay = reverse("claims:claim_pay", args=[claim.pk])
    response = client.post(pay, {"paid_on": timezone.localdate().isoformat(),
                                 "reference": "ZF-1"}, HTTP_REFERER=f"http://testserver{pay}")
    assert response["Location"].startswith(reverse("accounts:reauth"))
    assert "next=%2Fclaims%2F" in response["Location"]
    assert not Payment.objects.exists()
    assert Claim.objects.get(pk=claim.pk).status == Claim.Status.CONFIRMED


@pytest.mark.django_db
def test_the_batch_payment_asks_too(bank_a, officer_a, reviewer):
    claim = confirmed(bank_a, officer_a)
    client = logged_in("reviewer")
    stale(client)
    response = client.post(reverse("claims:payment_batch"), {"claims": [claim.pk]},
                           HTTP_REFERER="http://testserver" + reverse("claims:payment_list"))
    assert response["Location"] == (f"{reverse('accounts:reauth')}?next="
                                    + reverse("claims:payment_list").replace("/", "%2F"))


@pytest.mark.django_db
def test_the_bureau_confirms_only_after_a_recent_password(bank_a, officer_a, reviewer, approver,
                                                          settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    proposal, (first, _second) = proposed(bank_a, officer_a, reviewer)
    client = logged_in("approver")
    stale(client)
    detail = reverse("claims:proposal_detail", args=[proposal.pk])
    decide = reverse("claims:proposal_decide", args=[proposal.pk])
    body = {"claims": [first.pk], "decision": "confirmed", "number": "88号",
            "date": TODAY.isoformat(), "document": scan()}
    response = client.post(decide, body, HTTP_REFERER=f"http://testserver{detail}")
    assert response["Location"] == f"{reverse('accounts:reauth')}?next=" + detail.replace(
        "/", "%2F")
    assert not Confirmation.objects.exists()
    # Confirming the password submits the decision the approver filled in, file included.
    back = client.post(response["Location"], {"password": PASSWORD, "next": detail})
    assert back["Location"] == detail
    assert Claim.objects.get(pk=first.pk).status == Claim.Status.CONFIRMED
    assert Confirmation.objects.get().document_number == "88号"


@pytest.mark.django_db
def test_other_roles_still_get_403_not_a_password_prompt(bank_a, officer_a, auditor):
    claim = confirmed(bank_a, officer_a)
    client = client_for(auditor)
    stale(client)
    assert client.get(reverse("claims:claim_pay", args=[claim.pk])).status_code == 403


@pytest.mark.django_db
def test_reauth_refuses_to_return_to_another_site(reviewer):
    client = logged_in("reviewer")
    response = client.post(reverse("accounts:reauth"),
                           {"password": PASSWORD, "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_wrong_passwords_on_the_confirm_page_count_toward_the_lockout(reviewer):
    client = logged_in("reviewer")
    for _ in range(4):
        assert client.post(reverse("accounts:reauth"), {"password": "x"}).status_code == 200
    assert client.post(reverse("accounts:reauth"), {"password": "x"}).status_code == 429


def test_reauth_required_checks_the_age_it_is_given(rf):
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.signed_cookies import SessionStore
    from django.http import HttpResponse

    view = reauth_required(max_age=60)(lambda request: HttpResponse("ok"))
    request = rf.get("/claims/1/pay/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request.session[VERIFIED_AT] = time.time() - 30
    assert view(request).status_code == 200
    request.session[VERIFIED_AT] = time.time() - 90
    assert view(request).status_code == 302
