"""Log-in within a municipality: registrants by user number, staff by staff id."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from yoyaku.core.models import Municipality, User


class LoginBackend(ModelBackend):
    def authenticate(
        self,
        request,
        username: str | None = None,
        password: str | None = None,
        *,
        municipality: Municipality | None = None,
        kind: str | None = None,
        login_id: str | None = None,
        **kwargs,
    ):
        if login_id is not None and kind is not None:
            username = User.make_username(municipality, kind, login_id)
        return super().authenticate(request, username=username, password=password, **kwargs)
