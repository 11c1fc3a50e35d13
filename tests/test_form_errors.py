"""The one way a view shows a service's refusal: on the form the user filled in."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.test import RequestFactory

from riskcomp.form_errors import service_errors_as_messages, service_errors_on
from riskcomp.policy.reasons import PolicyError
from riskcomp.policy.types import ReasonCode


class _AmountForm(forms.Form):
    amount = forms.DecimalField()


def _bound() -> _AmountForm:
    form = _AmountForm({"amount": "1.00"})
    assert form.is_valid()
    return form


def _refuse(exc: Exception) -> None:
    raise exc


def test_a_field_error_from_the_service_lands_on_that_field_and_ends_the_block() -> None:
    form, reached = _bound(), []
    with service_errors_on(form):
        _refuse(ValidationError({"amount": "金额超过可拨付余额。"}))
        reached.append(True)
    assert reached == []
    assert form.errors["amount"] == ["金额超过可拨付余额。"]


def test_an_error_about_a_field_the_form_lacks_goes_above_the_form() -> None:
    form = _bound()
    with service_errors_on(form):
        raise ValidationError({"claim": "该申报已被其他审核人员处理。"})
    assert form.non_field_errors() == ["该申报已被其他审核人员处理。"]


def test_a_rule_refusal_goes_above_the_form_with_its_reason() -> None:
    form = _bound()
    with service_errors_on(form):
        raise PolicyError(ReasonCode.BAD_CREDIT_CODE, "统一社会信用代码校验位错误。")
    [error] = form.non_field_errors()
    assert error.endswith("统一社会信用代码校验位错误。")


def test_the_block_runs_to_its_end_when_the_service_succeeds() -> None:
    form, reached = _bound(), []
    with service_errors_on(form):
        reached.append(True)
    assert reached == [True]
    assert form.errors == {}


def test_other_exceptions_are_not_swallowed() -> None:
    form = _bound()
    with pytest.raises(KeyError), service_errors_on(form):
        raise KeyError("amount")


def _request_with_messages() -> HttpRequest:
    request = RequestFactory().post("/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def test_an_action_without_a_form_shows_the_refusal_as_messages_and_stops() -> None:
    request, reached = _request_with_messages(), []
    with service_errors_as_messages(request):
        _refuse(ValidationError(["协议已终止。", "请先登记新的合作协议。"]))
        reached.append(True)
    assert reached == []
    assert [str(m) for m in get_messages(request)] == ["协议已终止。", "请先登记新的合作协议。"]


def test_a_rule_refusal_becomes_its_message() -> None:
    request = _request_with_messages()
    with service_errors_as_messages(request):
        raise PolicyError(ReasonCode.NOT_NPL, "分类日期不能早于放款日期。")
    assert [str(m) for m in get_messages(request)] == ["分类日期不能早于放款日期。"]
