"""Each signal finds its cluster with the evidence, and nothing for unrelated registrants."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.integrity.helpers import active, applicant, seen
from tests.lottery.test_rounds import make_round
from tests.reservations.helpers import resort
from yoyaku.integrity import selectors, services
from yoyaku.integrity.models import Sighting
from yoyaku.integrity.selectors import signal_clusters
from yoyaku.registrants import services as registrants

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


def kinds(municipality) -> dict[str, list]:
    found: dict[str, list] = {}
    for cluster in signal_clusters(municipality=municipality):
        found.setdefault(cluster.kind, []).append(cluster)
    return found


def members(cluster) -> set[int]:
    return {m["registrant"].pk for m in cluster.members}


def test_unrelated_registrants_make_no_signal(ukiha, admin):
    people = [active(ukiha, admin) for _ in range(4)]
    for n, person in enumerate(people):
        seen(person, device=f"{n}" * 32, ip=f"198.51.{n}.1")
    assert signal_clusters(municipality=ukiha) == []


def test_same_kana_and_birth_date__the_same_person_however_the_name_was_spaced(ukiha, admin):
    first = active(ukiha, admin, name_kana="ウキハ　タロウ", birth_date=dt.date(1980, 5, 1))
    second = applicant(ukiha, name_kana="ウキハタロウ", birth_date=dt.date(1980, 5, 1))
    applicant(ukiha, name_kana="ウキハ　タロウ", birth_date=dt.date(1980, 5, 2))  # another day
    (cluster,) = kinds(ukiha)["same_person"]
    assert members(cluster) == {first.pk, second.pk}
    assert cluster.strength == "high"
    assert cluster.matched == ("name_kana", "birth_date")
    shown = cluster.members[0]
    assert shown["birth_date"] == "1980-05-01"
    assert shown["phone"] != first.phone and "•" in shown["phone"]  # did not match: masked


def test_same_phone_and_same_email_are_signals_with_only_that_field_in_full(ukiha, admin):
    a = active(ukiha, admin, phone="0943-11-2222")
    b = active(ukiha, admin, phone="09431122 22".replace(" ", ""))
    c = active(ukiha, admin, email="shared@example.jp")
    d = active(ukiha, admin, email="SHARED@example.jp")
    found = kinds(ukiha)
    (phone,) = found["same_phone"]
    (email,) = found["same_email"]
    assert members(phone) == {a.pk, b.pk} and members(email) == {c.pk, d.pk}
    assert [m["phone"] for m in phone.members] == [a.phone, b.phone]
    assert all("•" in m["email"] for m in phone.members)
    assert {m["email"].lower() for m in email.members} == {"shared@example.jp"}


def test_same_address_of_different_people_is_a_weak_signal(ukiha, admin):
    home = {"postal_code": "839-1393", "city": "うきは市", "street": "吉井町新治３１６"}
    family = [active(ukiha, admin, **home) for _ in range(2)]
    (cluster,) = kinds(ukiha)["same_address"]
    assert members(cluster) == {p.pk for p in family}
    assert cluster.strength == "low"
    assert all("吉井町新治３１６" in m["address"] for m in cluster.members)


def test_the_same_representative_of_several_groups_and_the_same_group_twice(ukiha, admin):
    rep = {"name_kana": "ダイヒョウ　タロウ", "birth_date": dt.date(1970, 3, 3)}
    group = {"kind": "group", "member_count": 10, "activity": "バレーボール"}
    one = active(
        ukiha, admin, group_name="浮羽バレー部", group_name_kana="ウキハバレーブ", **group, **rep
    )
    two = applicant(
        ukiha, group_name="吉井卓球会", group_name_kana="ヨシイタッキュウカイ", **group, **rep
    )
    again = applicant(ukiha, group_name="浮羽 バレー部", group_name_kana="ウキハ バレーブ", **group)
    found = kinds(ukiha)
    (rep_cluster,) = found["group_representative"]
    assert members(rep_cluster) == {one.pk, two.pk}
    (same_group,) = found["same_group"]
    assert members(same_group) == {one.pk, again.pk}
    assert "same_person" not in found  # groups are not individuals


def test_one_device_used_by_several_registrants(ukiha, admin):
    a, b, c = (active(ukiha, admin) for _ in range(3))
    seen(a, device="A" * 32)
    seen(b, device="A" * 32)
    seen(b, device="A" * 32, kind=Sighting.Kind.LOTTERY_APPLY)
    seen(c, device="C" * 32)
    (cluster,) = kinds(ukiha)["same_device"]
    assert members(cluster) == {a.pk, b.pk}
    assert cluster.events == 3
    assert cluster.strength == "medium"


def test_many_registrations_from_one_network_on_one_day(ukiha, admin, travel):
    people = [active(ukiha, admin) for _ in range(4)]
    for n, person in enumerate(people[:3]):
        seen(person, Sighting.Kind.REGISTRATION, device=f"{n}" * 32, ip=f"203.0.113.{n + 1}")
    travel(dt.datetime(2026, 6, 3, 10, 0))  # another day: does not add up
    seen(people[3], Sighting.Kind.REGISTRATION, device="9" * 32, ip="203.0.113.50")
    (cluster,) = kinds(ukiha)["same_network"]
    assert members(cluster) == {p.pk for p in people[:3]}
    assert cluster.day == dt.date(2026, 6, 1)


def test_two_registrations_from_one_network_are_not_yet_a_signal(ukiha, admin):
    for n in range(2):
        seen(active(ukiha, admin), Sighting.Kind.REGISTRATION, device=f"{n}" * 32)
    assert "same_network" not in kinds(ukiha)


def test_several_registrants_applying_to_one_round_from_one_device(minato, travel):
    travel(dt.datetime(2026, 6, 2, 9, 0))
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type])
    other = make_round(minato, [room_type], name="別の回")
    admin = f.staff_user(minato)
    people = [active(minato, admin) for _ in range(3)]
    for person in people:
        seen(person, Sighting.Kind.LOTTERY_APPLY, device="L" * 32, lottery_round=lottery)
    seen(active(minato, admin), Sighting.Kind.LOTTERY_APPLY, device="M" * 32, lottery_round=other)
    (cluster,) = kinds(minato)["lottery_device"]
    assert members(cluster) == {p.pk for p in people}
    assert cluster.lottery_round == lottery
    assert cluster.strength == "high"


def test_ended_registrations_are_left_out(ukiha, admin):
    a = active(ukiha, admin, phone="0943-11-3333")
    active(ukiha, admin, phone="0943-11-3333")
    registrants.registration_delete(registrant=a, by=admin, reason="other")
    assert "same_phone" not in kinds(ukiha)


def test_a_dismissed_cluster_stays_away_until_new_evidence_joins_it(ukiha, admin):
    phone = {"phone": "0943-11-4444"}
    a, b = active(ukiha, admin, **phone), active(ukiha, admin, **phone)
    (cluster,) = signal_clusters(municipality=ukiha)
    services.signal_dismiss(municipality=ukiha, cluster=cluster, by=admin, reason="夫婦の固定電話")
    assert signal_clusters(municipality=ukiha) == []
    assert len(signal_clusters(municipality=ukiha, include_dismissed=True)) == 1
    c = active(ukiha, admin, **phone)
    (back,) = signal_clusters(municipality=ukiha)
    assert members(back) == {a.pk, b.pk, c.pk}


def test_the_signals_take_the_same_queries_for_a_few_or_many_registrants(ukiha, admin):
    def build(n: int) -> None:
        for _ in range(n):
            a, b = active(ukiha, admin, phone="0943-99-0000"), active(ukiha, admin)
            seen(a, device="Q" * 32)
            seen(b, device="Q" * 32)

    build(1)
    with CaptureQueriesContext(connection) as few:
        signal_clusters(municipality=ukiha)
    build(10)
    with CaptureQueriesContext(connection) as many:
        signal_clusters(municipality=ukiha)
    assert len(many) == len(few)
    assert len(few) <= 14


def test_masking_keeps_ends_only():
    assert selectors.mask("0943-75-1234") == "09••••••••34"
    assert selectors.mask("abc") == "•••"
    assert selectors.mask("") == ""
