"""The public log (公開記録): cancellations and releases, under per-facility pseudonyms."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from tests import factories as f
from tests.reservations.helpers import book_slot, book_stay, hall, registrant, resort
from yoyaku.reservations import booking, public_log
from yoyaku.reservations.models import PublicLogEntry
from yoyaku.reservations.services import unit_block_create, unit_block_remove

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 6, 16)


def test_a_cancellation_is_logged_under_a_pseudonym_without_personal_data(client, ukiha):
    facility, whole, *_ = hall(ukiha)
    person = registrant(ukiha)
    reservation = book_slot(person, whole, DAY, "am-pm")
    booking.reservation_cancel(reservation=reservation, by=person.user)
    entry = PublicLogEntry.objects.get()
    assert entry.kind == "cancelled"
    assert (entry.unit, entry.use_date) == (whole, DAY)
    assert entry.subject == public_log.pseudonym(person.pk, facility.pk)
    assert entry.detail["capacity"] == "freed"
    page = client.get(f"/ukiha/facilities/{facility.slug}/log/").content.decode()
    assert "取消" in page and entry.subject in page and "枠は空きに戻りました" in page
    for personal in (person.user_number, person.name, person.name_kana):
        if personal:
            assert personal not in page


def test_the_pseudonym_is_stable_in_a_facility_and_differs_between_facilities(ukiha):
    one, _ = resort(ukiha)
    other, _ = resort(ukiha)
    assert public_log.pseudonym(7, one.pk) == public_log.pseudonym(7, one.pk)
    assert public_log.pseudonym(7, one.pk) != public_log.pseudonym(7, other.pk)
    assert public_log.pseudonym(7, one.pk) != public_log.pseudonym(8, one.pk)


def test_the_registrant_finds_their_pseudonym_on_the_reservation(client, ukiha):
    facility, room_type = resort(ukiha)
    person = registrant(ukiha)
    reservation = book_stay(person, room_type, DAY)
    client.force_login(person.user)
    page = client.get(f"/ukiha/reservations/{reservation.pk}/").content.decode()
    assert public_log.pseudonym(person.pk, facility.pk) in page


def test_expiry_rejection_and_a_lifted_block_are_logged(ukiha):
    _facility, whole, half_a, _ = hall(ukiha)
    staff = f.staff_user(ukiha, login_id="clerk")
    block = unit_block_create(
        unit=half_a, by=staff, start_date=DAY, end_date=DAY, reason="床の補修"
    )
    unit_block_remove(block=block, by=staff)
    reservation = book_slot(registrant(ukiha), whole, DAY + dt.timedelta(days=1), "am")
    booking.reservation_cancel(
        reservation=reservation, by=staff, reason="台風接近のため", by_staff=True
    )
    kinds = list(PublicLogEntry.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["released", "cancelled"]
    released = PublicLogEntry.objects.get(kind="released")
    assert released.subject == "" and released.detail["reason"] == "利用停止の解除"


def test_the_page_is_paged_and_a_bad_page_number_is_not_an_error(client, ukiha):
    facility, whole, *_ = hall(ukiha)
    for _i in range(55):
        public_log.public_log_record(kind="released", facility_id=facility.pk, unit_id=whole.pk)
    first = client.get(f"/ukiha/facilities/{facility.slug}/log/")
    assert first.status_code == 200 and "全55件" in first.content.decode()
    assert client.get(f"/ukiha/facilities/{facility.slug}/log/?page=2").status_code == 200
    assert client.get(f"/ukiha/facilities/{facility.slug}/log/?page=x%00").status_code == 200
    assert client.get("/ukiha/facilities/no-such/log/").status_code == 404


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_rows_cannot_be_changed_or_deleted(ukiha):
    facility, _whole, *_ = hall(ukiha)
    entry = public_log.public_log_record(kind="released", facility_id=facility.pk)
    with pytest.raises(DatabaseError), transaction.atomic():
        PublicLogEntry.objects.filter(pk=entry.pk).update(kind="cancelled")
    with pytest.raises(DatabaseError), transaction.atomic():
        PublicLogEntry.objects.filter(pk=entry.pk).delete()


def test_the_public_draw_is_recomputable_with_the_standard_library_alone():
    import hashlib
    import hmac

    seed = "00ff" * 8
    names = ["a1b2c3d4e5", "0f9e8d7c6b", "1234567890"]
    expected = sorted(
        names, key=lambda n: hmac.new(bytes.fromhex(seed), n.encode(), hashlib.sha256).digest()
    )
    assert public_log.drawn_order(seed, names + names[:1]) == expected
