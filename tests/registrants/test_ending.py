"""Ending a registration: what the person still holds leaves the rounds, and what they owe
keeps them from deregistering."""

from __future__ import annotations

import pytest
from django.test import Client

from tests import factories as f
from tests.lottery.test_rounds import make_round, stay
from tests.reservations.helpers import registrant, resort
from tests.staff.test_console import login as staff_login
from yoyaku.lottery import services as lottery_services
from yoyaku.lottery.models import LotteryApplication
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def applied(minato):
    """A registrant with an open application in a round of the resort."""
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(minato, [room_type])
    person = registrant(minato)
    application = lottery_services.lottery_apply(
        lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
    )
    return lottery, person, application


@pytest.fixture
def staff(minato):
    """A logged-in clerk in a browser of their own."""
    browser = Client()
    f.staff_user(minato)
    staff_login(browser, minato)
    return browser


def demand_page(staff, lottery) -> str:
    return staff.get(f"/staff/lottery/{lottery.pk}/").content.decode()


def test_deregistering_withdraws_the_open_application_and_the_demand_table_forgets_it(
    client, staff, applied
):
    lottery, person, application = applied
    assert "申込み 1件" in demand_page(staff, lottery)
    client.force_login(person.user)
    response = client.post("/minato/mypage/deregister/", {"confirm": "on"})
    assert "利用者登録を廃止しました" in response.content.decode()
    person.refresh_from_db()
    assert person.status == Registrant.Status.DEREGISTERED
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.WITHDRAWN
    page = demand_page(staff, lottery)
    assert "申込み 0件" in page
    assert "申込みはまだありません。" in page


def test_staff_deletion_withdraws_the_open_application(staff, applied):
    lottery, person, application = applied
    staff.post(
        f"/staff/registrations/{person.pk}/decide/",
        {"action": "delete", "reason": "unreachable", "note": "郵便物が返送された"},
    )
    person.refresh_from_db()
    assert person.status == Registrant.Status.DELETED
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.WITHDRAWN
    assert "申込みはまだありません。" in demand_page(staff, lottery)


def test_the_demand_table_leaves_out_applications_of_ended_registrations(staff, applied):
    """An application the drawing will skip (the registration expired) is no demand."""
    lottery, person, _application = applied
    Registrant.objects.filter(pk=person.pk).update(status=Registrant.Status.EXPIRED)
    page = demand_page(staff, lottery)
    assert "申込みはまだありません。" in page
