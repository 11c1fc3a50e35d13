"""The unified social credit code and its check character (GB 32100-2015)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskcomp.policy.credit_code import (
    CHARSET,
    WEIGHTS,
    credit_code_check_char,
    is_valid_credit_code,
    normalize_credit_code,
    validate_credit_code,
)
from riskcomp.policy.reasons import PolicyError
from riskcomp.policy.types import ReasonCode

# Codes of real enterprises, as printed on their business licences.
REAL_CODES = [
    "91110000600037341L",
    "91110000802100433B",
    "91110108551385082Q",
    "91110000717828315T",
]


def test_charset_leaves_out_i_o_z_s_v():
    assert len(CHARSET) == 31
    assert not set("IOZSV") & set(CHARSET)


def test_weights_are_powers_of_three_mod_31():
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_codes_are_valid(code):
    validate_credit_code(code)
    assert is_valid_credit_code(code)
    assert credit_code_check_char(code[:17]) == code[17]


@pytest.mark.parametrize(
    ("first17", "check"),
    [
        ("91110000600037341", "L"),
        ("91110108551385082", "Q"),
        # Sum 0 mod 31 gives 31, which wraps to "0".
        ("00000000000000000", "0"),
        # Value 1 at the first position: sum 1 → 30 → "Y".
        ("10000000000000000", "Y"),
    ],
)
def test_check_character_is_31_minus_the_weighted_sum(first17, check):
    assert credit_code_check_char(first17) == check


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91110000600037341", "应为18位，实际为17位"),
        ("91110000600037341LL", "应为18位，实际为19位"),
        ("", "实际为0位"),
        ("9111000060003734IL", "第17位“I”不是合法字符"),
        ("91110000600037341l", "第18位“l”不是合法字符"),  # lower case is not accepted as is
        ("9111000060003734OL", "第17位“O”不是合法字符"),
        ("91110000600037341Z", "第18位“Z”不是合法字符"),
        ("91110000600037341A", "校验码错误：第18位应为“L”，实际为“A”"),
        ("91110000600037342L", "第18位应为"),
    ],
)
def test_bad_codes_say_what_is_wrong(code, fragment):
    with pytest.raises(PolicyError) as caught:
        validate_credit_code(code)
    assert caught.value.code is ReasonCode.BAD_CREDIT_CODE
    assert fragment in str(caught.value.message)
    assert not is_valid_credit_code(code)


def test_normalize_strips_blanks_and_capitalises():
    assert normalize_credit_code(" 91110000600037341l \n") == "91110000600037341L"


first17s = st.text(alphabet=CHARSET, min_size=17, max_size=17)


@settings(database=None)
@given(first17s)
def test_a_computed_check_character_makes_a_valid_code(first17):
    assert is_valid_credit_code(first17 + credit_code_check_char(first17))


@settings(database=None)
@given(first17s, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_any_single_character_substitution_is_detected(first17, position, shift):
    code = first17 + credit_code_check_char(first17)
    wrong = CHARSET[(CHARSET.index(code[position]) + shift) % 31]
    assert not is_valid_credit_code(code[:position] + wrong + code[position + 1:])
