"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from 0-9 and the capital letters without I, O, Z, S, V; the 18th is a check
character over the first 17: weights 3^i mod 31, check = 31 - (sum mod 31), 31 giving 0.
"""

from __future__ import annotations

import functools
import unicodedata

from .reasons import PolicyError
from .types import ReasonCode

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {char: value for value, char in enumerate(CHARSET)}
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
LENGTH = 18


def normalize_credit_code(code: str) -> str:
    """The code as typed, in capitals, without any blank (banks write it in groups, "9111 0302
    …") and with full-width characters as ASCII (for forms and imports)."""
    if not code.isascii():
        code = unicodedata.normalize("NFKC", code)
    return "".join(code.split()).upper()


def credit_code_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(first17) != LENGTH - 1:
        raise ValueError(f"expected the first 17 characters, got {len(first17)}")
    total = 0
    for position, (char, weight) in enumerate(zip(first17, WEIGHTS, strict=True), start=1):
        if char not in _VALUE:
            raise PolicyError.of(ReasonCode.BAD_CREDIT_CODE, position=position, char=char)
        total += _VALUE[char] * weight
    return CHARSET[(31 - total % 31) % 31]


# An import checks each code several times; only a valid code returns, so only those are kept.
@functools.lru_cache(maxsize=65536)
def validate_credit_code(code: str) -> None:
    """Raise ``PolicyError(BAD_CREDIT_CODE)`` saying what is wrong with ``code``, if anything."""
    if len(code) != LENGTH:
        raise PolicyError.of(ReasonCode.BAD_CREDIT_CODE, length=len(code))
    for position, char in enumerate(code, start=1):
        if char not in _VALUE:
            raise PolicyError.of(ReasonCode.BAD_CREDIT_CODE, position=position, char=char)
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise PolicyError.of(ReasonCode.BAD_CREDIT_CODE, expected=expected, actual=code[17])


def is_valid_credit_code(code: str) -> bool:
    try:
        validate_credit_code(code)
    except PolicyError:
        return False
    return True
