"""The sign-in backend: Django's model backend, whose read of the signed-in user on every request
also reads the user's role group (``accounts.roles.role_of``) in the same query."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from .roles import ROLE_GROUP_ATTR, role_group_subquery


class RoleModelBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            user = model._default_manager.annotate(
                **{ROLE_GROUP_ATTR: role_group_subquery()}).get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
