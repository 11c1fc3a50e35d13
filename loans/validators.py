from django.core.exceptions import ValidationError

from riskcomp.policy.credit_code import validate_credit_code
from riskcomp.policy.reasons import PolicyError


def credit_code_validator(value: str) -> None:
    """Model-field validator for the unified social credit code (GB 32100-2015)."""
    try:
        validate_credit_code(value)
    except PolicyError as exc:
        raise ValidationError(str(exc.message), code=str(exc.code)) from exc
