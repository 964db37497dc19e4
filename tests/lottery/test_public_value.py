"""A round no one can steer: the seed from a key outside the database, a public value fixed
in advance and confirmed by two people, the applications frozen at the close, the public log."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from tests import factories as f
from tests.lottery.test_rounds import STAY, fill, make_round, stay
from tests.reservations.helpers import registrant, resort
from yoyaku.core import clock
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AppendOnly, AuditLog
from yoyaku.lottery import algorithm, public_value, publication, services
from yoyaku.lottery.models import LotteryApplication, LotteryCommitment, LotteryRound
from yoyaku.scheduling.services import scheduler_tick

pytestmark = pytest.mark.django_db(transaction=True)

C = LotteryCommitment.Kind
AFTER_VALUE = dt.datetime(2026, 6, 11, 9, 0)  # the default source produces 6/11 0:59


@pytest.fixture
def round_(minato):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    return make_round(minato, [room_type]), room_type


@pytest.fixture
def clerks(minato):
    return f.staff_user(minato, login_id="clerk-a"), f.staff_user(minato, login_id="clerk-b")


def kinds(lottery):
    return list(LotteryCommitment.objects.filter(round=lottery).values_list("kind", flat=True))


# --- 1. the seed ------------------------------------------------------------------------------


def test_the_seed_comes_from_the_key_and_the_nonce_and_only_its_hash_is_stored(round_, settings):
    lottery, _ = round_
    seed = publication.derive_seed(
        settings.LOTTERY_SEED_KEY.encode(), lottery.municipality.slug, lottery.seed_nonce
    )
    assert lottery.seed == ""
    assert lottery.seed_sha256 == algorithm.seed_commitment(seed)
    assert services.round_seed(lottery) == seed
    assert kinds(lottery) == [C.SEED_COMMITTED, C.SOURCE_FIXED]
    assert LotteryCommitment.objects.get(round=lottery, kind=C.SEED_COMMITTED).value == (
        lottery.seed_sha256
    )


def test_without_the_key_no_round_is_made_and_none_drawn(round_, minato, settings, travel):
    lottery, room_type = round_
    settings.LOTTERY_SEED_KEY = ""
    with pytest.raises(DomainError) as refused:
        make_round(minato, [room_type], name="鍵なし")
    assert refused.value.code == "lottery_seed_key_missing"
    travel(AFTER_VALUE)
    f.lottery_value_confirmed(lottery)
    with pytest.raises(DomainError) as refused:
        services.lottery_draw(lottery=lottery)
    assert refused.value.code == "lottery_seed_key_missing"


def test_another_key_no_longer_matches_the_published_hash_and_the_drawing_is_refused(
    round_, settings, travel
):
    lottery, _ = round_
    travel(AFTER_VALUE)
    lottery = f.lottery_value_confirmed(lottery)
    settings.LOTTERY_SEED_KEY = "a re-rolled key"
    with pytest.raises(DomainError) as refused:
        services.lottery_draw(lottery=lottery)
    assert refused.value.code == "lottery_seed_key_changed"


# --- 2. the public value ------------------------------------------------------------------------


def test_the_default_source_is_a_drand_round_produced_after_the_close(round_):
    lottery, _ = round_
    assert lottery.public_source_kind == "drand"
    assert lottery.public_value_at > lottery.applications_close_at
    assert public_value.drand_round_time(lottery.public_source_round) == lottery.public_value_at
    assert lottery.public_source["url"].endswith(f"/public/{lottery.public_source_round}")


def test_a_source_known_before_the_close_is_refused(minato):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    with pytest.raises(DomainError) as refused:
        make_round(
            minato,
            [room_type],
            public_source_kind="named_draw",
            public_source_text="第1900回ロト6 本数字",
            public_value_at=clock.at(dt.date(2026, 6, 10), dt.time(18, 45)),
        )
    assert (refused.value.code, refused.value.field) == (
        "lottery_public_value_before_close",
        "public_value_at",
    )


def test_the_source_can_change_before_the_window_opens_and_not_after(minato, travel, clerks):
    _facility, room_type = resort(minato, rooms=2, opens_months_before=2)
    lottery = make_round(
        minato, [room_type], applications_open_at=clock.at(dt.date(2026, 6, 3), dt.time(8))
    )
    lottery = services.round_public_source_set(
        lottery=lottery,
        by=clerks[0],
        kind="named_draw",
        text="第1901回ロト6（2026年6月11日抽せん）の本数字",
        value_at=clock.at(dt.date(2026, 6, 11), dt.time(19)),
    )
    assert lottery.public_source["kind"] == "named_draw"
    assert kinds(lottery)[-1] == C.SOURCE_FIXED
    assert AuditLog.objects.filter(action="lottery.public_source", actor=clerks[0]).exists()
    travel(dt.datetime(2026, 6, 3, 8, 0))
    with pytest.raises(DomainError) as refused:
        services.round_public_source_set(lottery=lottery, by=clerks[0], kind="drand")
    assert refused.value.code == "lottery_public_source_locked"


def test_the_value_is_entered_by_one_and_confirmed_by_another(round_, clerks, travel):
    lottery, _ = round_
    a, b = clerks
    value = f.PUBLIC_VALUE
    with pytest.raises(DomainError) as refused:
        services.round_public_value_enter(lottery=lottery, by=a, value=value)
    assert refused.value.code == "lottery_public_value_too_early"
    travel(AFTER_VALUE)
    with pytest.raises(DomainError) as refused:
        services.round_public_value_enter(lottery=lottery, by=a, value="12345")
    assert refused.value.code == "lottery_public_value_not_drand"
    services.round_public_value_enter(lottery=lottery, by=a, value=value.upper())
    with pytest.raises(DomainError) as refused:
        services.round_public_value_confirm(lottery=lottery, by=a, value=value)
    assert refused.value.code == "lottery_public_value_same_person"
    with pytest.raises(DomainError) as refused:
        services.round_public_value_confirm(lottery=lottery, by=b, value="0" * 64)
    assert refused.value.code == "lottery_public_value_mismatch"
    lottery = services.round_public_value_confirm(lottery=lottery, by=b, value=value)
    assert lottery.public_value == value and lottery.public_value_confirmed
    with pytest.raises(DomainError) as refused:
        services.round_public_value_enter(lottery=lottery, by=a, value="f" * 64)
    assert refused.value.code == "lottery_public_value_confirmed"
    assert kinds(lottery)[-2:] == [C.VALUE_ENTERED, C.VALUE_CONFIRMED]
    audit = AuditLog.objects.filter(target_id=str(lottery.pk)).values_list("action", "actor")
    assert ("lottery.public_value_enter", a.pk) in audit
    assert ("lottery.public_value_confirm", b.pk) in audit


def test_the_database_refuses_a_confirmation_by_the_one_who_entered(round_, clerks, travel):
    lottery, _ = round_
    travel(AFTER_VALUE)
    services.round_public_value_enter(lottery=lottery, by=clerks[0], value=f.PUBLIC_VALUE)
    with pytest.raises(Exception), transaction.atomic():  # noqa: B017 -- an IntegrityError
        LotteryRound.objects.filter(pk=lottery.pk).update(
            public_value_confirmed_by=clerks[0], public_value_confirmed_at=clock.now()
        )


def test_no_drawing_until_the_value_is_confirmed__by_hand_or_by_the_scheduler(
    round_, minato, clerks, travel
):
    lottery, room_type = round_
    fill(lottery, room_type, minato, people=3)
    travel(dt.datetime(2026, 6, 25, 10, 0))
    with pytest.raises(DomainError) as refused:
        services.lottery_draw(lottery=lottery)
    assert refused.value.code == "lottery_public_value_missing"
    assert not [n for n in scheduler_tick() if n.startswith("lottery.draw")]
    services.round_public_value_enter(lottery=lottery, by=clerks[0], value=f.PUBLIC_VALUE)
    with pytest.raises(DomainError):
        services.lottery_draw(lottery=lottery)
    assert not [n for n in scheduler_tick() if n.startswith("lottery.draw")]
    services.round_public_value_confirm(lottery=lottery, by=clerks[1], value=f.PUBLIC_VALUE)
    travel(dt.datetime(2026, 6, 25, 10, 1))
    assert [n for n in scheduler_tick() if n.startswith("lottery.draw")] == [
        f"lottery.draw.{lottery.pk}"
    ]
    lottery.refresh_from_db()
    assert lottery.status == LotteryRound.Status.DRAWN
    assert lottery.published["public_value"]["value"] == f.PUBLIC_VALUE
    assert kinds(lottery)[-1] == C.DRAWN


# --- 3. the frozen applications -------------------------------------------------------------


def test_the_scheduler_freezes_the_applications_at_the_close_and_publishes_their_hash(
    client, round_, minato, travel
):
    lottery, room_type = round_
    fill(lottery, room_type, minato, people=3)
    travel(dt.datetime(2026, 6, 10, 23, 58))
    assert not [n for n in scheduler_tick() if n.startswith("lottery.freeze")]
    travel(dt.datetime(2026, 6, 10, 23, 59))
    assert [n for n in scheduler_tick() if n.startswith("lottery.freeze")] == [
        f"lottery.freeze.{lottery.pk}"
    ]
    lottery.refresh_from_db()
    lines = gzip.decompress(bytes(lottery.applications_gzip)).decode().splitlines()
    assert len(lines) == 3
    assert lottery.applications_sha256 == algorithm.applications_hash(
        [algorithm.Application.from_json(json.loads(line)) for line in lines]
    )
    assert kinds(lottery)[-1] == C.APPLICATIONS_FROZEN
    assert (
        lottery.applications_sha256 in client.get(f"/minato/lottery/{lottery.pk}/").content.decode()
    )
    # Drawn later: the published applications are exactly the frozen lines, sorted by id.
    f.lottery_draw(lottery=lottery)
    lottery.refresh_from_db()
    text = gzip.decompress(bytes(lottery.published_gzip)).decode()
    published_lines = [line.rstrip(",") for line in text.splitlines() if line.startswith('{"id"')]
    assert published_lines == lines
    assert lottery.published["applications_sha256"] == lottery.applications_sha256


def test_the_drawing_freezes_the_applications_if_the_job_has_not(round_, minato, travel):
    lottery, room_type = round_
    fill(lottery, room_type, minato, people=2)
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery)
    lottery.refresh_from_db()
    assert lottery.applications_sha256 == lottery.published["applications_sha256"]
    assert kinds(lottery)[-2:] == [C.APPLICATIONS_FROZEN, C.DRAWN]


def test_applications_cannot_change_after_the_close(round_, minato, travel):
    lottery, room_type = round_
    person = registrant(minato)
    application = services.lottery_apply(
        lottery=lottery, registrant=person, choices=[stay(room_type)], by=person.user
    )
    travel(dt.datetime(2026, 6, 11, 0, 0))
    services.lottery_freeze(lottery=lottery)
    for attempt in (
        lambda: services.lottery_change(
            application=application,
            choices=[stay(room_type, STAY + dt.timedelta(days=7))],
            by=person.user,
        ),
        lambda: services.lottery_withdraw(application=application, by=person.user),
        lambda: services.lottery_apply(
            lottery=lottery,
            registrant=registrant(minato),
            choices=[stay(room_type)],
            by=person.user,
        ),
    ):
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code == "lottery_not_open"


def test_an_application_withdrawn_after_the_freeze_is_drawn_but_its_win_not_booked(
    round_, minato, travel
):
    from yoyaku.reservations.models import Reservation

    lottery, room_type = round_
    people = fill(lottery, room_type, minato, people=2)  # 2 rooms: both would win
    travel(dt.datetime(2026, 6, 11, 0, 0))
    services.lottery_freeze(lottery=lottery)
    services.lottery_withdraw_for_registrant(registrant=people[0], by=None)
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery)
    lottery.refresh_from_db()
    assert len(lottery.published["applications"]) == 2
    withdrawn = LotteryApplication.objects.get(registrant=people[0])
    assert withdrawn.status == LotteryApplication.Status.WITHDRAWN
    assert not Reservation.objects.filter(registrant=people[0]).exists()
    assert Reservation.objects.filter(registrant=people[1]).exists()
    out = io.StringIO()
    call_command("verify_lottery", str(lottery.pk), stdout=out)
    assert out.getvalue().startswith("OK")


# --- 4. the public log --------------------------------------------------------------------------


def test_the_public_log_is_append_only(round_):
    lottery, _ = round_
    row = LotteryCommitment.objects.filter(round=lottery).first()
    row.value = "0" * 64
    with pytest.raises(AppendOnly):
        row.save()
    with pytest.raises(AppendOnly):
        row.delete()
    with pytest.raises(AppendOnly):
        LotteryCommitment.objects.filter(round=lottery).update(value="")
    if connection.vendor == "postgresql":
        with (
            pytest.raises(Exception),  # noqa: B017 -- the trigger's error
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE lottery_lotterycommitment SET value = '' WHERE id = %s", [row.pk]
            )


# --- 5. verify_lottery --------------------------------------------------------------------------


def test_verify_lottery__with_the_saved_values__and_refusals(round_, minato, travel):
    lottery, room_type = round_
    fill(lottery, room_type, minato, people=3)
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery)
    lottery.refresh_from_db()
    out = io.StringIO()
    call_command(
        "verify_lottery",
        str(lottery.pk),
        f"--expect-seed-sha256={lottery.seed_sha256}",
        f"--expect-applications-sha256={lottery.applications_sha256}",
        f"--public-value={f.PUBLIC_VALUE}",
        stdout=out,
    )
    assert out.getvalue().startswith("OK")
    with pytest.raises(CommandError) as failed:
        call_command("verify_lottery", str(lottery.pk), f"--public-value={'e' * 64}")
    assert "the public value differs" in str(failed.value)
    with pytest.raises(CommandError) as failed:
        call_command("verify_lottery", str(lottery.pk), f"--expect-seed-sha256={'0' * 64}")
    assert "the seed is not the one committed to" in str(failed.value)
    with pytest.raises(CommandError) as malformed:
        call_command("verify_lottery", str(lottery.pk), f"--expect-seed-sha256={'A' * 64}")
    assert malformed.value.returncode == 2
    assert "64 lower-case hex digits" in str(malformed.value)


# --- 7. the public page -----------------------------------------------------------------------


def test_the_public_page_shows_the_log_the_odds_and_how_to_verify_in_three_commands(
    client, round_, minato, travel, tmp_path
):
    import subprocess
    import sys

    lottery, room_type = round_
    fill(lottery, room_type, minato, people=5)  # 2 rooms, 5 applications naming 8/8
    page = client.get(f"/minato/lottery/{lottery.pk}/").content.decode()
    assert "公開記録" in page and "乱数の種（シード）のハッシュを公開" in page
    assert "当選の目安" not in page  # no odds while the window is open
    assert f"--expect-seed-sha256 {lottery.seed_sha256}" in page
    travel(dt.datetime(2026, 6, 25, 10, 0))
    f.lottery_draw(lottery=lottery)
    lottery.refresh_from_db()
    page = client.get(f"/minato/lottery/{lottery.pk}/").content.decode()
    assert "当選の目安" in page
    assert '<td class="num">5</td>' in page and '<td class="num">2</td>' in page
    assert '<td class="num">40%</td>' in page
    for label in ("公開乱数の値を入力", "公開乱数の値を別の職員が確認", "抽選を実施・結果を公開"):
        assert label in page
    assert f.PUBLIC_VALUE in page
    # The three commands, with what the page links to.
    script = client.get("/minato/lottery/algorithm.py")
    assert script["Content-Type"] == "text/plain; charset=utf-8"
    (tmp_path / "algorithm.py").write_bytes(script.content)
    document = client.get(f"/minato/lottery/{lottery.pk}/published.json")
    (tmp_path / "published.json").write_bytes(document.content)
    completed = subprocess.run(
        [
            *(sys.executable, "-I", "-S", "algorithm.py", "published.json"),
            *("--expect-seed-sha256", lottery.seed_sha256, "--public-value", f.PUBLIC_VALUE),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.startswith("OK: yoyaku-lottery-2")
