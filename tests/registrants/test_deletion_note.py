"""The staff note of a deletion (補足（記録用）) stays a record: never shown or sent to the person."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests import factories as f
from tests.registrants import builders
from tests.reservations.helpers import book_slot, hall
from tests.staff.test_console import login as staff_login
from yoyaku.core import clock
from yoyaku.registrants.models import Registrant
from yoyaku.reservations.models import Reservation

pytestmark = pytest.mark.django_db(transaction=True)

NOTE = "近隣から苦情あり。電話で本人に確認済み（係長判断）"


def test_the_deletion_note_is_labelled_as_a_record_and_never_reaches_the_person(client, ukiha):
    admin = f.staff_user(ukiha)
    registrant = builders.active(ukiha, admin)
    _, whole, *_ = hall(ukiha)
    f.slot(whole, "am")
    booked = book_slot(registrant, whole, clock.today() + dt.timedelta(days=10), "am")
    staff_login(client, ukiha)
    mail.outbox.clear()
    response = client.post(
        f"/staff/registrations/{registrant.pk}/decide/",
        {"action": "delete", "reason": "unreachable", "note": NOTE},
    )
    assert response.status_code == 302
    registrant.refresh_from_db()
    assert registrant.status == Registrant.Status.DELETED
    assert registrant.deletion_note == NOTE
    assert registrant.staff_message == ""
    page = client.get(f"/staff/registrations/{registrant.pk}/").content.decode()
    assert "抹消の補足（記録用）" in page and NOTE in page
    assert "本人への連絡事項" not in page
    for message in mail.outbox:
        assert NOTE not in message.body
        assert all(NOTE not in str(content) for content, _ in message.alternatives)
    booked.refresh_from_db()
    assert booked.status == Reservation.Status.CANCELLED
    assert NOTE not in booked.cancel_reason
    assert any("通知又は連絡を行うことができない" in m.body for m in mail.outbox)
