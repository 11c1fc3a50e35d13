"""The suspension recompute from the records: claims hold the claimed, paid and returned
figures, so the recompute reads them here and hands them down to ``banks``."""

from datetime import datetime
from typing import Any

from django.db import transaction

from banks.models import SuspensionChange
from banks.services import suspension_lock, suspension_update

from .selectors import suspension_totals


@transaction.atomic
def suspension_recompute(*, actor: Any | None = None, now: datetime | None = None
                         ) -> list[SuspensionChange]:
    """Recompute every bank's automatic suspension in every scheme (MICRO Art. 8, TECH Art. 9)
    and record each change with its figures and reason. Idempotent: a second run changes
    nothing. The number of queries does not depend on the number of banks or claims."""
    # The totals are read under the lock, after any recompute running now has committed.
    suspension_lock()
    return suspension_update(totals=suspension_totals(), actor=actor, now=now)
