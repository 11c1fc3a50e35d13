"""Reason codes, their Chinese messages citing the article, and the domain exception."""

import pickle
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.functional import Promise

from riskcomp.policy.reasons import (
    CalendarUnknown,
    PolicyError,
    Reason,
    reason,
    yuan,
)
from riskcomp.policy.types import Classification, ReasonCode, Scheme, is_non_performing

RULES_MD_CODES = {
    "NO_AGREEMENT", "OUTSIDE_VALIDITY", "NOT_IN_BDA", "BORROWER_KIND", "BORROWER_SIZE",
    "CONDUCT", "TECH_SCOPE", "LOAN_TYPE", "OTHER_COVER", "RISK_SHARE", "AMOUNT_CAP",
    "OUTSTANDING_CAP", "CREDIT_REPORT_DATE", "RATE_CAP", "FILING_LATE", "CALENDAR_UNKNOWN",
    "BAD_CREDIT_CODE", "NPL_BEFORE_FILING", "NOT_NPL", "CLAIM_LATE", "BANK_SUSPENDED",
    "DUPLICATE",
}
# The portal's own, beside the table: a drawdown after the filing date is not a late filing.
PORTAL_CODES = {"DRAWDOWN_FUTURE"}


def test_reason_codes_are_exactly_the_table_of_rules_md_with_values_equal_to_names():
    assert {code.name for code in ReasonCode} == RULES_MD_CODES | PORTAL_CODES
    assert all(code.value == code.name for code in ReasonCode)


@pytest.mark.parametrize(
    ("classification", "non_performing"),
    [
        (Classification.NORMAL, False),
        (Classification.SPECIAL_MENTION, False),
        (Classification.SUBSTANDARD, True),
        (Classification.DOUBTFUL, True),
        (Classification.LOSS, True),
    ],
)
def test_only_the_last_three_tiers_are_non_performing(classification, non_performing):
    assert is_non_performing(classification) is non_performing


@pytest.mark.parametrize("code", list(ReasonCode))
def test_every_code_has_a_plain_chinese_message(code):
    message = str(reason(code).message)
    assert message
    assert any("\u4e00" <= char <= "\u9fff" for char in message)


@pytest.mark.parametrize(
    ("code", "scheme", "citation"),
    [
        (ReasonCode.NO_AGREEMENT, Scheme.MICRO, "小微办法第二条"),
        (ReasonCode.NO_AGREEMENT, Scheme.TECH, "科创方案第三条"),
        (ReasonCode.OUTSIDE_VALIDITY, Scheme.MICRO, "小微办法第二十八条"),
        (ReasonCode.OUTSIDE_VALIDITY, Scheme.TECH, "科创方案第二十七条"),
        (ReasonCode.NOT_IN_BDA, Scheme.MICRO, "小微办法第五条"),
        (ReasonCode.NOT_IN_BDA, Scheme.TECH, "科创方案第六条"),
        (ReasonCode.BORROWER_KIND, Scheme.TECH, "科创方案第二条"),
        (ReasonCode.BORROWER_SIZE, Scheme.MICRO, "小微办法第二条"),
        (ReasonCode.CONDUCT, Scheme.MICRO, "小微办法第五条"),
        (ReasonCode.TECH_SCOPE, Scheme.TECH, "科创方案第二条、第十二条"),
        (ReasonCode.LOAN_TYPE, Scheme.MICRO, "小微办法第六条"),
        (ReasonCode.OTHER_COVER, Scheme.MICRO, "小微办法第六条"),
        (ReasonCode.RISK_SHARE, Scheme.TECH, "科创方案第七条"),
        (ReasonCode.AMOUNT_CAP, Scheme.TECH, "科创方案第七条"),
        (ReasonCode.RATE_CAP, Scheme.MICRO, "小微办法第六条"),
        (ReasonCode.FILING_LATE, Scheme.MICRO, "小微办法第十二条"),
        (ReasonCode.FILING_LATE, Scheme.TECH, "科创方案第十三条"),
        (ReasonCode.NPL_BEFORE_FILING, Scheme.TECH, "科创方案第七条"),
        (ReasonCode.CLAIM_LATE, Scheme.MICRO, "小微办法第十三条"),
        (ReasonCode.CLAIM_LATE, Scheme.TECH, "科创方案第十四条"),
        (ReasonCode.BANK_SUSPENDED, Scheme.MICRO, "小微办法第八条"),
        (ReasonCode.BANK_SUSPENDED, Scheme.TECH, "科创方案第九条"),
        (ReasonCode.BAD_CREDIT_CODE, None, "GB 32100-2015"),
    ],
)
def test_message_cites_the_article_of_the_scheme(code, scheme, citation):
    assert citation in str(reason(code, scheme).message)


def test_not_in_bda_message_reads_as_in_the_brief():
    assert str(reason(ReasonCode.NOT_IN_BDA, Scheme.MICRO).message) == (
        "借款人不在经开区内经营（小微办法第五条）"
    )


def test_message_without_a_scheme_cites_both_policies():
    message = str(reason(ReasonCode.CLAIM_LATE).message)
    assert "小微办法第十三条" in message
    assert "科创方案第十四条" in message


def test_figures_pick_the_message_that_names_them():
    message = str(
        reason(
            ReasonCode.AMOUNT_CAP,
            Scheme.MICRO,
            total=yuan(Decimal("10000000.01")),
            cap=yuan(Decimal("10000000.00")),
        ).message
    )
    assert message == (
        "同一合作银行对该企业的贷款金额（含本笔）¥10,000,000.01超过上限¥10,000,000.00"
        "（小微办法第六条）"
    )


def test_figures_no_message_names_are_a_programming_error():
    with pytest.raises(ValueError, match="no message"):
        reason(ReasonCode.DUPLICATE, colour="red")


def test_messages_are_lazy_translations_rendered_when_shown():
    message = reason(ReasonCode.DUPLICATE).message
    assert isinstance(message, Promise)
    with translation.override("zh-hans"):
        assert str(message) == "同一借据已经备案，或同一笔贷款已有未结的补偿申请"


def test_policy_error_carries_code_and_default_message():
    error = PolicyError(ReasonCode.DUPLICATE)
    assert error.code is ReasonCode.DUPLICATE
    assert str(error.message) == str(reason(ReasonCode.DUPLICATE).message)
    assert error.reason == Reason(ReasonCode.DUPLICATE, error.message)
    assert str(error).startswith("DUPLICATE: ")


def test_calendar_unknown_is_a_policy_error_naming_the_year():
    error = CalendarUnknown(2027)
    assert isinstance(error, PolicyError)
    assert error.code is ReasonCode.CALENDAR_UNKNOWN
    assert error.year == 2027
    assert "2027" in str(error.message)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own object
    assert copy.year == 2027
