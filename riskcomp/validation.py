"""Input a service refuses because it is plainly wrong (not because a rule says no): a Django
``ValidationError`` with a Chinese message, keyed by the form field where there is one, so that
``form_errors.add_service_errors`` shows it next to that field."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .policy.compensation import to_fen


def invalid(field: str | None, message: str, code: str) -> ValidationError:
    error = ValidationError(message, code=code)
    return ValidationError({field: error}) if field else error


def money(value: Decimal, field: str) -> Decimal:
    """A positive amount in yuan to the fen."""
    value = Decimal(value)
    if value != to_fen(value):
        raise invalid(field, _("金额最多保留两位小数（精确到分）。"), "money_precision")
    if value <= 0:
        raise invalid(field, _("金额必须大于零。"), "money_not_positive")
    return value
