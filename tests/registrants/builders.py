"""Builders for registrants in a given state, through the real services."""

from __future__ import annotations

import datetime as dt

from yoyaku.core.models import Municipality
from yoyaku.registrants import selectors, services
from yoyaku.registrants.models import Registrant

_counter = iter(range(1, 10_000))


def apply(municipality: Municipality, **overrides) -> Registrant:
    n = next(_counter)
    data = {
        "kind": Registrant.Kind.INDIVIDUAL,
        "category": Registrant.Category.RESIDENT,
        "name_kana": f"ウキハ　{'アイウエオカキクケコサシスセソ'[n % 15]}{'タチツテト'[n % 5]}",
        "name": f"浮羽　太郎{n}",
        # Distinct dates, all between 1950 and 1999: old enough however many tests ran before.
        "birth_date": dt.date(1950, 1, 1) + dt.timedelta(days=(n * 37) % 18000),
        "phone": f"0943-75-{n:04d}",
        "email": f"person{n}@example.jp",
        "postal_code": "839-1393",
        "prefecture": "福岡県",
        "city": "うきは市",
        "street": "吉井町新治３１６",
    }
    if overrides.get("category") == Registrant.Category.WORKER:
        # A worker gives the workplace (the registration's rule); tests may override it.
        data.update(
            workplace_name="うきは工業株式会社",
            workplace_postal_code="839-1321",
            workplace_prefecture="福岡県",
            workplace_city="うきは市",
            workplace_street="吉井町１２３",
            workplace_phone="0943-75-9999",
        )
    data.update(overrides)
    channel = overrides.pop("channel", Registrant.Channel.ONLINE)
    data.pop("channel", None)
    # The person agreed to the terms in force (when the municipality has any), unless the
    # test names the version.
    if "terms_version" in data:
        terms_version = data.pop("terms_version")
    else:
        terms = selectors.terms_current(municipality)
        terms_version = terms.version if terms else None
    return services.registration_apply(
        municipality=municipality, data=data, channel=channel, terms_version=terms_version
    )


def active(municipality: Municipality, by, **overrides) -> Registrant:
    registrant = apply(municipality, **overrides)
    return services.registration_approve(registrant=registrant, by=by)
