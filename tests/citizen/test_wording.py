"""What a person reads on the forms and pages: their own municipality's examples, Japanese
dates in one format, deadlines as people say them, and no default Django wording."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.registrants.data import form_data
from tests.reservations.helpers import hall, registrant, resort

pytestmark = pytest.mark.django_db


def test_ukiha_registration_form__shows_ukiha_examples__not_minato_ones(client, ukiha):
    body = client.get("/ukiha/register/form/").content.decode()
    assert "ミナト" not in body
    assert "港　太郎" not in body
    assert "03-1234-5678" not in body
    assert "例：ウキハ　タロウ" in body
    assert "例：浮羽　太郎" in body
    assert "例 0943-12-3456" in body


def test_ukiha_registration_errors__use_ukiha_examples(client, ukiha):
    response = client.post(
        "/ukiha/register/form/", form_data(name_kana="abc", name="浮羽太郎", phone="12")
    )
    body = response.content.decode()
    assert "（例：ウキハ　タロウ）" in body
    assert "（例：浮羽　太郎）" in body
    assert "（例 0943-12-3456）" in body
    assert "ミナト" not in body and "03-1234-5678" not in body


def test_a_municipality_without_examples__gets_neutral_ones(client, travel):
    travel(dt.datetime(2026, 6, 2, 10, 0))  # within the service hours
    f.MunicipalityFactory(slug="other")
    body = client.get("/other/register/form/").content.decode()
    assert "例：ヤマダ　タロウ" in body
    assert "ミナト" not in body and "03-1234-5678" not in body


def _lottery_page(client, municipality, units):
    from tests.lottery.test_rounds import make_round

    lottery = make_round(municipality, units)
    person = registrant(municipality)
    client.force_login(person.user)
    return client.get(f"/{municipality.slug}/lottery/{lottery.pk}/").content.decode()


def test_lodging_lottery_form__asks_no_time_slot_and_no_party_size(client, minato):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    body = _lottery_page(client, minato, [room_type])
    assert "宿泊数" in body and "部屋数" in body
    assert "時間区分" not in body
    assert "利用予定人数" not in body


def test_hall_lottery_form__asks_no_nights_rooms_or_guests(client, ukiha):
    _facility, whole, _a, _b = hall(ukiha)
    body = _lottery_page(client, ukiha, [whole])
    assert "時間区分" in body and "利用予定人数" in body
    assert "宿泊数" not in body and "部屋数" not in body


def test_availability_filter__offers_only_this_municipalitys_facility_types(client, ukiha, minato):
    f.FacilityFactory(municipality=ukiha, kind="hall")
    f.FacilityFactory(municipality=ukiha, kind="sports")
    f.FacilityFactory(municipality=minato, kind="resort")
    ukiha_page = client.get("/ukiha/availability/").content.decode()
    assert "ホール・会議室" in ukiha_page and "体育館・屋内スポーツ" in ukiha_page
    assert "保養施設（宿泊）" not in ukiha_page
    assert "運動公園・屋外スポーツ" not in ukiha_page
    minato_page = client.get("/minato/availability/").content.decode()
    assert "保養施設（宿泊）" in minato_page
    assert "ホール・会議室" not in minato_page
