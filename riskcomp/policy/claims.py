"""Whether a claim for compensation (补偿申报) may be submitted (MICRO Art. 6, 8, 13; TECH Art. 7,
9, 14)."""

from __future__ import annotations

from datetime import date

from .deadlines import claim_deadline, quarter_of
from .params import SchemeParams
from .reasons import Reason, reason
from .types import Classification, ReasonCode, Scheme, is_non_performing


def classified_before_filing(classified_on: date | None, filing_accepted_on: date) -> bool:
    """Whether a classification as non-performing came before the filing was accepted.

    Reading (same day): only a classification dated strictly before the day the filing was
    accepted counts as "before"; on the same day the filing is taken to come first.
    """
    return classified_on is not None and classified_on < filing_accepted_on


def claim_refusals(
    *,
    scheme: Scheme,
    classification: Classification | None,
    classified_on: date | None,
    filing_accepted_on: date,
    npl_before_filing: bool,
    maturity_date: date,
    claim_date: date,
    params: SchemeParams,
    bank_suspended: bool,
    has_open_claim: bool,
) -> tuple[Reason, ...]:
    """Every reason a claim is refused; empty when it may be submitted.

    ``classification`` / ``classified_on``: the loan's current classification and the date the
    loan was (this time) classified non-performing; ``npl_before_filing``: the loan's history shows
    a non-performing classification before the filing was accepted, even if cured since.
    """
    scheme = Scheme(scheme)
    if scheme != params.scheme:
        raise ValueError(f"params of {params.scheme} given for {scheme}")
    refusals: list[Reason] = []
    # MICRO Art. 6(1), 13 / TECH Art. 7(3), 14: substandard, doubtful or loss.
    if classification is None:
        refusals.append(reason(ReasonCode.NOT_NPL, scheme, under=params))
    elif not is_non_performing(Classification(classification)):
        refusals.append(
            reason(ReasonCode.NOT_NPL, scheme, under=params,
                   classification=Classification(classification))
        )
    # MICRO Art. 6(2) / TECH Art. 7(4): non-performing only after the filing was accepted.
    if classified_before_filing(classified_on, filing_accepted_on) and classified_on is not None:
        refusals.append(
            reason(
                ReasonCode.NPL_BEFORE_FILING,
                scheme,
                under=params,
                classified_on=classified_on,
                accepted_on=filing_accepted_on,
            )
        )
    elif npl_before_filing:
        refusals.append(reason(ReasonCode.NPL_BEFORE_FILING, scheme, under=params))
    # MICRO Art. 13 / TECH Art. 14: within 12 months of the contract's maturity date.
    deadline = claim_deadline(maturity_date, params)
    if claim_date > deadline:
        refusals.append(
            reason(
                ReasonCode.CLAIM_LATE,
                scheme,
                under=params,
                claim_date=claim_date,
                maturity=maturity_date,
                months=params.claim_window_months,
                deadline=deadline,
            )
        )
    # MICRO Art. 8 / TECH Art. 9, 17; Reading (suspension): new claims are refused.
    if bank_suspended:
        refusals.append(reason(ReasonCode.BANK_SUSPENDED, scheme, under=params))
    # One open claim per loan.
    if has_open_claim:
        refusals.append(reason(ReasonCode.DUPLICATE, scheme))
    return tuple(refusals)


def proposal_admits(quarter: tuple[int, int], passed_on: date | None) -> bool:
    """Whether a proposal to the bureau for ``quarter`` (year, quarter) may carry a claim that
    passed the first review on ``passed_on``.

    Reading (TECH Art. 15, "按季度"): a proposal of quarter P carries the claims that passed the
    first review in P or in an earlier quarter (claims held back, e.g. while their bank was
    suspended, go with the next proposal); a claim passed after P waits for its own quarter. The
    same reading serves MICRO, whose proposals are labelled by quarter too. A claim without a
    recorded pass day is admitted.
    """
    return passed_on is None or quarter_of(passed_on) <= quarter
