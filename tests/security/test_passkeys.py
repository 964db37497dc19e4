"""Passkeys as the webauthn library checks them: a real key pair signs real answers."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from tests import factories as f
from tests.reservations.helpers import registrant
from tests.security.webauthn_support import SoftAuthenticator
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog, User
from yoyaku.security import passkeys
from yoyaku.security.models import Passkey

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone():
    return SoftAuthenticator(origin=settings.YOYAKU_PASSKEY_ORIGINS[0])


def add_passkey(user: User, phone: SoftAuthenticator, name: str = "スマートフォン") -> Passkey:
    ceremony = passkeys.passkey_registration_options(user=user)
    return passkeys.passkey_register(
        user=user,
        name=name,
        credential=phone.create(ceremony.options_json),
        challenge=ceremony.challenge,
    )


def log_in(phone: SoftAuthenticator, municipality, **kw) -> User | None:
    ceremony = passkeys.passkey_authentication_options()
    return passkeys.passkey_authenticate(
        credential=phone.get(ceremony.options_json, **kw),
        challenge=ceremony.challenge,
        municipality=municipality,
        kind=User.Kind.REGISTRANT,
    )


def test_a_passkey_added__logs_its_owner_in_and_both_are_audited(city, phone):
    person = registrant(city)
    passkey = add_passkey(person.user, phone)
    assert passkey.transports == ["internal"]
    assert log_in(phone, city) == person.user
    passkey.refresh_from_db()
    assert passkey.sign_count == 1
    assert passkey.last_used_at is not None
    actions = list(
        AuditLog.objects.filter(
            target_type="security.passkey", target_id=str(passkey.pk)
        ).values_list("action", flat=True)
    )
    assert sorted(actions) == ["passkey.add", "passkey.login"]


def test_registration_options__ask_for_a_discoverable_verified_passkey_and_exclude_existing(
    city, phone
):
    person = registrant(city)
    first = add_passkey(person.user, phone)
    options = json.loads(passkeys.passkey_registration_options(user=person.user).options_json)
    assert options["rp"]["id"] == settings.YOYAKU_PASSKEY_RP_ID
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert [c["id"] for c in options["excludeCredentials"]] == [first.credential_id]


def test_an_answer_from_another_site__is_refused_and_nothing_is_stored(city):
    person = registrant(city)
    phishing = SoftAuthenticator(origin="https://yoyaku.example.evil")
    with pytest.raises(DomainError) as refused:
        add_passkey(person.user, phishing)
    assert refused.value.code == "passkey_invalid"
    assert not Passkey.objects.exists()


def test_an_answer_to_another_challenge__is_refused(city, phone):
    person = registrant(city)
    old = passkeys.passkey_registration_options(user=person.user)
    new = passkeys.passkey_registration_options(user=person.user)
    with pytest.raises(DomainError):
        passkeys.passkey_register(
            user=person.user,
            name="PC",
            credential=phone.create(old.options_json),
            challenge=new.challenge,
        )
    assert not Passkey.objects.exists()


def test_a_name_is_required(city, phone):
    person = registrant(city)
    with pytest.raises(DomainError) as refused:
        add_passkey(person.user, phone, name="   ")
    assert refused.value.code == "passkey_name_required"


def test_at_most_ten_passkeys_per_person(city, phone):
    person = registrant(city)
    for n in range(passkeys.MAX_PER_USER):
        add_passkey(person.user, phone, name=f"鍵{n}")
    with pytest.raises(DomainError) as refused:
        add_passkey(person.user, phone, name="もう一つ")
    assert refused.value.code == "passkey_too_many"


def test_a_sign_count_that_does_not_go_up__is_refused_as_a_cloned_key(city, phone):
    person = registrant(city)
    passkey = add_passkey(person.user, phone)
    assert log_in(phone, city, sign_count=5) == person.user
    assert log_in(phone, city, sign_count=5) is None  # the same counter again
    assert log_in(phone, city, sign_count=3) is None  # lower
    passkey.refresh_from_db()
    assert passkey.sign_count == 5
    failed = AuditLog.objects.filter(action="passkey.failed")
    assert [row.data["reason"] for row in failed] == ["sign_count", "sign_count"]


def test_without_user_verification__the_passkey_does_not_log_in(city, phone):
    person = registrant(city)
    add_passkey(person.user, phone)
    phone.user_verified = False
    assert log_in(phone, city) is None


def test_a_passkey_of_another_municipality__does_not_log_in_here(city, phone):
    other = f.MunicipalityFactory(slug="minato")
    add_passkey(registrant(other).user, phone)
    assert log_in(phone, city) is None
    assert log_in(phone, other) is not None


def test_a_deactivated_account__cannot_log_in_with_its_passkey(city, phone):
    person = registrant(city)
    add_passkey(person.user, phone)
    User.objects.filter(pk=person.user.pk).update(is_active=False)
    assert log_in(phone, city) is None


def test_removing_one_and_an_administrator_removing_all__are_audited(city, phone):
    member = f.staff_user(city, login_id="clerk", role=User.StaffRole.CLERK)
    admin = f.staff_user(city, login_id="boss")
    first = add_passkey(member, phone, name="スマホ")
    add_passkey(member, phone, name="PC")
    passkeys.passkey_remove(passkey=first, by=member)
    assert list(Passkey.objects.values_list("name", flat=True)) == ["PC"]
    assert passkeys.passkeys_reset(user=member, by=admin, reason="紛失") == 1
    assert not Passkey.objects.exists()
    reset = AuditLog.objects.get(action="passkey.reset")
    assert reset.actor == admin
    assert reset.data == {"names": ["PC"], "reason": "紛失"}
    assert AuditLog.objects.filter(action="passkey.remove", actor=member).count() == 1


MALFORMED = [
    None,
    1,
    "x",
    [],
    {},
    {"id": 5},
    {"id": "AA", "rawId": "AA", "response": "x"},
    {
        "id": "AA",
        "rawId": "AA",
        "type": "public-key",
        "response": {
            "clientDataJSON": "AA",
            "authenticatorData": "AA",
            "signature": "AA",
            "attestationObject": "AA",
        },
    },
]


@pytest.mark.parametrize("answer", MALFORMED)
def test_a_malformed_answer__is_refused_never_an_error(city, answer):
    person = registrant(city)
    Passkey.objects.create(
        user=person.user, credential_id="AA", public_key=b"x", name="鍵", created_at=clock.now()
    )
    with pytest.raises(DomainError):
        passkeys.passkey_register(user=person.user, name="鍵", credential=answer, challenge="AAAA")
    assert passkeys.passkey_owner(answer) in (None, person.user)
    assert (
        passkeys.passkey_authenticate(
            credential=answer, challenge="AAAA", municipality=city, kind=User.Kind.REGISTRANT
        )
        is None
    )
