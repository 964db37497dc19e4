"""Public reads of the API: what an outside system gets, and what it is refused."""

from __future__ import annotations

import pytest

from yoyaku.facilities.models import Closure, Facility, Unit
from yoyaku.lottery.models import LotteryRound

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def _unit(slug: str = "bunka-kaikan") -> Unit:
    return Unit.objects.filter(facility__slug=slug, is_active=True).order_by("order", "id").first()


def test_municipalities__lists_both_demo_municipalities_with_their_names(client, demo):
    body = client.get(f"{V1}/municipalities").json()
    assert body["count"] == 2
    names = {m["slug"]: m["name"] for m in body["items"]}
    assert names == {"minato": "港区", "ukiha": "うきは市"}


def test_municipality__unknown_slug_is_a_404_problem(client, demo):
    response = client.get(f"{V1}/municipalities/nowhere")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_facilities__are_paged_with_count_limit_and_offset(client, demo):
    first = client.get(f"{V1}/municipalities/ukiha/facilities?limit=4").json()
    rest = client.get(f"{V1}/municipalities/ukiha/facilities?limit=100&offset=4").json()
    assert first["count"] == rest["count"] == 11
    assert len(first["items"]) == 4 and len(rest["items"]) == 7
    assert first["items"][0]["name"] == "るり色ふるさと館"
    slugs = [f["slug"] for f in first["items"] + rest["items"]]
    assert len(set(slugs)) == 11


def test_facility__shows_its_units_slots_and_todays_fees_in_yen(client, demo):
    body = client.get(f"{V1}/municipalities/ukiha/facilities/bunka-kaikan").json()
    assert body["name"] == "うきは市文化会館"
    hall = next(u for u in body["units"] if u["name"] == "大ホール")
    assert {s["code"] for s in hall["slots"]} >= {"am", "pm", "night"}
    assert hall["fees"] and all(isinstance(f["amount_yen"], int) for f in hall["fees"])
    assert {f["rate_class"] for f in hall["fees"]} == {"resident", "non_resident"}


def test_facility__of_the_other_municipality_is_not_found(client, demo):
    minato_facility = Facility.objects.filter(municipality__slug="minato").first()
    response = client.get(f"{V1}/municipalities/ukiha/facilities/{minato_facility.slug}")
    assert response.status_code == 404


def test_closures__lists_a_dated_closure_in_the_range(client, demo):
    facility = Facility.objects.get(slug="bunka-kaikan")
    Closure.objects.create(
        facility=facility,
        start_date="2026-06-10",
        end_date="2026-06-11",
        reason="施設点検",
    )
    body = client.get(
        f"{V1}/municipalities/ukiha/facilities/bunka-kaikan/closures"
        "?start=2026-06-01&end=2026-06-30"
    ).json()
    assert {
        "start_date": "2026-06-10",
        "end_date": "2026-06-11",
        "reason": "施設点検",
        "unit_id": None,
    } in body


def test_availability__gives_the_calendars_marks_day_by_day(client, demo):
    unit = _unit()
    url = f"{V1}/municipalities/ukiha/facilities/bunka-kaikan/units/{unit.pk}/availability"
    body = client.get(f"{url}?start=2026-05-11&end=2026-05-17").json()
    days = {d["date"]: d for d in body["days"]}
    assert len(days) == 7
    # Monday is the culture hall's closing day; the 11th and 12th are past.
    assert days["2026-05-11"]["mark"] == "－"
    assert days["2026-05-13"]["mark"] in {"○", "△", "×"}
    assert days["2026-05-13"]["slots"]


def test_availability__refuses_more_than_93_days_naming_the_limit(client, demo):
    unit = _unit()
    url = f"{V1}/municipalities/ukiha/facilities/bunka-kaikan/units/{unit.pk}/availability"
    response = client.get(f"{url}?start=2026-06-01&end=2026-09-30")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "range_too_long"
    assert body["detail"] == "期間は93日以内で指定してください。"
    assert body["detail_en"] == "Please ask for at most 93 days."


@pytest.mark.parametrize(
    "query, field",
    [
        ("start=2026-02-30&end=2026-03-01", "start"),
        ("start=2026-06-01&end=tomorrow", "end"),
        ("start=2026-06-01", "end"),
        ("start=2026-06-01%00&end=2026-06-02", "start"),
    ],
)
def test_availability__a_bad_date_names_the_field(client, demo, query, field):
    unit = _unit()
    url = f"{V1}/municipalities/ukiha/facilities/bunka-kaikan/units/{unit.pk}/availability"
    response = client.get(f"{url}?{query}")
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["message"].startswith(field)


def test_availability__dates_far_away_are_refused_not_a_server_error(client, demo):
    unit = _unit()
    url = f"{V1}/municipalities/ukiha/facilities/bunka-kaikan/units/{unit.pk}/availability"
    for query in ("start=0001-01-01&end=0001-01-02", "start=9999-12-30&end=9999-12-31"):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 422
        assert response.json()["code"] == "date_out_of_range"
    response = client.get(f"{url}?start=2026-06-10&end=2026-06-01")
    assert response.json()["code"] == "range_order"


def test_availability__a_unit_of_another_facility_or_unknown_is_not_found(client, demo):
    other = _unit("bunka-kaikan")
    url = f"{V1}/municipalities/ukiha/facilities/shimin-hall/units"
    for unit_id in (other.pk, 999999, 2**31 - 1):
        response = client.get(f"{url}/{unit_id}/availability?start=2026-06-01&end=2026-06-02")
        assert response.status_code == 404
    response = client.get(f"{url}/{2**40}/availability?start=2026-06-01&end=2026-06-02")
    assert response.status_code == 422


def test_a_nul_or_markup_in_a_path_is_refused_as_bad_input(client, demo):
    for path in ("/municipalities/uki%00ha", "/municipalities/%3Cscript%3E/facilities"):
        response = client.get(f"{V1}{path}")
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "municipality"


def test_notices__shows_what_the_top_page_shows(client, demo):
    body = client.get(f"{V1}/municipalities/ukiha/notices").json()
    assert body["count"] >= 1
    assert all(n["title"] for n in body["items"])


def test_lottery_rounds__show_the_seed_commitment_but_not_the_seed_before_the_drawing(client, demo):
    body = client.get(f"{V1}/municipalities/minato/lottery-rounds").json()
    assert body["count"] >= 1
    scheduled = next(r for r in body["items"] if r["status"] != LotteryRound.Status.DRAWN)
    assert len(scheduled["seed_sha256"]) == 64
    assert scheduled["seed"] == ""
    one = client.get(f"{V1}/municipalities/minato/lottery-rounds/{scheduled['id']}").json()
    assert one == scheduled
    published = client.get(
        f"{V1}/municipalities/minato/lottery-rounds/{scheduled['id']}/published"
    ).json()
    assert published["seed_sha256"] == scheduled["seed_sha256"]


def test_lottery_round__of_the_other_municipality_is_not_found(client, demo):
    minato_round = LotteryRound.objects.filter(municipality__slug="minato").first()
    response = client.get(f"{V1}/municipalities/ukiha/lottery-rounds/{minato_round.pk}")
    assert response.status_code == 404
