"""Suspension of a bank (MICRO Art. 8, TECH Art. 9), a state with hysteresis."""

from decimal import Decimal

import pytest

from riskcomp.policy.params import DEFAULT_SCHEME_PARAMS
from riskcomp.policy.suspension import (
    SuspensionFigures,
    claim_ratio,
    next_suspended,
    threshold_distances,
)
from riskcomp.policy.types import ReasonCode

MICRO, TECH = DEFAULT_SCHEME_PARAMS
D = Decimal
FILED = D("100000000.00")  # 3 % of it is 3,000,000.00
OVER_3 = D("3000000.01")
AT_3 = D("3000000.00")


def figures(claimed, net, filed=FILED):
    return SuspensionFigures(filed_principal=filed, claimed_principal=claimed,
                             net_compensation=net)


@pytest.mark.parametrize(
    ("claimed", "net", "was", "now"),
    [
        # Suspend: ratio above 3 % AND net above 5,000,000.
        (OVER_3, D("5000000.01"), False, True),
        (AT_3, D("9000000.00"), False, False),  # ratio exactly 3 %: not above
        (OVER_3, D("5000000.00"), False, False),  # net exactly 5,000,000: not above
        (D("0.00"), D("9000000.00"), False, False),
        # Resume: ratio back to ≤ 3 % OR net below 5,000,000.
        (OVER_3, D("4999999.99"), True, False),
        (AT_3, D("9000000.00"), True, False),
        (OVER_3, D("9000000.00"), True, True),
        # Between the thresholds the state is kept.
        (OVER_3, D("5000000.00"), True, True),
    ],
)
def test_micro_suspension(claimed, net, was, now):
    suspended, reason = next_suspended(MICRO, figures(claimed, net), was)
    assert suspended is now
    assert (reason is not None) is now


def test_micro_bank_stays_suspended_at_exactly_five_million():
    suspended, reason = next_suspended(MICRO, figures(OVER_3, D("5000000.00")), True)
    assert suspended is True
    assert reason is not None
    assert reason.code is ReasonCode.BANK_SUSPENDED
    assert "京技管发〔2025〕12号第八条" in str(reason.message)


def test_micro_bank_stays_active_at_exactly_five_million():
    assert next_suspended(MICRO, figures(OVER_3, D("5000000.00")), False) == (False, None)


@pytest.mark.parametrize(
    ("net", "was", "now"),
    [
        (D("15000000.01"), False, True),
        (D("15000000.00"), False, False),
        (D("15000000.00"), True, True),  # kept at exactly the threshold
        (D("14999999.99"), True, False),
        (D("0.00"), False, False),
    ],
)
def test_tech_suspension_looks_at_net_compensation_only(net, was, now):
    # A claimed share far above 3 % does not matter under TECH Art. 9.
    suspended, _ = next_suspended(TECH, figures(D("50000000.00"), net), was)
    assert suspended is now


def test_tech_suspension_reason_cites_article_9_and_names_the_net():
    _, reason = next_suspended(TECH, figures(D("0.00"), D("15000000.01")), False)
    assert reason is not None
    assert "15,000,000.01" in str(reason.message)
    assert "京技管发〔2025〕13号第九条" in str(reason.message)


def test_micro_suspension_reason_names_the_ratio_and_the_net():
    _, reason = next_suspended(MICRO, figures(D("4000000.00"), D("6000000.00")), False)
    assert reason is not None
    assert "4.00%" in str(reason.message)
    assert "6,000,000.00" in str(reason.message)


@pytest.mark.parametrize(
    ("filed", "claimed", "expected"),
    [
        (FILED, D("3000000.00"), D("0.03")),
        (D("0.00"), D("0.00"), None),
    ],
)
def test_claim_ratio(filed, claimed, expected):
    assert claim_ratio(figures(claimed, D("0"), filed=filed)) == expected


def test_threshold_distances_for_micro():
    assert threshold_distances(MICRO, figures(D("2500000.00"), D("4000000.00"))) == {
        "net_compensation": D("1000000.00"),
        "claimed_principal": D("500000.00"),
        "claim_ratio": D("0.0050"),
    }


def test_threshold_distances_are_negative_past_the_threshold():
    distances = threshold_distances(MICRO, figures(D("3500000.00"), D("5500000.00")))
    assert distances["net_compensation"] == D("-500000.00")
    assert distances["claimed_principal"] == D("-500000.00")


def test_threshold_distances_for_tech_have_no_ratio():
    assert threshold_distances(TECH, figures(D("2500000.00"), D("4000000.00"))) == {
        "net_compensation": D("11000000.00"),
        "claimed_principal": None,
        "claim_ratio": None,
    }
