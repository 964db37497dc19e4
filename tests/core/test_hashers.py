"""Passwords are hashed with Argon2id at OWASP's parameters, and a hash made with the old,
heavier parameters is upgraded when its owner next logs in."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, identify_hasher

from tests import factories as f
from tests.registrants import builders
from yoyaku.core.hashers import RushArgon2PasswordHasher

pytestmark = pytest.mark.django_db

HASHERS = [
    "yoyaku.core.hashers.RushArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def params(encoded: str) -> dict:
    decoded = identify_hasher(encoded).decode(encoded)
    return {k: decoded[k] for k in ("memory_cost", "time_cost", "parallelism")}


def test_new_passwords__use_argon2id_at_owasp_parameters(settings):
    settings.PASSWORD_HASHERS = HASHERS
    encoded = RushArgon2PasswordHasher().encode("abcd1234", RushArgon2PasswordHasher().salt())
    assert encoded.startswith("argon2$argon2id$")
    assert params(encoded) == {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}


def test_an_old_heavier_hash__still_logs_in_and_is_upgraded(client, ukiha, settings):
    settings.PASSWORD_HASHERS = HASHERS
    person = builders.active(ukiha, f.staff_user(ukiha))
    old = Argon2PasswordHasher()  # Django's default: 100 MiB, 8 lanes
    person.user.password = old.encode("abcd1234", old.salt())
    person.user.save(update_fields=["password"])
    assert params(person.user.password)["memory_cost"] == 102400

    response = client.post(
        "/ukiha/login/", {"user_number": person.user_number, "password": "abcd1234"}
    )
    assert response.status_code == 302
    person.user.refresh_from_db()
    assert params(person.user.password) == {"memory_cost": 19456, "time_cost": 2, "parallelism": 1}
