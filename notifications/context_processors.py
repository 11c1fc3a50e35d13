from functools import cache
from typing import Any

from django.http import HttpRequest

from .selectors import unread_count


def unread(request: HttpRequest) -> dict[str, Any]:
    """The bell's unread count: one query when a page shows it, none when it does not (the
    template calls the function; the result is kept for the rest of the render)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notifications": cache(lambda: unread_count(user=user))}
