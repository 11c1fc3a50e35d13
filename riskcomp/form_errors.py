"""Errors a service raised, shown on the form the user filled in."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .policy.reasons import PolicyError, Refusal


def add_service_errors(form: BaseForm, exc: ValidationError) -> None:
    """A service's ``ValidationError`` onto the form: by field where the form has that field,
    otherwise above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def add_policy_errors(form: BaseForm, exc: PolicyError) -> None:
    """Each reason the rules gave, with its code, above the form."""
    reasons = exc.reasons if isinstance(exc, Refusal) else (exc.reason,)
    for r in reasons:
        form.add_error(None, _("%(code)s：%(message)s") % {"code": r.code, "message": r.message})


@contextmanager
def service_errors_on(form: BaseForm) -> Iterator[None]:
    """Call a service inside this block: a refusal by the rules (``PolicyError``) or plainly
    wrong input (``ValidationError``) ends the block and lands on ``form`` instead of failing
    the request, so the view goes on to show the form again::

        with service_errors_on(form):
            claim = services.claim_pay(claim=claim, actor=request.user, **form.cleaned_data)
            messages.success(request, ...)
            return redirect(...)
        return render(request, ..., {"form": form})
    """
    try:
        yield
    except PolicyError as exc:
        add_policy_errors(form, exc)
    except ValidationError as exc:
        add_service_errors(form, exc)


@contextmanager
def service_errors_as_messages(request: HttpRequest) -> Iterator[None]:
    """As ``service_errors_on`` for an action without a form to show again (a button on a
    detail page): the refusal becomes error messages on the page the view redirects to."""
    try:
        yield
    except PolicyError as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
