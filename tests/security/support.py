"""Builders for the log-in protection tests."""

from __future__ import annotations

import datetime as dt

from yoyaku.core import clock
from yoyaku.core.models import User

ATTACKER_IP = "203.0.113.66"
RIGHT_PASSWORD = "19850412"
WRONG_PASSWORDS = ["19700101", "12345678", "password1"]


def registrant(municipality, number: str, password: str = RIGHT_PASSWORD) -> User:
    return User.objects.create_user(
        username=User.make_username(municipality, User.Kind.REGISTRANT, number),
        password=password,
        municipality=municipality,
        login_id=number,
        kind=User.Kind.REGISTRANT,
    )


def log_in(client, municipality, number, password, ip, user_agent="Mozilla/5.0 (test)", **extra):
    return client.post(
        f"/{municipality.slug}/login/",
        {"user_number": number, "password": password},
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=user_agent,
        **extra,
    )


def wait(travel, seconds: int) -> None:
    travel(clock.now() + dt.timedelta(seconds=seconds))
