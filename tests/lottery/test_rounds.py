"""Lottery rounds end to end: apply, draw once, verify, results, confirm, expire, release."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from tests import factories as f
from tests.reservations.helpers import hall, registrant, resort
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog, Notice
from yoyaku.lottery import algorithm, services
from yoyaku.lottery.models import LotteryApplication, LotteryRound
from yoyaku.reservations.models import Occupancy, Reservation, UnitBlock
from yoyaku.reservations.selectors import Mark, availability_grid
from yoyaku.scheduling.services import scheduler_tick

pytestmark = pytest.mark.django_db(transaction=True)

STAY = dt.date(2026, 8, 8)  # a Saturday in the round's month


def make_round(municipality, units, **overrides) -> LotteryRound:
    fields = {
        "name": "2026年8月宿泊分",
        "use_from": dt.date(2026, 8, 1),
        "use_until": dt.date(2026, 8, 31),
        "applications_open_at": clock.at(dt.date(2026, 6, 1), dt.time(8)),
        "applications_close_at": clock.at(dt.date(2026, 6, 10), dt.time(23, 59)),
        "draw_at": clock.at(dt.date(2026, 6, 25), dt.time(10)),
        "confirm_deadline": clock.at(dt.date(2026, 6, 30), dt.time(23, 59)),
        "first_come_opens_at": clock.at(dt.date(2026, 7, 1), dt.time(9)),
    }
    fields.update(overrides)
    return services.round_create(municipality=municipality, by=None, units=units, **fields)


def stay(unit, day=STAY, nights=2, rooms=1):
    return services.ChoiceRequest(unit=unit, use_date=day, nights=nights, rooms=rooms, adults=2)


@pytest.fixture
def resort_round(minato):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    return make_round(minato, [room_type]), room_type


def test_the_seed_hash_is_public_and_the_seed_neither_stored_nor_shown_before_the_drawing(
    client, resort_round
):
    lottery, _ = resort_round
    seed = services.round_seed(lottery)
    assert lottery.seed == ""  # derived from the key outside the database, never stored
    assert lottery.algorithm == "yoyaku-lottery-2"
    assert lottery.seed_sha256 == algorithm.seed_commitment(seed)
    page = client.get(f"/minato/lottery/{lottery.pk}/").content.decode()
    assert lottery.seed_sha256 in page
    published = client.get(f"/minato/lottery/{lottery.pk}/published.json").json()
    assert published["seed_sha256"] == lottery.seed_sha256
    assert published["public_value"]["source"]["kind"] == "drand"
    assert "seed" not in published
    assert seed.hex() not in page


def test_dates_of_a_round_show_lottery_and_are_not_bookable_first_come(resort_round):
    _, room_type = resort_round
    state = availability_grid(units=[room_type], start=STAY, end=STAY)[(room_type.pk, STAY)]
    assert state.mark is Mark.LOTTERY


class TestApplications:
    def test_apply_with_three_ranked_choices(self, resort_round, minato):
        lottery, room_type = resort_round
        person = registrant(minato)
        week = dt.timedelta(days=7)
        application = services.lottery_apply(
            lottery=lottery,
            registrant=person,
            choices=[
                stay(room_type),
                stay(room_type, STAY + week),
                stay(room_type, STAY + 2 * week),
            ],
            by=person.user,
        )
        assert [c.rank for c in application.choices.all()] == [1, 2, 3]
        person.refresh_from_db()
        assert person.last_used_at is not None  # a lottery application renews the validity

    @pytest.mark.parametrize(
        ("choices", "code"),
        [
            (lambda u: [], "lottery_choice_count"),
            (lambda u: [stay(u)] * 4, "lottery_choice_count"),
            (lambda u: [stay(u, dt.date(2026, 9, 5))], "lottery_date_not_in_round"),
            (lambda u: [stay(u, dt.date(2026, 8, 30), nights=3)], "lottery_date_not_in_round"),
            (lambda u: [stay(u, nights=4)], "nights_limit"),
        ],
    )
    def test_choices_outside_the_rules_are_refused(self, resort_round, minato, choices, code):
        lottery, room_type = resort_round
        person = registrant(minato)
        with pytest.raises(DomainError) as refused:
            services.lottery_apply(
                lottery=lottery, registrant=person, choices=choices(room_type), by=person.user
            )
        assert refused.value.code == code

    def test_limits_window_and_duplicates(self, resort_round, minato, travel):
        from tests.registrants import builders

        lottery, room_type = resort_round
        person = registrant(minato)
        for _ in range(2):
            services.lottery_apply(
                lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
            )
        with pytest.raises(DomainError) as refused:
            services.lottery_apply(
                lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
            )
        assert refused.value.code == "lottery_application_limit"
        first = builders.apply(minato)
        duplicate = builders.apply(minato, phone=first.phone)
        with pytest.raises(DomainError) as refused:
            services.lottery_apply(
                lottery=lottery, registrant=duplicate, choices=[stay(room_type)], by=duplicate.user
            )
        assert refused.value.code == "registrant_duplicate"
        travel(dt.datetime(2026, 6, 11, 9, 0))
        with pytest.raises(DomainError) as refused:
            services.lottery_apply(
                lottery=lottery,
                registrant=registrant(minato),
                choices=[stay(room_type)],
                by=person.user,
            )
        assert refused.value.code == "lottery_not_open"

    def test_withdraw_while_open(self, resort_round, minato):
        lottery, room_type = resort_round
        person = registrant(minato)
        application = services.lottery_apply(
            lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
        )
        services.lottery_withdraw(application=application, by=person.user)
        application.refresh_from_db()
        assert application.status == LotteryApplication.Status.WITHDRAWN


def fill(lottery, room_type, minato, people=6):
    applicants = [registrant(minato) for _ in range(people)]
    for person in applicants:
        services.lottery_apply(
            lottery=lottery,
            registrant=person,
            choices=[stay(room_type), stay(room_type, STAY + dt.timedelta(days=7))],
            by=person.user,
        )
    return applicants


class TestDrawing:
    def test_drawing_allocates_creates_reservations_and_publishes(
        self, resort_round, minato, travel
    ):
        lottery, room_type = resort_round
        fill(lottery, room_type, minato, people=6)
        with pytest.raises(DomainError) as refused:
            f.lottery_draw(lottery=lottery)
        assert refused.value.code == "lottery_still_open"
        travel(dt.datetime(2026, 6, 25, 10, 0))
        mail.outbox.clear()
        f.lottery_draw(lottery=lottery)
        lottery.refresh_from_db()
        assert LotteryApplication.objects.filter(round=lottery, status="won").count() == 4
        assert LotteryApplication.objects.filter(round=lottery, status="lost").count() == 2
        assert Reservation.objects.filter(status="awaiting_confirmation").count() == 4
        for night in (STAY, STAY + dt.timedelta(days=1)):
            assert Occupancy.objects.filter(unit=room_type, date=night).count() == 2
        assert len([m for m in mail.outbox if "抽選結果" in m.subject]) == 6
        assert lottery.published["seed"] == services.round_seed(lottery).hex()
        assert Notice.objects.filter(title__contains="満室になりました").exists()
        with pytest.raises(DomainError) as again:
            f.lottery_draw(lottery=lottery)
        assert again.value.code == "lottery_already_drawn"

    def test_the_drawing_leaves_an_audit_row_for_every_application_it_moves(
        self, resort_round, minato, travel
    ):
        lottery, room_type = resort_round
        fill(lottery, room_type, minato, people=6)
        travel(dt.datetime(2026, 6, 25, 10, 0))
        f.lottery_draw(lottery=lottery)
        for application in LotteryApplication.objects.filter(round=lottery):
            rows = AuditLog.objects.filter(
                target_type="lottery.lotteryapplication", target_id=str(application.pk)
            ).values_list("action", flat=True)
            assert f"lottery.{'win' if application.status == 'won' else 'lose'}" in rows

    def test_verify_command_and_standalone_script_reproduce_the_results(
        self, resort_round, minato, travel, tmp_path
    ):
        lottery, room_type = resort_round
        fill(lottery, room_type, minato, people=5)
        travel(dt.datetime(2026, 6, 25, 10, 0))
        f.lottery_draw(lottery=lottery)
        lottery.refresh_from_db()
        out = io.StringIO()
        call_command("verify_lottery", str(lottery.pk), stdout=out)
        assert out.getvalue().startswith("OK")
        path = tmp_path / "published.json"
        path.write_text(json.dumps(lottery.published, ensure_ascii=False), encoding="utf-8")
        script = Path(algorithm.__file__)
        ok = subprocess.run(
            [sys.executable, str(script), str(path)], capture_output=True, text=True
        )
        assert ok.returncode == 0, ok.stdout + ok.stderr
        tampered = dict(lottery.published, seed="00" * 32)
        path.write_text(json.dumps(tampered), encoding="utf-8")
        bad = subprocess.run(
            [sys.executable, str(script), str(path)], capture_output=True, text=True
        )
        assert bad.returncode == 1
        LotteryApplication.objects.filter(round=lottery, status="lost").update(
            status="won", won_rank=1
        )
        with pytest.raises(CommandError):
            call_command("verify_lottery", str(lottery.pk))

    def test_a_crash_half_way_leaves_nothing_and_a_rerun_gives_the_same_results(
        self, resort_round, minato, travel
    ):
        lottery, room_type = resort_round
        fill(lottery, room_type, minato, people=6)
        travel(dt.datetime(2026, 6, 25, 10, 0))
        with pytest.raises(RuntimeError):
            f.lottery_draw(lottery=lottery, fail_after=2)
        lottery.refresh_from_db()
        assert lottery.status != LotteryRound.Status.DRAWN
        assert not Reservation.objects.exists()
        assert not Occupancy.objects.exists()
        assert set(LotteryApplication.objects.values_list("status", flat=True)) == {"submitted"}
        assert lottery.applications_frozen_at is None  # the freeze went with the crash
        seed = services.round_seed(lottery)
        data = services._build_input(lottery, seed)
        expected = algorithm.draw(
            data.applications,
            data.capacity,
            seed,
            lottery.max_wins_per_registrant,
            public_value=lottery.public_value,
        )
        f.lottery_draw(lottery=lottery)
        stored = dict(LotteryApplication.objects.values_list("pseudonym", "won_rank"))
        assert stored == expected.wins

    def test_the_scheduler_draws_at_the_drawing_time_once(self, resort_round, minato, travel):
        lottery, room_type = resort_round
        fill(lottery, room_type, minato, people=3)
        travel(dt.datetime(2026, 6, 25, 9, 59))
        f.lottery_value_confirmed(lottery)
        assert not [n for n in scheduler_tick() if n.startswith("lottery.draw")]
        travel(dt.datetime(2026, 6, 25, 10, 0))
        assert [n for n in scheduler_tick() if n.startswith("lottery.draw")] == [
            f"lottery.draw.{lottery.pk}"
        ]
        lottery.refresh_from_db()
        assert lottery.status == LotteryRound.Status.DRAWN
        assert not [n for n in scheduler_tick() if n.startswith("lottery.draw")]

    def test_existing_blocks_reduce_what_the_lottery_gives(self, resort_round, minato, travel):
        from yoyaku.reservations.services import unit_block_create

        lottery, room_type = resort_round
        unit_block_create(
            unit=room_type, by=None, start_date=STAY, end_date=STAY, rooms=1, reason="点検"
        )
        fill(lottery, room_type, minato, people=4)
        travel(dt.datetime(2026, 6, 25, 10, 0))
        f.lottery_draw(lottery=lottery)
        assert Reservation.objects.filter(use_date=STAY).count() == 1


class TestAfterTheDrawing:
    def drawn(self, lottery, room_type, minato, travel, **round_fields):
        LotteryRound.objects.filter(pk=lottery.pk).update(**round_fields)
        lottery.refresh_from_db()
        people = fill(lottery, room_type, minato, people=3)
        travel(dt.datetime(2026, 6, 25, 10, 0))
        f.lottery_draw(lottery=lottery)
        return people

    def test_winner_confirms_before_the_deadline(self, client, resort_round, minato, travel):
        lottery, room_type = resort_round
        self.drawn(lottery, room_type, minato, travel)
        win = Reservation.objects.filter(status="awaiting_confirmation").first()
        client.force_login(win.registrant.user)
        page = client.get("/minato/lottery/results/").content.decode()
        assert "当選" in page and "当選を確認して予約を確定する" in page
        client.post(f"/minato/lottery/confirm/{win.pk}/")
        win.refresh_from_db()
        assert win.status == Reservation.Status.CONFIRMED

    def test_unconfirmed_wins_are_cancelled_and_released_at_the_set_time(
        self, resort_round, minato, travel
    ):
        lottery, room_type = resort_round
        self.drawn(lottery, room_type, minato, travel, cancelled_win_release_hours=12)
        wins = Reservation.objects.filter(status="awaiting_confirmation").count()
        travel(dt.datetime(2026, 7, 1, 0, 30))
        assert services.lottery_expire_unconfirmed() == wins
        assert not Reservation.objects.filter(status="awaiting_confirmation").exists()
        assert UnitBlock.objects.filter(release_at__isnull=False).count() == wins
        # Held until 12:30: 12 hours after the cancellation (first-come opened at 9:00).
        assert Occupancy.objects.filter(unit=room_type, date=STAY).count() == 2
        travel(dt.datetime(2026, 7, 1, 12, 29))
        assert services.release_held_blocks() == 0
        travel(dt.datetime(2026, 7, 1, 12, 31))
        assert services.release_held_blocks() == wins
        state = availability_grid(units=[room_type], start=STAY, end=STAY)[(room_type.pk, STAY)]
        assert state.mark is Mark.FREE and state.free_rooms == 2

    def test_after_first_come_opens_the_rest_is_bookable(self, resort_round, minato, travel):
        from tests.reservations.helpers import book_stay

        lottery, room_type = resort_round
        self.drawn(lottery, room_type, minato, travel)
        travel(dt.datetime(2026, 7, 1, 9, 0))
        booked = book_stay(registrant(minato), room_type, dt.date(2026, 8, 20), nights=1)
        assert booked.status == Reservation.Status.CONFIRMED

    def test_results_page_lists_won_and_lost_per_choice(self, client, resort_round, minato, travel):
        lottery, room_type = resort_round
        people = self.drawn(lottery, room_type, minato, travel)
        client.force_login(people[0].user)
        page = client.get("/minato/lottery/results/").content.decode()
        assert "第1希望" in page and "第2希望" in page


def test_groups_first_puts_registered_groups_ahead(ukiha, travel):
    from tests.registrants import builders

    _, whole, *_ = hall(ukiha)
    lottery = make_round(ukiha, [whole], groups_first=True, max_wins_per_registrant=1)
    admin = f.staff_user(ukiha, login_id="lotto")
    group = builders.active(
        ukiha,
        admin,
        kind="group",
        group_name="うきは卓球クラブ",
        group_name_kana="ウキハタッキュウクラブ",
        member_count=10,
    )
    people = [registrant(ukiha) for _ in range(5)]
    slot = f.slot(whole, "am")
    choice = services.ChoiceRequest(
        unit=whole, use_date=dt.date(2026, 8, 4), slots=[slot], party_size=10
    )
    for person in [*people, group]:
        services.lottery_apply(lottery=lottery, registrant=person, choices=[choice], by=person.user)
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery)
    assert LotteryApplication.objects.get(registrant=group).status == "won"


class TestPages:
    def test_a_logged_in_registrant_sees_the_form_and_errors_keep_the_input(
        self, client, resort_round, minato
    ):
        lottery, room_type = resort_round
        person = registrant(minato)
        client.force_login(person.user)
        page = client.get(f"/minato/lottery/{lottery.pk}/").content.decode()
        assert "第1希望" in page and "第3希望" in page
        response = client.post(
            f"/minato/lottery/{lottery.pk}/apply/", {"c1-use_date": "2026-08-08"}
        )
        assert response.status_code == 400
        body = response.content.decode()
        assert "第1希望の室場を選んでください。" in body
        assert 'value="2026-08-08"' in body
        response = client.post(
            f"/minato/lottery/{lottery.pk}/apply/",
            {
                "c1-unit": room_type.pk,
                "c1-use_date": "2026-09-05",
                "c1-nights": "1",
                "c1-rooms": "1",
                "c1-adults": "2",
            },
        )
        assert "この抽選の対象期間内の日付を入力してください。" in response.content.decode()
        response = client.post(
            f"/minato/lottery/{lottery.pk}/apply/",
            {
                "c1-unit": room_type.pk,
                "c1-use_date": "2026-08-08",
                "c1-nights": "2",
                "c1-rooms": "1",
                "c1-adults": "2",
            },
        )
        assert response.status_code == 302
        application = LotteryApplication.objects.get()
        assert (
            client.post(
                f"/minato/lottery/applications/{application.pk}/withdraw/", {"confirm": "yes"}
            ).status_code
            == 302
        )
        application.refresh_from_db()
        assert application.status == LotteryApplication.Status.WITHDRAWN

    def test_published_data_after_the_drawing_has_the_seed_and_no_names(
        self, client, resort_round, minato, travel
    ):
        lottery, room_type = resort_round
        people = fill(lottery, room_type, minato, people=3)
        travel(dt.datetime(2026, 6, 25, 10, 0))
        f.lottery_draw(lottery=lottery)
        lottery.refresh_from_db()
        document = client.get(f"/minato/lottery/{lottery.pk}/published.json").json()
        assert document["seed"] == services.round_seed(lottery).hex()
        text = json.dumps(document, ensure_ascii=False)
        for person in people:
            assert person.user_number not in text and person.name not in text
        ok, message = algorithm.verify(
            document,
            expect_seed_sha256=lottery.seed_sha256,
            expect_applications_sha256=lottery.applications_sha256,
            public_value=f.PUBLIC_VALUE,
        )
        assert ok, message


def test_changing_an_application_while_open(client, resort_round, minato):
    lottery, room_type = resort_round
    person = registrant(minato)
    application = services.lottery_apply(
        lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
    )
    client.force_login(person.user)
    page = client.get(f"/minato/lottery/applications/{application.pk}/edit/").content.decode()
    assert 'value="2026-08-08"' in page
    response = client.post(
        f"/minato/lottery/applications/{application.pk}/edit/",
        {
            "c1-unit": room_type.pk,
            "c1-use_date": "2026-08-15",
            "c1-nights": "1",
            "c1-rooms": "1",
            "c1-adults": "2",
            "c2-unit": room_type.pk,
            "c2-use_date": "2026-08-22",
            "c2-nights": "1",
            "c2-rooms": "1",
            "c2-adults": "2",
        },
    )
    assert response.status_code == 302
    assert [(c.rank, c.use_date.day) for c in application.choices.all()] == [(1, 15), (2, 22)]


def test_outside_the_window_the_list_says_when_the_next_one_opens(client, minato, travel):
    _, room_type = resort(minato)
    travel(dt.datetime(2026, 5, 20, 10, 0))
    make_round(minato, [room_type])
    body = client.get("/minato/lottery/").content.decode()
    assert "次の受付は「2026年8月宿泊分」で、2026年6月1日（月） 8:00 からです。" in body


def test_ending_a_registration_withdraws_its_lottery_applications(resort_round, minato, travel):
    lottery, room_type = resort_round
    staff = f.staff_user(minato, login_id="clerk")
    person = registrant(minato)
    application = services.lottery_apply(
        lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
    )
    from yoyaku.registrants import services as registrant_services

    registrant_services.registration_reject(
        registrant=person, by=staff, reason="在住を確認できません"
    )
    application.refresh_from_db()
    assert application.status == LotteryApplication.Status.WITHDRAWN
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery)
    assert not Reservation.objects.filter(registrant=person).exists()


def test_a_confirmed_winner_may_change_the_party_while_the_dates_are_still_held(
    resort_round, minato, travel
):
    from yoyaku.reservations import booking

    lottery, room_type = resort_round
    fill(lottery, room_type, minato, people=1)
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery)
    win = Reservation.objects.get()
    services.lottery_confirm_win(reservation=win, by=win.registrant.user)
    changed, difference = booking.reservation_change_party(
        reservation=win, by=win.registrant.user, children=1
    )
    assert changed.children == 1 and difference > 0


def test_a_round_for_registered_groups_takes_groups_and_refuses_individuals(ukiha, travel):
    """Eligibility of a round uses the same categories as booking: a group passes as 団体."""
    from tests.registrants import builders

    _, whole, *_ = hall(ukiha)
    lottery = make_round(ukiha, [whole], eligible_categories=["group"])
    admin = f.staff_user(ukiha, login_id="groups")
    group = builders.active(
        ukiha,
        admin,
        kind="group",
        group_name="うきは卓球クラブ",
        group_name_kana="ウキハタッキュウクラブ",
        member_count=10,
    )
    person = registrant(ukiha)
    travel(dt.datetime(2026, 6, 2, 9, 0))
    choice = services.ChoiceRequest(
        unit=whole, use_date=dt.date(2026, 8, 4), slots=[f.slot(whole, "am")], party_size=10
    )
    services.lottery_apply(lottery=lottery, registrant=group, choices=[choice], by=group.user)
    with pytest.raises(DomainError) as refused:
        services.lottery_apply(lottery=lottery, registrant=person, choices=[choice], by=person.user)
    assert refused.value.code == "category_not_allowed"


@pytest.mark.parametrize(
    "overrides, code, field",
    [
        (
            {"applications_close_at": clock.at(dt.date(2026, 5, 1), dt.time(8))},
            "round_close_before_open",
            "applications_close_at",
        ),
        (
            {"draw_at": clock.at(dt.date(2026, 6, 5), dt.time(10))},
            "round_draw_before_close",
            "draw_at",
        ),
        (
            {"confirm_deadline": clock.at(dt.date(2026, 6, 20), dt.time(10))},
            "round_deadline_before_draw",
            "confirm_deadline",
        ),
        ({"use_from": dt.date(2026, 6, 5)}, "round_use_before_close", "use_from"),
        ({"max_choices": 7}, "round_number_out_of_range", "max_choices"),
        ({"name": "  "}, "round_name_required", "name"),
        ({"draw_at": None}, "required", "draw_at"),
    ],
)
def test_a_round_with_bad_settings_is_refused_by_the_service_itself(minato, overrides, code, field):
    """A caller that is not the console form (a task, the API) gets the same refusal."""
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    with pytest.raises(DomainError) as refused:
        make_round(minato, [room_type], **overrides)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.message
    assert not LotteryRound.objects.exists()
