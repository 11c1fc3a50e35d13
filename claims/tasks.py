"""The claims' nightly jobs: the reviewers' queue starts the day with every stored age current,
and every bank's suspension follows its claims, payments and returns."""

from celery import shared_task
from django.utils import timezone

from fund.selectors import policy_context

from .models import Claim
from .review.selectors import review_ages_refresh
from .suspension.services import suspension_recompute


@shared_task(name="claims.tasks.refresh_review_ages", acks_late=True)
def refresh_review_ages() -> int:
    """Compute the review age of every claim for today (``review_ages_refresh``), so that the
    first reviewer of the day does not wait for thousands of them. Idempotent; returns how many
    were computed."""
    return review_ages_refresh(Claim.objects.all(), today=timezone.localdate(),
                               calendar=policy_context().calendar)


# The task keeps the name it had when it lived in ``banks``: the beat schedule and any message
# already queued under that name still reach it.
@shared_task(name="banks.tasks.recompute_suspensions", acks_late=True)
def recompute_suspensions() -> int:
    """Nightly and after every payment or return: recompute suspension states. Idempotent."""
    return len(suspension_recompute())
