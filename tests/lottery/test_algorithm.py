"""The drawing (yoyaku.lottery.algorithm): pure functions, no database."""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from yoyaku.lottery import algorithm, publication
from yoyaku.lottery.algorithm import (
    Application,
    Choice,
    draw,
    order_key,
    seed_commitment,
    verify,
)
from yoyaku.lottery.publication import document_dumps, published_document

SEED = b"yoyaku-lottery-1 test vector"
HALL = "u1:2026-06-05:540"


def application(app_id, *choices, registrant=None, tier=0, weight=1):
    """Choices ranked 1, 2, … in the order given; each a list of keys (amount 1) or pairs."""
    return Application(
        id=app_id,
        registrant=registrant or f"R-{app_id}",
        tier=tier,
        weight=weight,
        choices=[
            Choice(
                rank=rank, needs=[need if isinstance(need, tuple) else (need, 1) for need in needs]
            )
            for rank, needs in enumerate(choices, start=1)
        ],
    )


def rivals(count, *, key=HALL, prefix="A"):
    return [application(f"{prefix}{number}", [key]) for number in range(1, count + 1)]


# --- determinism and the documented order ---------------------------------------------------


def test_draw__same_seed__same_result():
    applications = rivals(20)
    first = draw(applications, {HALL: 3}, SEED)
    again = draw(copy.deepcopy(applications), {HALL: 3}, SEED)
    assert first == again


def test_draw__different_seed__different_order():
    applications = rivals(20)
    assert (
        draw(applications, {HALL: 1}, b"seed-1").order
        != draw(applications, {HALL: 1}, b"seed-2").order
    )


def test_draw__order_of_the_input__does_not_matter():
    applications = rivals(20)
    assert draw(applications, {HALL: 3}, SEED) == draw(applications[::-1], {HALL: 3}, SEED)


def test_draw__pinned_test_vector():
    # yoyaku-lottery-1 must never change: published rounds are re-run with it for years.
    result = draw(rivals(8), {HALL: 1}, SEED)
    assert result.order == ["A3", "A1", "A2", "A6", "A8", "A5", "A7", "A4"]
    assert result.winners() == {"A3": 1}
    assert order_key(SEED, "A1") == 0.6515292349719691
    assert order_key(SEED, "A1", weight=2) == 0.32576461748598456


def test_order__follows_the_formula_in_the_docstring():
    applications = [application(f"申込{n}", [HALL], weight=1 + n % 3) for n in range(50)]

    def key(app):
        r = int.from_bytes(hmac.new(SEED, app.id.encode(), hashlib.sha256).digest()[:8], "big")
        return (app.tier, -math.log((float(r) + 0.5) / 2**64) / app.weight, app.id)

    expected = [app.id for app in sorted(applications, key=key)]
    assert draw(applications, {HALL: 1}, SEED).order == expected


def test_seed_commitment__is_the_sha256_of_the_seed():
    assert seed_commitment(SEED) == hashlib.sha256(SEED).hexdigest()
    assert len(publication.new_seed()) == 32


# --- allocation ---------------------------------------------------------------------------


def test_multi_night_stay__needs_every_night_free():
    nights = ["u7:2026-08-01", "u7:2026-08-02", "u7:2026-08-03"]
    first = application("FIRST", [nights[1]], tier=0)
    stay = application("STAY", nights[:2], tier=1)
    other = application("OTHER", [nights[0], nights[2]], tier=2)

    result = draw([first, stay, other], dict.fromkeys(nights, 1), SEED)

    assert result.wins == {"FIRST": 1, "STAY": None, "OTHER": 1}


def test_multi_night_stay__takes_the_rooms_on_every_night():
    nights = ["u7:2026-08-01", "u7:2026-08-02"]
    group = application("GROUP", [(night, 2) for night in nights], tier=0)
    late = application("LATE", [(nights[1], 2)], tier=1)
    single = application("SINGLE", [(nights[1], 1)], tier=2)

    result = draw([group, late, single], dict.fromkeys(nights, 3), SEED)

    assert result.wins == {"GROUP": 1, "LATE": None, "SINGLE": 1}


def test_whole_unit__loses_when_one_half_is_taken():
    half_a, half_b = "u21:2026-06-05:540", "u22:2026-06-05:540"
    takes_b = application("HALF-B", [half_b], tier=0)
    whole = application("WHOLE", [half_a, half_b], tier=1)
    takes_a = application("HALF-A", [half_a], tier=2)

    result = draw([whole, takes_a, takes_b], {half_a: 1, half_b: 1}, SEED)

    assert result.wins == {"HALF-B": 1, "WHOLE": None, "HALF-A": 1}


def test_whole_unit__takes_both_halves():
    half_a, half_b = "u21:2026-06-05:540", "u22:2026-06-05:540"
    whole = application("WHOLE", [half_a, half_b], tier=0)
    half = application("HALF", [half_b], [half_a], tier=1)

    assert draw([whole, half], {half_a: 1, half_b: 1}, SEED).wins == {"WHOLE": 1, "HALF": None}


def test_rank__falls_back_to_choice_two_when_choice_one_is_taken():
    first, second = "u1:2026-06-05:540", "u1:2026-06-06:540"
    rival = application("RIVAL", [first], tier=0)
    mine = application("MINE", [first], [second], tier=1)

    result = draw([rival, mine], {first: 1, second: 1}, SEED)

    assert result.wins == {"RIVAL": 1, "MINE": 2}


def test_rank__is_the_rank_not_the_position_in_the_list():
    first, second = "u1:2026-06-05:540", "u1:2026-06-06:540"
    mine = Application(
        id="MINE",
        registrant="R",
        choices=[Choice(rank=2, needs=[(second, 1)]), Choice(rank=1, needs=[(first, 1)])],
    )
    assert draw([mine], {first: 1, second: 1}, SEED).wins == {"MINE": 1}


def test_need__listed_twice__needs_the_sum():
    twice = application("TWICE", [HALL, HALL])
    assert draw([twice], {HALL: 1}, SEED).wins == {"TWICE": None}
    assert draw([twice], {HALL: 2}, SEED).wins == {"TWICE": 1}


def test_need__key_without_capacity__never_fits():
    assert draw([application("A", ["u9:2030-01-01:540"])], {HALL: 1}, SEED).wins == {"A": None}


def test_draw__leaves_the_capacity_given_untouched():
    capacity = {HALL: 2}
    draw(rivals(5), capacity, SEED)
    assert capacity == {HALL: 2}


def test_win_cap__counts_across_the_registrants_applications():
    dates = [f"u1:2026-06-{day:02d}:540" for day in range(1, 6)]
    mine = [application(f"M{n}", [date], registrant="R-MINE") for n, date in enumerate(dates)]
    other = application("OTHER", [dates[0]], [dates[1]], registrant="R-OTHER")
    applications = [*mine, other]
    capacity = dict.fromkeys(dates, 2)

    result = draw(applications, capacity, SEED, max_wins_per_registrant=2)

    my_wins = [app_id for app_id in result.order if app_id.startswith("M") and result.wins[app_id]]
    my_order = [app_id for app_id in result.order if app_id.startswith("M")]
    assert my_wins == my_order[:2]
    assert result.wins["OTHER"] == 1
    assert sum(rank is not None for rank in draw(applications, capacity, SEED).wins.values()) == 6


def test_win_cap__a_capped_application_takes_nothing():
    first, second = "u1:2026-06-05:540", "u1:2026-06-06:540"
    winner = application("WINNER", [first], registrant="R-MINE", tier=0)
    capped = application("CAPPED", [second], registrant="R-MINE", tier=1)
    next_in_line = application("NEXT", [second], tier=2)

    result = draw([winner, capped, next_in_line], {first: 1, second: 1}, SEED, 1)

    assert result.wins == {"WINNER": 1, "CAPPED": None, "NEXT": 1}


@pytest.mark.parametrize("seed", [b"tier-%d" % n for n in range(20)])
def test_tiers__every_tier_0_application_comes_before_tier_1(seed):
    applications = [application(f"A{n}", [HALL], tier=n % 2) for n in range(40)]
    result = draw(applications, {HALL: 20}, seed)
    tiers = [int(app_id[1:]) % 2 for app_id in result.order]
    assert tiers == sorted(tiers)
    assert {app_id for app_id, rank in result.wins.items() if rank} == {
        f"A{n}" for n in range(0, 40, 2)
    }


def test_weight__two_wins_twice_as_often_as_one():
    # P(weight 2 first) = 2 / (2 + 1). Over 3,000 seeds the standard error is 0.0086;
    # ±0.04 is 4.6 of them, and 0.5 (no effect) is 19 away.
    heavy = application("HEAVY", [HALL], weight=2)
    light = application("LIGHT", [HALL], weight=1)
    rounds = 3_000
    heavy_wins = sum(
        draw([heavy, light], {HALL: 1}, b"weight-%d" % n).wins["HEAVY"] == 1 for n in range(rounds)
    )
    assert heavy_wins / rounds == pytest.approx(2 / 3, abs=0.04)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda apps: apps.append(application("A1", [HALL])), "appears twice"),
        (lambda apps: setattr(apps[0], "weight", 0), "weight must be at least 1"),
        (lambda apps: setattr(apps[0], "tier", -1), "tier must be at least 0"),
        (lambda apps: setattr(apps[0], "weight", 1.5), "weight must be an integer"),
        (lambda apps: apps[0].choices.append(Choice(1, [(HALL, 1)])), "rank 1 appears twice"),
        (lambda apps: apps[0].choices.append(Choice(2, [])), "needs something"),
        (lambda apps: apps[0].choices.append(Choice(2, [(HALL, 0)])), "amount must be at least 1"),
        (lambda apps: apps[0].choices.append(Choice(2, [(7, 1)])), "is not text"),
        (lambda apps: setattr(apps[0], "registrant", ""), "registrant"),
    ],
)
def test_draw__refuses_applications_that_break_the_rules(change, message):
    applications = rivals(3)
    change(applications)
    with pytest.raises(ValueError, match=message):
        draw(applications, {HALL: 1}, SEED)


def test_draw__refuses_an_empty_seed_a_zero_cap_and_negative_capacity():
    with pytest.raises(ValueError, match="seed"):
        draw(rivals(2), {HALL: 1}, b"")
    with pytest.raises(ValueError, match="max_wins_per_registrant"):
        draw(rivals(2), {HALL: 1}, SEED, 0)
    with pytest.raises(ValueError, match="capacity"):
        draw(rivals(2), {HALL: -1}, SEED)


# --- published document and verify() ---------------------------------------------------------


def published(max_wins=1):
    first, second = "u1:2026-06-05:540", "u1:2026-06-05:780"
    applications = [
        application(
            f"A{n:03d}",
            [first, second] if n % 4 == 0 else [first],
            [second],
            registrant=f"R{n % 7}",
            tier=0 if n < 3 else 1,
            weight=2 if n % 5 == 0 else 1,
        )
        for n in range(30)
    ]
    capacity = {first: 6, second: 6, "rt1:2026-08-01": 3}
    result = draw(applications, capacity, SEED, max_wins)
    document = published_document(
        {"name": "2026年6月 抽選", "municipality": "ukiha"},
        SEED,
        applications,
        capacity,
        {"max_wins_per_registrant": max_wins},
        result,
    )
    return json.loads(document_dumps(document))


def test_published_document__has_the_documented_fields_and_verifies():
    document = published()

    assert list(document) == [
        "algorithm",
        "round",
        "seed_sha256",
        "seed",
        "settings",
        "capacity",
        "applications",
        "results",
    ]
    assert document["algorithm"] == "yoyaku-lottery-1"
    assert document["seed"] == SEED.hex()
    assert document["seed_sha256"] == hashlib.sha256(SEED).hexdigest()
    assert document["settings"] == {"max_wins_per_registrant": 1}
    assert document["applications"][0] == {
        "id": "A000",
        "registrant": "R0",
        "tier": 0,
        "weight": 2,
        "choices": [
            {"rank": 1, "needs": [["u1:2026-06-05:540", 1], ["u1:2026-06-05:780", 1]]},
            {"rank": 2, "needs": [["u1:2026-06-05:780", 1]]},
        ],
    }
    assert len(document["results"]["order"]) == 30
    ok, message = verify(document)
    assert ok, message
    assert message.startswith(
        "OK: yoyaku-lottery-1 reproduces the published results: 30 applications"
    )


def test_document_dumps__writes_one_application_per_line():
    text = document_dumps(
        published_document({}, SEED, rivals(3), {HALL: 1}, {}, draw(rivals(3), {HALL: 1}, SEED))
    )
    assert [line for line in text.splitlines() if line.startswith('{"id":')] == [
        '{"id":"A1","registrant":"R-A1","tier":0,"weight":1,"choices":[{"rank":1,"needs":[["u1:2026-06-05:540",1]]}]},',
        '{"id":"A2","registrant":"R-A2","tier":0,"weight":1,"choices":[{"rank":1,"needs":[["u1:2026-06-05:540",1]]}]},',
        '{"id":"A3","registrant":"R-A3","tier":0,"weight":1,"choices":[{"rank":1,"needs":[["u1:2026-06-05:540",1]]}]}',
    ]


def test_verify__a_seed_that_does_not_match_the_commitment():
    document = published()
    document["seed"] = b"another seed".hex()
    ok, message = verify(document)
    assert not ok
    assert message.startswith("the seed does not match the published commitment")


def test_verify__another_seed_with_its_own_commitment__gives_other_results():
    document = published()
    document["seed"] = b"another seed".hex()
    document["seed_sha256"] = hashlib.sha256(b"another seed").hexdigest()
    ok, message = verify(document)
    assert not ok
    assert message.startswith("order differs at position")


def test_verify__a_changed_result():
    document = published()
    loser = next(app_id for app_id, rank in document["results"]["wins"].items() if rank is None)
    document["results"]["wins"][loser] = 2
    assert verify(document) == (False, f"wins differ for {loser!r}: published 2, drawn None")


def test_verify__a_swapped_order():
    document = published()
    order = document["results"]["order"]
    order[3], order[4] = order[4], order[3]
    assert verify(document) == (
        False,
        f"order differs at position 4: published {order[3]!r}, drawn {order[4]!r}",
    )


def test_verify__an_application_moved_to_the_first_tier():
    document = published()
    last = document["results"]["order"][-1]
    next(app for app in document["applications"] if app["id"] == last)["tier"] = 0
    ok, message = verify(document)
    assert not ok
    assert message.startswith("order differs at position")


def test_verify__an_edited_choice_of_a_winner():
    document = published()
    winner = next(app_id for app_id, rank in document["results"]["wins"].items() if rank)
    edited = next(app for app in document["applications"] if app["id"] == winner)
    edited["choices"] = [{"rank": 1, "needs": [["rt1:2026-08-01", 1]]}]
    ok, message = verify(document)
    assert not ok
    assert message.startswith("wins differ for")


def test_verify__an_application_removed():
    document = published()
    del document["applications"][5]
    ok, message = verify(document)
    assert not ok
    assert message.startswith("order")


def test_verify__a_changed_cap():
    document = published(max_wins=1)
    document["settings"]["max_wins_per_registrant"] = None
    assert verify(document)[0] is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda doc: doc.update(algorithm="yoyaku-lottery-3"), "algorithm is 'yoyaku-lottery-3'"),
        (lambda doc: doc.pop("capacity"), "malformed document: KeyError"),
        (lambda doc: doc.update(seed="not hex"), "malformed document: ValueError"),
        (lambda doc: doc["applications"][0].update(weight="2"), "malformed document: ValueError"),
    ],
)
def test_verify__a_malformed_document(change, message):
    document = published()
    change(document)
    ok, text = verify(document)
    assert not ok
    assert text.startswith(message)


# --- the command line -------------------------------------------------------------------------


def run_verifier(*args, cwd=None):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def test_cli__ok_exits_0__tampered_exits_1(tmp_path):
    script = Path(algorithm.__file__)
    good = tmp_path / "published.json"
    good.write_text(document_dumps(published()), encoding="utf-8")
    tampered_document = published()
    tampered_document["results"]["order"].reverse()
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(tampered_document), encoding="utf-8")

    ok = run_verifier(str(script), str(good))
    bad = run_verifier(str(script), str(tampered))

    assert (ok.returncode, ok.stdout.startswith("OK: ")) == (0, True), ok.stderr
    assert (bad.returncode, bad.stdout.startswith("order differs at position 1")) == (1, True)


def test_cli__a_copy_alone_runs_on_the_standard_library(tmp_path):
    # What a citizen downloads: the file alone; -I -S leaves out the project and site-packages
    # (Django included), so any import beyond the standard library would fail here.
    copy_of_script = tmp_path / "algorithm.py"
    shutil.copyfile(algorithm.__file__, copy_of_script)
    (tmp_path / "published.json").write_text(document_dumps(published()), encoding="utf-8")

    completed = run_verifier("-I", "-S", "algorithm.py", "published.json", cwd=tmp_path)

    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.startswith("OK: ")


def test_cli__as_a_module_of_the_project(tmp_path):
    published_file = tmp_path / "published.json"
    published_file.write_text(document_dumps(published()), encoding="utf-8")
    project = Path(algorithm.__file__).parents[2]

    completed = run_verifier("-m", "yoyaku.lottery.algorithm", str(published_file), cwd=project)

    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_cli__unreadable_file_exits_1(tmp_path):
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    completed = run_verifier(algorithm.__file__, str(tmp_path / "broken.json"))
    assert completed.returncode == 1
    assert completed.stdout.startswith("cannot read")
