"""The one rule for the order of a loan's events, asked by the filing form, the import, the
batch check, the classification reports and the review."""

from datetime import date

import pytest

from riskcomp.policy.contradictions import out_of_order

D = date(2026, 3, 10)


@pytest.mark.parametrize(("dates", "wrong"), [
    ({"drawdown_date": D, "maturity_date": date(2026, 3, 9)},
     [("drawdown_date", "maturity_date")]),
    ({"drawdown_date": D, "maturity_date": D}, []),  # the same day is in order
    ({"drawdown_date": D, "filed_on": date(2026, 3, 1)}, [("drawdown_date", "filed_on")]),
    ({"drawdown_date": D, "classification_date": date(2026, 2, 1)},
     [("drawdown_date", "classification_date")]),
    ({"classification_date": D, "submitted_on": date(2026, 3, 9)},
     [("classification_date", "submitted_on")]),
    ({"drawdown_date": D, "maturity_date": None}, []),  # an unknown date breaks no order
])
def test_each_pair_out_of_order_is_named(dates: dict[str, date | None],
                                         wrong: list[tuple[str, str]]) -> None:
    assert out_of_order(**dates) == wrong


def test_every_breach_is_named_in_the_rule_s_order() -> None:
    assert out_of_order(drawdown_date=D, maturity_date=date(2026, 1, 1),
                        filed_on=date(2026, 1, 2), classification_date=date(2026, 1, 3),
                        submitted_on=date(2026, 1, 2)) == [
        ("drawdown_date", "maturity_date"), ("drawdown_date", "filed_on"),
        ("drawdown_date", "classification_date"), ("classification_date", "submitted_on")]


def test_a_misspelt_event_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="maturity"):
        out_of_order(drawdown_date=D, maturity=D)
