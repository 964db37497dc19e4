"""Every public page, in Japanese and English; bad input gives 400/404, never 500."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from yoyaku.core import clock
from yoyaku.core.context_processors import FONT_SIZE_COOKIE

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 7, 10, 0)


@pytest.fixture
def city(travel):
    travel(NOW)
    municipality = f.MunicipalityFactory(slug="ukiha", name="うきは市", name_en="Ukiha City")
    hall = f.FacilityFactory(
        municipality=municipality,
        slug="bunka",
        name="うきは市文化会館",
        name_en="Ukiha Culture Hall",
        weekly_closed_days=[0],
    )
    room = f.slot_unit(hall, "会議室1", name_en="Meeting room 1")
    f.fee(room, 800)
    f.notice(
        municipality, title="システム稼働のお知らせ", body="<p>本日から<strong>稼働</strong></p>"
    )
    return municipality, hall, room


def pages(municipality, hall, room):
    slug = municipality.slug
    return [
        "/",
        f"/{slug}/",
        f"/{slug}/guide/",
        f"/{slug}/facilities/",
        f"/{slug}/facilities/{hall.slug}/",
        f"/{slug}/facilities/{hall.slug}/calendar/",
        f"/{slug}/facilities/{hall.slug}/calendar/?month=2026-06&unit={room.pk}",
        f"/{slug}/availability/",
        f"/{slug}/availability/?date=2026-05-12",
        f"/{slug}/login/",
        f"/{slug}/register/",
    ]


def test_every_public_page_renders_in_japanese(client, city):
    for path in pages(*city):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert '<html lang="ja"' in body, path
        assert "文字サイズ変更" in body, path


def test_every_public_page_renders_in_english(client, city):
    client.cookies["django_language"] = "en"
    for path in pages(*city):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        assert '<html lang="en"' in body, path
        assert "Font size" in body, path


def test_top_page_follows_the_seed_layout(client, city):
    municipality, _, _ = city
    body = client.get(f"/{municipality.slug}/").content.decode()
    for text in (
        "お知らせ",
        "情報照会メニュー",
        "登録者専用メニュー",
        "新規利用者登録",
        "利用者番号",
        "パスワード",
    ):
        assert text in body
    assert "<strong>稼働</strong>" in body


def test_english_top_page_uses_english_names(client, city):
    municipality, _, _ = city
    client.cookies["django_language"] = "en"
    body = client.get(f"/{municipality.slug}/facilities/").content.decode()
    assert "Ukiha Culture Hall" in body
    assert "Facilities" in body


def test_facility_detail_shows_units_fees_and_closing_days(client, city):
    municipality, hall, _ = city
    body = client.get(f"/{municipality.slug}/facilities/{hall.slug}/").content.decode()
    assert "会議室1" in body
    assert "800円" in body
    assert "毎週月曜日" in body
    assert "年末年始" in body


def test_calendar_links_to_next_month_without_javascript(client, city):
    municipality, hall, room = city
    body = client.get(f"/{municipality.slug}/facilities/{hall.slug}/calendar/").content.decode()
    assert "2026年5月" in body
    assert f'href="?month=2026-06&amp;unit={room.pk}"' in body
    next_body = client.get(
        f"/{municipality.slug}/facilities/{hall.slug}/calendar/?month=2026-06&unit={room.pk}"
    ).content.decode()
    assert "2026年6月" in next_body


def test_calendar_shows_marks_and_legend(client, city):
    municipality, hall, room = city
    body = client.get(
        f"/{municipality.slug}/facilities/{hall.slug}/calendar/?month=2026-05&unit={room.pk}"
    ).content.decode()
    assert "空きあり" in body and "抽選受付期間" in body
    assert "mark--closed" in body  # Mondays and past days
    assert "mark--free" in body
    assert "こどもの日" in body


def test_day_view_lists_slots(client, city):
    municipality, _hall, _ = city
    body = client.get(f"/{municipality.slug}/availability/?date=2026-05-12").content.decode()
    assert "うきは市文化会館" in body
    assert "午前" in body and "9:00～12:00" in body


def test_day_view_filters_by_kind_and_purpose(client, city):
    municipality, _hall, room = city
    meeting = f.purpose(municipality, "会議・研修")
    f.purpose(municipality, "卓球")
    room.purposes.add(meeting)
    gym = f.FacilityFactory(municipality=municipality, name="体育センター", kind="sports")
    f.slot_unit(gym, "アリーナ")
    base = f"/{municipality.slug}/availability/?date=2026-05-12"
    assert "体育センター" not in client.get(base + "&kind=hall").content.decode()
    assert "体育センター" in client.get(base + "&kind=sports").content.decode()
    body = client.get(base + f"&purpose={meeting.pk}").content.decode()
    assert "会議室1" in body and "アリーナ" not in body


@pytest.mark.parametrize(
    "path",
    [
        "/nowhere/",
        "/ukiha/facilities/no-such-hall/",
        "/ukiha/facilities/no-such-hall/calendar/",
    ],
)
def test_unknown_municipality_or_facility_is_a_japanese_404(client, city, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "ページが見つかりません" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("calendar/?month=2026-13", "年月は 2026-12 の形式で指定してください。"),
        ("calendar/?month=abc", "年月は 2026-12 の形式で指定してください。"),
        ("calendar/?month=1999-01", "表示できるのは今月から1年先までです。"),
        ("calendar/?unit=x", "室場の指定が正しくありません。"),
    ],
)
def test_malformed_calendar_parameters_are_a_clear_400(client, city, query, message):
    municipality, hall, _ = city
    response = client.get(f"/{municipality.slug}/facilities/{hall.slug}/{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date=2026-02-30", "日付は 2026-12-05 の形式で入力してください。"),
        ("date=tomorrow", "日付は 2026-12-05 の形式で入力してください。"),
        ("kind=castle", "施設の種類の指定が正しくありません。"),
        ("purpose=abc", "利用目的の指定が正しくありません。"),
    ],
)
def test_malformed_day_search_is_a_400_with_the_message_next_to_the_field(
    client, city, query, message
):
    municipality, _, _ = city
    response = client.get(f"/{municipality.slug}/availability/?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'class="error-text"' in body


def test_facility_list_rejects_unknown_kind(client, city):
    municipality, _, _ = city
    assert client.get(f"/{municipality.slug}/facilities/?kind=castle").status_code == 400


def test_tenant_separation(client, city):
    _ukiha, hall, _room = city
    minato = f.MunicipalityFactory(slug="minato", name="港区")
    f.notice(minato, title="港区だけのお知らせ")
    # Ukiha's facility does not exist under Minato's prefix…
    assert client.get(f"/minato/facilities/{hall.slug}/").status_code == 404
    # …nor does it appear in Minato's lists, and notices stay in their municipality.
    assert "うきは市文化会館" not in client.get("/minato/facilities/").content.decode()
    assert "うきは市文化会館" not in client.get("/minato/availability/").content.decode()
    assert "港区だけのお知らせ" not in client.get("/ukiha/").content.decode()
    assert "港区だけのお知らせ" in client.get("/minato/").content.decode()
    # A unit id of another facility is not accepted in a calendar.
    other = f.slot_unit(f.FacilityFactory(municipality=minato, slug="other"))
    assert client.get(f"/ukiha/facilities/{hall.slug}/calendar/?unit={other.pk}").status_code == 404


def test_font_size_switch_is_remembered_and_safe(client, city):
    municipality, _, _ = city
    response = client.get(f"/font-size/?size=large&next=/{municipality.slug}/")
    assert response.status_code == 302
    assert response["Location"] == f"/{municipality.slug}/"
    assert client.cookies[FONT_SIZE_COOKIE].value == "large"
    assert 'class="fs-large"' in client.get(f"/{municipality.slug}/facilities/").content.decode()
    # An outside address is never a redirect target; an unknown size changes nothing.
    assert client.get("/font-size/?size=huge&next=https://evil.example/")["Location"] == "/"
    assert client.cookies[FONT_SIZE_COOKIE].value == "large"


def test_language_switch_without_javascript(client, city):
    municipality, _, _ = city
    response = client.post("/i18n/setlang/", {"language": "en", "next": f"/{municipality.slug}/"})
    assert response.status_code == 302
    assert '<html lang="en"' in client.get(f"/{municipality.slug}/").content.decode()


def test_notice_html_is_sanitised_on_display(client, city):
    municipality, _, _ = city
    f.notice(municipality, title="危険", body='<p onclick="x()">a</p><script>alert(1)</script>')
    body = client.get(f"/{municipality.slug}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "onclick" not in body


def test_expired_and_future_notices_are_hidden(client, city):
    municipality, _, _ = city
    now = clock.now()
    f.notice(municipality, title="終了した告知", expires_at=now - dt.timedelta(hours=1))
    f.notice(municipality, title="来週の告知", published_at=now + dt.timedelta(days=7))
    body = client.get(f"/{municipality.slug}/").content.decode()
    assert "終了した告知" not in body
    assert "来週の告知" not in body
    assert "システム稼働のお知らせ" in body


def test_font_size_with_a_bare_word_as_next_is_not_a_500(client, city):
    response = client.get("/font-size/?size=large&next=x")
    assert response.status_code == 302
