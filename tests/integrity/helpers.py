"""Registrants who differ in everything unless a test says what they share."""

from __future__ import annotations

import datetime as dt
import itertools

from tests.registrants import builders
from yoyaku.integrity import services
from yoyaku.integrity.models import Sighting
from yoyaku.registrants import services as registrants

_n = itertools.count(1)


def distinct(**overrides) -> dict:
    """Values nobody else has: name, birth date, phone, e-mail and street."""
    n = next(_n)
    kana = "アイウエオカキクケコサシスセソタチツテトナニヌネノ"
    values = {
        "name_kana": f"ベツ　{kana[n % 25]}{kana[(n // 25) % 25]}{kana[(n // 625) % 25]}",
        "name": f"別　人{n}",
        "birth_date": dt.date(1960, 1, 1) + dt.timedelta(days=n * 11),
        "phone": f"0943-{10 + n // 10000:02d}-{n % 10000:04d}",
        "email": f"someone{n}@example.jp",
        "street": f"吉井町{n}番地",
    }
    values.update(overrides)
    return values


def applicant(municipality, **overrides):
    return builders.apply(municipality, **distinct(**overrides))


def active(municipality, by, **overrides):
    """Approved; when the sign-up check flagged a possible duplicate, staff first said it is
    another person (as for a family sharing a phone)."""
    registrant = applicant(municipality, **overrides)
    if registrant.duplicate_suspected:
        registrant = registrants.registration_clear_duplicate(registrant=registrant, by=by)
    return registrants.registration_approve(registrant=registrant, by=by)


def seen(registrant, kind=Sighting.Kind.LOGIN, *, device="d" * 32, ip="203.0.113.5", **kw):
    return services.sighting_record(registrant=registrant, kind=kind, device_id=device, ip=ip, **kw)
