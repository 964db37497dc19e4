"""Service hours 8:00–24:00, year-end closure and maintenance windows."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from yoyaku.core import clock
from yoyaku.core.models import MaintenanceWindow
from yoyaku.core.selectors import ServiceState, service_status
from yoyaku.core.services import maintenance_end_now, maintenance_schedule

pytestmark = pytest.mark.django_db


def status_at(municipality, moment: dt.datetime):
    return service_status(municipality=municipality, at=moment.replace(tzinfo=clock.JST))


@pytest.mark.parametrize(
    ("moment", "state"),
    [
        (dt.datetime(2026, 6, 1, 7, 59), ServiceState.OUTSIDE_HOURS),
        (dt.datetime(2026, 6, 1, 8, 0), ServiceState.OPEN),
        (dt.datetime(2026, 6, 1, 23, 59), ServiceState.OPEN),
        (dt.datetime(2026, 6, 2, 0, 0), ServiceState.OUTSIDE_HOURS),
        (dt.datetime(2026, 12, 28, 12, 0), ServiceState.OPEN),
        (dt.datetime(2026, 12, 29, 12, 0), ServiceState.YEAR_END),
        (dt.datetime(2027, 1, 3, 12, 0), ServiceState.YEAR_END),
        (dt.datetime(2027, 1, 4, 8, 0), ServiceState.OPEN),
    ],
)
def test_service_state(moment, state):
    assert status_at(f.MunicipalityFactory(), moment).state is state


def test_outside_hours_reopens_at_eight():
    status = status_at(f.MunicipalityFactory(), dt.datetime(2026, 6, 2, 0, 30))
    assert clock.local(status.reopens_at) == clock.at(dt.date(2026, 6, 2), dt.time(8))


def test_year_end_reopens_on_january_fourth():
    status = status_at(f.MunicipalityFactory(), dt.datetime(2026, 12, 30, 10, 0))
    assert clock.local(status.reopens_at) == clock.at(dt.date(2027, 1, 4), dt.time(8))


def test_minato_style_maintenance_window_stops_changes_until_five(travel):
    # 000: 3/31 0:00 – 4/1 5:00, viewing stays open.
    municipality = f.MunicipalityFactory()
    maintenance_schedule(
        municipality=municipality,
        by=None,
        starts_at=clock.at(dt.date(2027, 3, 31)),
        ends_at=clock.at(dt.date(2027, 4, 1), dt.time(5)),
        message="予約システムの変更作業のため休止します。",
    )
    during = status_at(municipality, dt.datetime(2027, 3, 31, 12, 0))
    assert during.state is ServiceState.MAINTENANCE
    assert not during.accepts_changes and not during.site_closed
    assert status_at(municipality, dt.datetime(2027, 4, 1, 9, 0)).state is ServiceState.OPEN


def test_a_deployment_wide_full_stop_closes_every_municipality():
    a, b = f.MunicipalityFactory(), f.MunicipalityFactory()
    MaintenanceWindow.objects.create(
        municipality=None,
        starts_at=clock.at(dt.date(2026, 6, 1), dt.time(9)),
        ends_at=clock.at(dt.date(2026, 6, 1), dt.time(11)),
        scope=MaintenanceWindow.Scope.FULL,
    )
    for municipality in (a, b, None):
        assert status_at(municipality, dt.datetime(2026, 6, 1, 10, 0)).site_closed


def test_maintenance_of_one_municipality_leaves_the_other_open():
    a, b = f.MunicipalityFactory(), f.MunicipalityFactory()
    maintenance_schedule(
        municipality=a,
        by=None,
        starts_at=clock.at(dt.date(2026, 6, 1), dt.time(9)),
        ends_at=clock.at(dt.date(2026, 6, 1), dt.time(11)),
    )
    assert status_at(a, dt.datetime(2026, 6, 1, 10, 0)).state is ServiceState.MAINTENANCE
    assert status_at(b, dt.datetime(2026, 6, 1, 10, 0)).state is ServiceState.OPEN


def test_ending_maintenance_early_reopens_and_is_audited(travel):
    municipality = f.MunicipalityFactory()
    admin = f.staff_user(municipality)
    window = maintenance_schedule(
        municipality=municipality,
        by=admin,
        starts_at=clock.at(dt.date(2026, 6, 1), dt.time(9)),
        ends_at=clock.at(dt.date(2026, 6, 1), dt.time(17)),
    )
    travel(dt.datetime(2026, 6, 1, 10, 0))
    maintenance_end_now(window=window, by=admin)
    assert service_status(municipality=municipality).state is ServiceState.OPEN
    actions = list(admin.audit_entries.values_list("action", flat=True))
    assert sorted(actions) == ["maintenance.end", "maintenance.schedule"]


class TestPages:
    """Viewing stays open; pages that change data show the closed message."""

    def test_viewing_works_outside_hours_with_a_banner(self, client, travel):
        municipality = f.MunicipalityFactory()
        travel(dt.datetime(2026, 6, 2, 2, 0))
        response = client.get(f"/{municipality.slug}/availability/")
        assert response.status_code == 200
        assert "現在は受付時間外です" in response.content.decode()

    def test_changing_pages_are_closed_outside_hours(self, client, travel):
        municipality = f.MunicipalityFactory()
        travel(dt.datetime(2026, 6, 2, 2, 0))
        response = client.get(f"/{municipality.slug}/register/")
        assert response.status_code == 503
        body = response.content.decode()
        assert "受付を停止しています" in body
        assert "受付再開：2026年6月2日（火） 8:00" in body

    def test_posts_are_closed_in_the_year_end(self, client, travel):
        municipality = f.MunicipalityFactory()
        travel(dt.datetime(2026, 12, 30, 10, 0))
        response = client.post(f"/{municipality.slug}/login/", {"user_number": "123456"})
        assert response.status_code == 503
        assert "年末年始" in response.content.decode()

    def test_full_maintenance_closes_the_whole_site_but_not_the_staff_console(self, client, travel):
        municipality = f.MunicipalityFactory()
        MaintenanceWindow.objects.create(
            municipality=None,
            starts_at=clock.at(dt.date(2026, 6, 1), dt.time(9)),
            ends_at=clock.at(dt.date(2026, 6, 1), dt.time(11)),
            scope=MaintenanceWindow.Scope.FULL,
            message="サーバー機器の更新のため",
        )
        travel(dt.datetime(2026, 6, 1, 10, 0))
        for path in ("/", f"/{municipality.slug}/", f"/{municipality.slug}/facilities/"):
            response = client.get(path)
            assert response.status_code == 503
            assert "サーバー機器の更新のため" in response.content.decode()
        assert client.get("/staff/login/").status_code == 200


def test_operators_close_and_reopen_the_whole_site_from_the_shell(client, travel):
    from django.core.management import call_command

    travel(dt.datetime(2026, 6, 1, 10, 0))
    municipality = f.MunicipalityFactory()
    call_command(
        "maintenance", "--start", "now", "--minutes", "30", "--full", "--message", "更新作業中"
    )
    response = client.get(f"/{municipality.slug}/")
    assert response.status_code == 503
    assert "更新作業中" in response.content.decode()
    call_command("maintenance", "--end-now")
    assert client.get(f"/{municipality.slug}/").status_code == 200


def test_maintenance_command_rejects_a_malformed_time():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="YYYY-MM-DD HH:MM"):
        call_command("maintenance", "--start", "tomorrow", "--minutes", "5")
