"""The batch check: one JSON-serialisable output per case, in order; malformed cases never raise."""

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from riskcomp.policy.batch import run_cases
from riskcomp.policy.context import PolicyContext, default_context
from riskcomp.policy.workdays import WorkdayCalendar

CTX = default_context()
FIXTURE = json.loads((Path(__file__).parent / "policy_cases" / "batch.json").read_text("utf-8"))


@pytest.mark.parametrize("item", FIXTURE, ids=[item["case"]["id"] for item in FIXTURE])
def test_batch_case_gives_the_expected_output(item):
    (output,) = run_cases([item["case"]], CTX)
    expected = item["expected"]
    if "error_startswith" in expected:
        assert output["id"] == expected["id"]
        assert output["error"].startswith(expected["error_startswith"])
        assert set(output) == {"id", "error"}
    else:
        assert output == expected


def test_outputs_are_one_per_case_in_order_and_json_serialisable():
    cases = [item["case"] for item in FIXTURE] + [42, {"kind": "loan"}]
    outputs = run_cases(cases, CTX)
    assert [o["id"] for o in outputs] == [c["id"] for c in cases[:-2]] + [None, None]
    json.dumps(outputs)  # raises on Decimal, date or lazy strings


def test_run_cases_does_not_change_its_input():
    cases = [item["case"] for item in FIXTURE]
    before = copy.deepcopy(cases)
    run_cases(cases, CTX)
    assert cases == before


def test_the_calendar_of_the_context_is_used():
    ctx = PolicyContext(
        params=CTX.params,
        lpr=CTX.lpr,
        calendar=WorkdayCalendar(overrides={date(2027, 1, 1): False}, known_years=[2027]),
    )
    (output,) = run_cases([{"kind": "workdays", "id": 1, "start": "2026-12-30", "days": 5}], ctx)
    # 31 Dec, (1 Jan off), 4, 5, 6, 7 Jan.
    assert output == {"id": 1, "date": "2027-01-07"}


def test_a_workdays_case_accepts_a_count_as_a_string_of_digits():
    (output,) = run_cases([{"kind": "workdays", "id": "w", "start": "2025-09-30", "days": "1"}],
                          CTX)
    assert output == {"id": "w", "date": "2025-10-09"}


def test_a_risk_sharing_share_below_twenty_percent_is_refused():
    case = copy.deepcopy(FIXTURE[3]["case"])  # the risk-sharing loan
    case["loan"]["bank_risk_share_percent"] = "18.5"
    (output,) = run_cases([case], CTX)
    assert output["verdicts"]["TECH"]["reasons"] == ["RISK_SHARE"]
    assert output["scheme"] is None
    assert output["ratio"] is None


def test_a_risk_sharing_share_above_the_cap_gives_twenty_percent():
    case = copy.deepcopy(FIXTURE[3]["case"])
    case["loan"]["bank_risk_share_percent"] = "22.5"
    (output,) = run_cases([case], CTX)
    assert output["ratio"] == "0.20"


def _loan_case(**changes):
    case = copy.deepcopy(FIXTURE[0]["case"])
    for path, value in changes.items():
        target = case
        *parents, leaf = path.split("__")
        for parent in parents:
            target = target[parent]
        if value is DELETE:
            del target[leaf]
        else:
            target[leaf] = value
    return case


DELETE = object()

MALFORMED = [
    # (id, case, words the error must contain)
    ("list", ["kind", "loan"], ["case", "object"]),
    ("string", "loan", ["case", "object"]),
    ("null", None, ["case", "object"]),
    ("no-kind", {"id": "x"}, ["kind", "required"]),
    ("unknown-kind", {"id": "x", "kind": "mortgage"}, ["kind", "mortgage"]),
    ("no-id", _loan_case(id=DELETE), ["id", "required"]),
    ("no-amount", _loan_case(loan__amount=DELETE), ["loan.amount", "required"]),
    ("amount-with-comma", _loan_case(loan__amount="1,000,000.00"), ["loan.amount", "decimal"]),
    ("amount-as-float", _loan_case(loan__amount=1000000.5), ["loan.amount", "decimal string"]),
    ("amount-zero", _loan_case(loan__amount="0"), ["loan.amount"]),
    ("amount-negative", _loan_case(loan__amount="-5"), ["loan.amount", "at least"]),
    ("amount-nan", _loan_case(loan__amount="NaN"), ["loan.amount", "finite"]),
    ("bad-date", _loan_case(loan__drawdown_date="2025-13-01"), ["loan.drawdown_date", "ISO"]),
    ("date-as-number", _loan_case(filing_date=20251028), ["filing_date", "ISO"]),
    ("maturity-before-drawdown", _loan_case(loan__maturity_date="2025-09-14"),
     ["loan.maturity_date", "before"]),
    ("unknown-enterprise-kind", _loan_case(enterprise__kind="partnership"),
     ["enterprise.kind", "partnership"]),
    ("unknown-size", _loan_case(enterprise__size="huge"), ["enterprise.size", "huge"]),
    ("unknown-loan-type", _loan_case(loan__type="mortgage"), ["loan.type", "mortgage"]),
    ("unknown-scheme", _loan_case(bank_schemes=["MICRO", "GREEN"]), ["bank_schemes[1]", "GREEN"]),
    ("schemes-not-a-list", _loan_case(bank_schemes="MICRO"), ["bank_schemes", "list"]),
    ("bool-as-string", _loan_case(enterprise__in_bda="yes"), ["enterprise.in_bda", "true"]),
    ("no-enterprise", _loan_case(enterprise=DELETE), ["enterprise", "required"]),
    ("no-conduct-at-all", _loan_case(enterprise__conduct_ok=DELETE),
     ["enterprise.micro_conduct_ok", "required"]),
    ("tech-conduct-missing", _loan_case(enterprise__conduct_ok=DELETE,
                                        enterprise__micro_conduct_ok=True),
     ["enterprise.tech_conduct_ok", "required"]),
    ("conduct-as-string", _loan_case(enterprise__conduct_ok=DELETE,
                                     enterprise__micro_conduct_ok="yes",
                                     enterprise__tech_conduct_ok=True),
     ["enterprise.micro_conduct_ok", "true"]),
    ("qualification-type", _loan_case(enterprise__qualifications=[
        {"type": "famous", "valid_from": "2024-01-01", "valid_to": "2026-01-01"}]),
     ["enterprise.qualifications[0].type", "famous"]),
    ("qualification-dates", _loan_case(enterprise__qualifications=[
        {"type": "high_tech", "valid_from": "2026-01-01", "valid_to": "2024-01-01"}]),
     ["enterprise.qualifications[0].valid_to"]),
    ("fx-missing", _loan_case(loan__currency="USD"), ["loan.fx_rate", "USD"]),
    ("suspension-no-state", {"kind": "suspension", "id": "s", "scheme": "MICRO",
                             "filed_principal": "1", "claimed_principal": "0",
                             "net_compensation": "0"}, ["was_suspended", "required"]),
    ("suspension-scheme", {"kind": "suspension", "id": "s", "scheme": "BOTH",
                           "filed_principal": "1", "claimed_principal": "0",
                           "net_compensation": "0", "was_suspended": False}, ["scheme", "BOTH"]),
    ("return-ratio", {"kind": "return", "id": "r", "recovered": "1", "ratio": "1.5", "paid": "1",
                      "returned_before": "0", "recovery_date": "2025-10-09",
                      "notified_date": "2025-10-10"}, ["ratio"]),
    ("return-no-paid", {"kind": "return", "id": "r", "recovered": "1", "ratio": "0.3",
                        "returned_before": "0", "recovery_date": "2025-10-09",
                        "notified_date": "2025-10-10"}, ["paid", "required"]),
    ("workdays-negative", {"kind": "workdays", "id": "w", "start": "2025-10-09", "days": -1},
     ["days"]),
    ("workdays-text", {"kind": "workdays", "id": "w", "start": "2025-10-09", "days": "three"},
     ["days"]),
    ("workdays-no-start", {"kind": "workdays", "id": "w", "days": 1}, ["start", "required"]),
]


@pytest.mark.parametrize(
    ("case", "words"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_a_malformed_case_gives_an_error_naming_the_field(case, words):
    (output,) = run_cases([case], CTX)
    assert set(output) == {"id", "error"}
    for word in words:
        assert word in output["error"]
    expected_id = case.get("id") if isinstance(case, dict) else None
    assert output["id"] == expected_id


# Each scheme's own conduct conditions: MICRO Art. 5(2), TECH Art. 2, 6(2).
@pytest.mark.parametrize(
    ("conduct", "micro", "tech", "scheme"),
    [
        # On the abnormal-operations list, no penalty: MICRO only.
        ({"micro_conduct_ok": True, "tech_conduct_ok": False}, [], ["CONDUCT"], "MICRO"),
        # A major administrative penalty, on no TECH list: TECH only.
        ({"micro_conduct_ok": False, "tech_conduct_ok": True}, ["CONDUCT"], [], "TECH"),
        # The single field of older inputs stands for both schemes.
        ({"conduct_ok": False}, ["CONDUCT"], ["CONDUCT"], None),
        ({"conduct_ok": True}, [], [], "TECH"),
        # A scheme's own key wins over the single field.
        ({"conduct_ok": True, "tech_conduct_ok": False}, [], ["CONDUCT"], "MICRO"),
    ],
    ids=["abnormal-list", "penalty", "old-field-no", "old-field-yes", "own-key-wins"],
)
def test_each_scheme_is_judged_on_its_own_conduct_attestation(conduct, micro, tech, scheme):
    case = _loan_case(enterprise__conduct_ok=DELETE)
    case["enterprise"].update(conduct)
    (output,) = run_cases([case], CTX)
    assert output["verdicts"]["MICRO"]["reasons"] == micro
    assert output["verdicts"]["TECH"]["reasons"] == tech
    assert output["scheme"] == scheme
