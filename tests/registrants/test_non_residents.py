"""市外 registration (Ukiha art. 3): anyone may register where the municipality allows it,
and pays the non-resident rate; Minato registers only residents and workers."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.registrants.data import form_data
from tests.reservations.helpers import book_slot, hall, registrant
from tests.staff.test_console import login as staff_login
from yoyaku.demo.specs import MINATO, UKIHA
from yoyaku.facilities.models import FeeRule
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db(transaction=True)
DAY = dt.date(2026, 6, 16)  # a Tuesday, two weeks after "now"


@pytest.fixture
def ukiha_open(ukiha):
    ukiha.allows_non_residents = True
    ukiha.non_resident_label = "うきは市外の方"
    ukiha.save()
    return ukiha


def outsider(**overrides) -> dict:
    data = form_data(
        category="other",
        name_kana="クルメ　タロウ",
        name="久留米　太郎",
        phone="0942-30-1234",
        postal_code="830-8520",
        prefecture="福岡県",
        city="久留米市",
        street="城南町１５－３",
    )
    data.update(overrides)
    return data


def test_the_demo_policies__ukiha_registers_non_residents_and_minato_does_not():
    assert UKIHA["allows_non_residents"] is True
    assert MINATO.get("allows_non_residents", False) is False


def test_ukihas_form__offers_non_residents_and_registers_one(client, ukiha_open):
    page = client.get("/ukiha/register/form/").content.decode()
    assert 'value="other"' in page
    assert "うきは市外の方" in page
    response = client.post("/ukiha/register/form/", outsider())
    assert response.status_code == 302
    assert "うきは市外の方" in client.get("/ukiha/register/confirm/").content.decode()
    client.post("/ukiha/register/confirm/")
    person = Registrant.objects.get()
    assert person.category == Registrant.Category.OTHER
    assert person.city == "久留米市"


def test_ukihas_counter_form__offers_non_residents(client, ukiha_open):
    f.staff_user(ukiha_open, role="admin")
    staff_login(client, ukiha_open)
    page = client.get("/staff/registrations/new/").content.decode()
    assert 'value="other"' in page


def test_minatos_form__neither_offers_nor_accepts_non_residents(client, minato):
    page = client.get("/minato/register/form/").content.decode()
    assert 'value="other"' not in page
    response = client.post("/minato/register/form/", outsider())
    assert response.status_code == 200
    assert "field--error" in response.content.decode()
    assert not Registrant.objects.exists()


def test_my_page__names_the_non_resident_category_in_the_municipalitys_words(client, ukiha_open):
    person = registrant(ukiha_open, category=Registrant.Category.OTHER)
    client.force_login(person.user)
    assert "うきは市外の方" in client.get("/ukiha/mypage/").content.decode()


def test_a_non_resident__is_charged_the_non_resident_rate_when_booking(ukiha_open):
    _facility, whole, _a, _b = hall(ukiha_open)
    f.fee(whole, 4000, slot=f.slot(whole, "am"), rate_class=FeeRule.RateClass.NON_RESIDENT)
    resident = registrant(ukiha_open)
    non_resident = registrant(ukiha_open, category=Registrant.Category.OTHER)
    assert book_slot(resident, whole, DAY, "am").fee_total == 2000
    assert book_slot(non_resident, whole, DAY + dt.timedelta(days=1), "am").fee_total == 4000
