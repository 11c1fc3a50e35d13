"""Error pages are the portal's own, in Chinese (English through the switch), saying what
happened and what to do, with no internals and nothing the strict CSP would block."""

import re

import pytest
from django.db import OperationalError
from django.test import Client, override_settings
from django.urls import path

from riskcomp import errors
from riskcomp.urls import urlpatterns as portal_urls

from .conftest import client_for

ENGLISH_INTERNALS = re.compile(
    r"Forbidden|Not Found|Server Error|Bad Request|CSRF|Traceback|No \w+ matches|Exception")


def _boom(request):  # type: ignore[no-untyped-def]
    raise OperationalError("connection to server at 127.0.0.1 failed")


def _bad(request):  # type: ignore[no-untyped-def]
    from django.core.exceptions import SuspiciousOperation
    raise SuspiciousOperation("Invalid HTTP_HOST header: evil")


urlpatterns = [*portal_urls, path("boom/", _boom), path("bad/", _bad)]
handler400 = errors.bad_request
handler403 = errors.permission_denied
handler404 = errors.page_not_found
handler500 = errors.server_error


def _assert_portal_page(response, status: int, title: str) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    body = response.content.decode()
    assert title in body
    assert "返回首页" in body
    assert 'href="/static/css/portal.css"' in body or "portal" in body
    assert not ENGLISH_INTERNALS.search(body), ENGLISH_INTERNALS.search(body)
    assert "<style" not in body and " style=" not in body and "<script>" not in body
    return body


@pytest.mark.django_db
def test_unknown_page_is_a_chinese_404(officer_a):
    response = client_for(officer_a).get("/no-such-page/")
    _assert_portal_page(response, 404, "页面不存在")


@pytest.mark.django_db
def test_another_banks_record_is_the_same_404_without_the_model_name(officer_a, bank_b):
    from .factories import FilingFactory
    other = FilingFactory(bank=bank_b)
    response = client_for(officer_a).get(f"/filings/{other.pk}/")
    body = _assert_portal_page(response, 404, "页面不存在")
    assert "LoanFiling" not in body and "matches the given query" not in body


@pytest.mark.django_db
def test_forbidden_says_why_in_chinese(auditor):
    # Auditors read only: the middleware refuses a change with its own sentence.
    response = client_for(auditor).post("/fund/ledger/capital/", {})
    body = _assert_portal_page(response, 403, "无权访问")
    assert "审计人员只能查阅，不能修改数据。" in body
    assert "重新登录" in body


@pytest.mark.django_db
def test_refused_csrf_check_tells_the_user_to_reload(officer_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer_a)
    response = client.post("/accounts/logout/", {})
    body = _assert_portal_page(response, 403, "页面已过期")
    assert "刷新后重新提交" in body


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.django_db
def test_server_error_page_renders_even_when_the_database_fails(officer_a):
    client = client_for(officer_a)
    client.raise_request_exception = False
    body = _assert_portal_page(client.get("/boom/"), 500, "系统出现错误")
    assert "127.0.0.1" not in body and "OperationalError" not in body


@override_settings(ROOT_URLCONF=__name__)
@pytest.mark.django_db
def test_bad_request_is_a_chinese_400(officer_a):
    body = _assert_portal_page(client_for(officer_a).get("/bad/"), 400, "请求无法处理")
    assert "evil" not in body


@pytest.mark.django_db
def test_error_page_in_english_through_the_switch(officer_a):
    client = client_for(officer_a)
    client.cookies["django_language"] = "en"
    body = client.get("/no-such-page/").content.decode()
    assert "页面不存在" not in body
    assert re.search(r"[\u4e00-\u9fff]", body.split("<main", 1)[1].split("</main>")[0]) is None


@pytest.mark.django_db
def test_favicon_is_served_locally(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
