"""The project's own probe: property-based requests against every URL pattern of the site.

The URLs come from the resolver (not a hand list): every pattern, with its path parameters
filled from real objects, zero and numbers past the database integer. The parameter names come
from the pages themselves (every input, select and textarea the page renders) and from the view
modules' source (every ``request.GET`` / ``request.POST`` key they read). Hypothesis then sends
GET and POST requests as a visitor, a registrant and a member of staff, with NUL bytes, unicode
digits, huge numbers, long strings, impossible dates, repeated keys and missing fields.

What must hold: no answer is a server error, and nothing stored breaks the rules a form would
have enforced (party sizes within the unit, no NUL in stored text)."""

from __future__ import annotations

import datetime as dt
import inspect
import re
import sys

import pytest
from django.db import models
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as f
from tests.registrants import builders
from tests.reservations.helpers import book_stay, hall, registrant, resort
from yoyaku.core.health import SCHEDULER, WORKER, heartbeat_record

pytestmark = pytest.mark.django_db(transaction=True)

SKIP_PREFIXES = ("i18n/", "dev/mail/", "staff/logout/", "logout/")

# Values that broke pages before, and their relatives.
NASTY = [
    "",
    "\x00",
    "a\x00b",
    "²",
    "١٢",
    "１２",
    "9" * 5000,
    "-1",
    "0",
    str(2**31),
    str(2**63),
    "1e9",
    "1.5",
    "9999-12-31",
    "0000-00-00",
    "2026-02-30",
    "2026-13-45",
    "x" * 10_000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '=HYPERLINK("http://x")',
    "true",
    "null",
    "../../etc/passwd",
    "ukiha",
    "staff",
]

value = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=40),
    st.dates().map(str),
)


def _patterns(resolver: URLResolver, prefix: str = "") -> list[str]:
    routes = []
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            routes.append(route)
    return routes


def _view_param_names() -> set[str]:
    """Every key the citizen and staff views read from ``request.GET`` / ``request.POST``."""
    names: set[str] = set()
    pattern = re.compile(r"request\.(?:GET|POST)(?:\.get|\.getlist)?[\[(]\s*[f]?[\"']([\w-]+)")
    for name, module in list(sys.modules.items()):
        if name.startswith(("yoyaku.citizen", "yoyaku.staff", "yoyaku.core")) and module:
            try:
                names |= set(pattern.findall(inspect.getsource(module)))
            except (OSError, TypeError):
                continue
    return names


FORM_FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"")


@pytest.fixture
def site(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    # The scheduler and a worker are alive: /healthz answers 503 only when one of them is down.
    heartbeat_record(name=SCHEDULER)
    heartbeat_record(name=WORKER)
    m = f.MunicipalityFactory(slug="ukiha")
    _, whole, *_ = hall(m)
    _, room = resort(m)
    person = registrant(m)
    staff = f.staff_user(m, login_id="prober")
    f.notice(m)
    book_stay(person, room, dt.date(2026, 6, 16))
    builders.apply(m)

    # Path parameters: real ids of every kind of object there is, plus the edges.
    from django.apps import apps

    ids = {0, 1, 2**31, 10**25}
    for model in apps.get_models():
        if model._meta.app_label.startswith(("core", "facilities", "registrants", "reserv", "lot")):
            pk = model.objects.values_list("pk", flat=True).order_by("pk").first()
            if isinstance(pk, int):
                ids.add(pk)
    by_name: dict[str, int] = {}
    for model in apps.get_models():
        pk = model.objects.values_list("pk", flat=True).order_by("pk").first()
        if isinstance(pk, int):
            by_name.setdefault(model.__name__.lower(), pk)
    facility_slugs = list(
        apps.get_model("facilities", "Facility").objects.values_list("slug", flat=True)
    )
    _page_fields.clear()
    routes = [r for r in _patterns(get_resolver()) if not r.startswith(SKIP_PREFIXES)]
    clients = {}
    for actor in ("visitor", "registrant", "staff"):
        client = Client(raise_request_exception=False)
        if actor == "registrant":
            client.force_login(person.user)
        elif actor == "staff":
            client.force_login(staff)
        clients[actor] = client
    return {
        "routes": routes,
        "ids": sorted(ids),
        "by_name": by_name,
        "slugs": [*facility_slugs, "x", "ukiha"],
        "clients": clients,
        "names": sorted(_view_param_names()),
        "unit_capacity": max(whole.capacity or 0, room.capacity or 0),
    }


def _real_id(name: str, world) -> str:
    """The id of a real object for a path parameter: ``round_id`` → a LotteryRound's id."""
    stem = name.removesuffix("_id").replace("_", "")
    for model_name, pk in world["by_name"].items():
        if model_name.endswith(stem):
            return str(pk)
    return "1"


def _fill_real(route: str, world) -> str:
    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if name == "municipality":
            return "ukiha"
        if converter in ("int", "id"):
            return _real_id(name, world)
        if converter == "slug":
            return world["slugs"][0]
        return "x"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)


def _fill(route: str, draw, world) -> str:
    def replace(match: re.Match) -> str:
        converter, name = match.group(1), match.group(2)
        if name == "municipality":
            return draw(st.sampled_from(["ukiha", "ukiha", "nowhere"]))
        if converter == "int" or converter == "id":
            return str(draw(st.sampled_from(world["ids"])))
        if converter == "slug":
            return draw(st.sampled_from(world["slugs"]))
        return draw(st.sampled_from(["x", "0", "a" * 64]))

    path = re.sub(r"<(?:(\w+):)?(\w+)>", replace, route)
    path = path.replace("^", "").replace("$", "")
    return "/" + path


_page_fields: dict[tuple[str, str], list[str]] = {}


def _fields(actor: str, client: Client, path: str) -> list[str]:
    key = (actor, path)
    if key not in _page_fields:
        response = client.get(path)
        body = response.content.decode("utf-8", "replace") if response.status_code == 200 else ""
        _page_fields[key] = sorted(set(FORM_FIELD.findall(body)))
    return _page_fields[key]


@st.composite
def requests(draw, world):
    actor = draw(st.sampled_from(["visitor", "registrant", "staff"]))
    route = draw(st.sampled_from(world["routes"]))
    path = _fill(route, draw, world)
    method = draw(st.sampled_from(["get", "post"]))
    known = _fields(actor, world["clients"][actor], path)
    names = draw(
        st.lists(st.sampled_from(known or world["names"]), max_size=12, unique=True)
        | st.lists(st.sampled_from(world["names"]), max_size=6, unique=True)
    )
    data: dict[str, list[str]] = {}
    for name in names:
        data[name] = draw(st.lists(value, min_size=1, max_size=2))
    return actor, method, path, data


def _stored_rules_hold(unit_capacity: int) -> list[str]:
    from yoyaku.reservations.models import Reservation

    broken = []
    for r in Reservation.objects.all():
        party = getattr(r, "party_size", 0) or 0
        if party > max(unit_capacity, 999) or party < 0:
            broken.append(f"reservation {r.pk} party {party}")
    from django.apps import apps

    for model in apps.get_models():
        if not model._meta.app_label.startswith(("registrants", "reserv", "lot")):
            continue
        text_fields = [
            fld.name
            for fld in model._meta.get_fields()
            if isinstance(fld, (models.CharField, models.TextField)) and not fld.choices
        ]
        # Checked in Python: SQLite's LIKE stops at a NUL and would match every row.
        for row in model.objects.values_list(*text_fields) if text_fields else []:
            for fld, stored in zip(text_fields, row, strict=True):
                if stored and "\x00" in stored:
                    broken.append(f"{model.__name__}.{fld} stores a NUL")
    return broken


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_no_request_to_any_url_is_a_server_error(site, data):
    actor, method, path, params = data.draw(requests(site))
    client = site["clients"][actor]
    response = getattr(client, method)(path, params)
    assert response.status_code < 500, (actor, method, path, params)


# The sweep: every URL with real ids, every actor, GET and POST, every parameter name the
# page or its view knows set to one nasty value at a time.
SWEEP = [
    "\x00",
    "a\x00b",
    "²",
    "9" * 5000,
    str(2**31),
    "-1",
    "9999-12-31",
    "2026-02-30",
    "x" * 10_000,
]


def test_no_url_answers_a_nasty_value_with_a_server_error(site):
    errors = []
    for route in site["routes"]:
        path = _fill_real(route, site)
        for actor, client in site["clients"].items():
            names = sorted(set(_fields(actor, client, path)) | set(site["names"]))
            for nasty in SWEEP:
                for method in ("get", "post"):
                    response = getattr(client, method)(path, dict.fromkeys(names, nasty))
                    if response.status_code >= 500:
                        errors.append((actor, method, path, nasty[:12]))
    assert not errors, errors[:40]


def test_the_probe_reaches_every_url_pattern(site):
    # The probe collects its URLs from the resolver: a new page is probed without a hand list.
    routes = site["routes"]
    assert any(r.startswith("staff/reservations/") for r in routes)
    assert any("<slug:municipality>" in r or "<str:municipality>" in r for r in routes)
    assert len(routes) > 60
    assert {"reason", "party_size"} & set(site["names"])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(data=st.data())
def test_nothing_stored_that_a_form_would_refuse(site, data):
    actor, _method, path, params = data.draw(requests(site))
    site["clients"][actor].post(path, params)
    assert not _stored_rules_hold(site["unit_capacity"])
