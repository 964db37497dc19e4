"""Builders for registrants in a given state, through the real services."""

from __future__ import annotations

import datetime as dt

from yoyaku.core.models import Municipality
from yoyaku.registrants import services
from yoyaku.registrants.models import Registrant

_counter = iter(range(1, 10_000))


def apply(municipality: Municipality, **overrides) -> Registrant:
    n = next(_counter)
    data = {
        "kind": Registrant.Kind.INDIVIDUAL,
        "category": Registrant.Category.RESIDENT,
        "name_kana": f"ウキハ　{'アイウエオカキクケコサシスセソ'[n % 15]}{'タチツテト'[n % 5]}",
        "name": f"浮羽　太郎{n}",
        "birth_date": dt.date(1980, 1, 1) + dt.timedelta(days=n * 37),
        "phone": f"0943-75-{n:04d}",
        "email": f"person{n}@example.jp",
        "postal_code": "839-1393",
        "prefecture": "福岡県",
        "city": "うきは市",
        "street": "吉井町新治３１６",
    }
    data.update(overrides)
    channel = overrides.pop("channel", Registrant.Channel.ONLINE)
    data.pop("channel", None)
    return services.registration_apply(municipality=municipality, data=data, channel=channel)


def active(municipality: Municipality, by, **overrides) -> Registrant:
    registrant = apply(municipality, **overrides)
    return services.registration_approve(registrant=registrant, by=by)
