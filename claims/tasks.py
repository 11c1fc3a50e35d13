"""The claims' nightly job: the reviewers' queue starts the day with every stored age current."""

from celery import shared_task
from django.utils import timezone

from fund.selectors import policy_context

from .models import Claim
from .review.selectors import review_ages_refresh


@shared_task(name="claims.tasks.refresh_review_ages", acks_late=True)
def refresh_review_ages() -> int:
    """Compute the review age of every claim for today (``review_ages_refresh``), so that the
    first reviewer of the day does not wait for thousands of them. Idempotent; returns how many
    were computed."""
    return review_ages_refresh(Claim.objects.all(), today=timezone.localdate(),
                               calendar=policy_context().calendar)
