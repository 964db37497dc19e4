"""yoyaku-lottery-2: the public value, the applications hash, the runner-up order, and what the
verifier refuses when a citizen passes the values they saved (no database)."""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from yoyaku.lottery import algorithm
from yoyaku.lottery.algorithm import (
    Application,
    Choice,
    applications_hash,
    draw,
    draw_key,
    normalize_public_value,
    verify,
)
from yoyaku.lottery.publication import derive_seed, document_dumps, published_document

SEED = derive_seed(b"test key", "ukiha", "nonce-1")
VALUE = "3b1e0f" + "a" * 58  # a drand randomness: 64 lower-case hex digits
SOURCE = {"kind": "drand", "round": 1234, "produced_at": "2026-06-11T00:59:00+09:00"}
HALL = "u1:2026-06-05:540"


def app(app_id, *keys, registrant=None):
    return Application(
        id=app_id,
        registrant=registrant or f"R-{app_id}",
        choices=[Choice(rank=rank, needs=[(key, 1)]) for rank, key in enumerate(keys, start=1)],
    )


def applications():
    return [app(f"A{n:03}", HALL, "u1:2026-06-05:780") for n in range(30)]


def document(value=VALUE, seed=SEED):
    apps = applications()
    capacity = {HALL: 2, "u1:2026-06-05:780": 1}
    result = draw(apps, capacity, seed, 1, public_value=value)
    built = published_document(
        {"name": "2026年6月"},
        seed,
        apps,
        capacity,
        {"max_wins_per_registrant": 1},
        result,
        public_value=value,
        public_source=SOURCE,
    )
    return json.loads(document_dumps(built))


def saved():
    """What a citizen saved before the drawing and looked up after it."""
    doc = document()
    return {
        "expect_seed_sha256": hashlib.sha256(SEED).hexdigest(),
        "expect_applications_sha256": doc["applications_sha256"],
        "public_value": VALUE,
    }


def test_seed__is_the_hmac_of_the_key_over_context_municipality_and_nonce():
    expected = hmac.new(b"test key", b"yoyaku-lottery-seed\nukiha\nnonce-1", "sha256").digest()
    assert expected == SEED
    assert derive_seed(b"other key", "ukiha", "nonce-1") != SEED
    assert derive_seed(b"test key", "ukiha", "nonce-2") != SEED


def test_draw_key__is_the_hmac_of_the_seed_over_the_normalised_public_value():
    assert draw_key(SEED, VALUE) == hmac.new(SEED, VALUE.encode(), "sha256").digest()
    assert draw_key(SEED, "  ０３　１５\n22 ") == hmac.new(SEED, b"03 15 22", "sha256").digest()
    assert normalize_public_value(" ０３　１５\n22 ") == "03 15 22"
    with pytest.raises(ValueError):
        normalize_public_value("  \u3000 ")


def test_order__uses_the_draw_key_not_the_seed():
    apps = applications()
    with_value = draw(apps, {HALL: 1}, SEED, public_value=VALUE)
    as_if_key_were_the_seed = draw(apps, {HALL: 1}, draw_key(SEED, VALUE))
    assert with_value.order == as_if_key_were_the_seed.order
    assert draw(apps, {HALL: 1}, SEED, public_value="another").order != with_value.order


def test_runner_up__the_applications_that_won_nothing_in_drawing_order():
    apps = [*applications(), app("B1", HALL, registrant="R-A000")]
    result = draw(apps, {HALL: 2, "u1:2026-06-05:780": 1}, SEED, 1, public_value=VALUE)
    losers = [a for a in result.order if result.wins[a] is None]
    # A registrant at the cap cannot be a runner-up.
    capped = [a for a in losers if a == "B1" and result.wins["A000"] is not None]
    assert result.runner_up == [a for a in losers if a not in capped]
    assert len(result.runner_up) >= 26


def test_applications_hash__sha256_of_the_canonical_lines_sorted_by_id():
    apps = applications()
    lines = "".join(
        json.dumps(a.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n"
        for a in sorted(apps, key=lambda a: a.id)
    )
    assert applications_hash(reversed(apps)) == hashlib.sha256(lines.encode()).hexdigest()


def test_document__has_the_public_value_the_hash_and_the_runner_ups_and_verifies():
    doc = document()
    assert list(doc) == [
        "algorithm",
        "round",
        "seed_sha256",
        "seed",
        "public_value",
        "applications_sha256",
        "settings",
        "capacity",
        "applications",
        "results",
    ]
    assert doc["algorithm"] == "yoyaku-lottery-2"
    assert doc["public_value"] == {"source": SOURCE, "value": VALUE}
    assert list(doc["results"]) == ["order", "wins", "runner_up"]
    ok, message = verify(doc, **saved())
    assert ok, message
    assert "the public value is the one you gave" in message


def test_dumps__one_application_and_one_result_per_line():
    text = document_dumps(document())
    lines = text.splitlines()
    assert max(len(line) for line in lines) < 200
    assert sum(1 for line in lines if line.startswith('{"id":"A')) == 30
    assert sum(1 for line in lines if line.startswith('"A') and ":" in line) == 30  # wins
    order_start = lines.index('"order":[')
    assert lines[order_start + 1].startswith('"A')


# --- tampering: each fails once the citizen passes what they saved ---------------------------


def test_tampered__reseeded_with_a_recomputed_seed_hash__fails_against_the_saved_hash():
    other = derive_seed(b"test key", "ukiha", "re-rolled")
    doc = document(seed=other)  # consistent in itself: its own seed_sha256 was recomputed
    assert verify(doc)[0] is True
    ok, message = verify(doc, **saved())
    assert not ok
    assert message.startswith("the seed is not the one committed to")


def test_tampered__a_changed_application_with_a_recomputed_hash__fails_against_the_saved_hash():
    doc = document()
    doc["applications"][0]["choices"][0]["needs"][0][1] = 2
    doc["applications_sha256"] = applications_hash(
        [Application.from_json(a) for a in doc["applications"]]
    )
    ok, message = verify(doc, **saved())
    assert not ok
    assert message.startswith("the applications are not the ones frozen")


def test_tampered__a_changed_application_alone__fails_on_the_files_own_hash():
    doc = document()
    doc["applications"][3]["weight"] = 2
    ok, message = verify(doc)
    assert not ok
    assert message.startswith("the applications do not match the published hash")


def test_tampered__a_changed_result__fails():
    doc = document()
    loser = doc["results"]["runner_up"][0]
    doc["results"]["wins"][loser] = 1
    assert verify(doc, **saved()) == (False, f"wins differ for {loser!r}: published 1, drawn None")


def test_tampered__a_changed_runner_up_order__fails():
    doc = document()
    runners = doc["results"]["runner_up"]
    runners[0], runners[1] = runners[1], runners[0]
    ok, message = verify(doc, **saved())
    assert not ok
    assert message.startswith("runner_up differs at position 1")


def test_tampered__a_changed_public_value__fails_against_the_value_looked_up():
    doc = document(value="b" * 64)  # redrawn with another value: consistent in itself
    assert verify(doc)[0] is True
    ok, message = verify(doc, **saved())
    assert not ok
    assert message.startswith("the public value differs")


def test_an_old_round__yoyaku_lottery_1__still_verifies():
    apps = applications()
    result = draw(apps, {HALL: 1}, SEED, 1)
    doc = json.loads(
        document_dumps(
            published_document({}, SEED, apps, {HALL: 1}, {"max_wins_per_registrant": 1}, result)
        )
    )
    assert doc["algorithm"] == "yoyaku-lottery-1"
    assert verify(doc)[0] is True
    assert verify(doc, expect_seed_sha256=hashlib.sha256(SEED).hexdigest())[0] is True


# --- the command line -------------------------------------------------------------------------


def run(*args, cwd=None):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=False, cwd=cwd
    )


@pytest.fixture
def files(tmp_path):
    shutil.copyfile(algorithm.__file__, tmp_path / "algorithm.py")
    (tmp_path / "published.json").write_text(document_dumps(document()), encoding="utf-8")
    tampered = document(seed=derive_seed(b"test key", "ukiha", "re-rolled"))
    (tmp_path / "tampered.json").write_text(document_dumps(tampered), encoding="utf-8")
    return tmp_path


def cli(files, name, *options):
    return run("-I", "-S", "algorithm.py", name, *options, cwd=files)


def test_cli__the_three_values_a_citizen_saved__ok(files):
    values = saved()
    completed = cli(
        files,
        "published.json",
        *("--expect-seed-sha256", values["expect_seed_sha256"]),
        *("--expect-applications-sha256", values["expect_applications_sha256"]),
        *("--public-value", VALUE),
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert completed.stdout.startswith("OK: yoyaku-lottery-2 reproduces")


def test_cli__a_reseeded_file__exits_1(files):
    completed = cli(files, "tampered.json", "--expect-seed-sha256", saved()["expect_seed_sha256"])
    assert completed.returncode == 1
    assert completed.stdout.startswith("the seed is not the one committed to")


def test_cli__another_public_value__exits_1(files):
    completed = cli(files, "published.json", "--public-value", "c" * 64)
    assert completed.returncode == 1
    assert completed.stdout.startswith("the public value differs")


@pytest.mark.parametrize(
    "bad",
    ["A" * 64, "a" * 63, "a" * 65, "g" * 64, ""],
    ids=["upper-case", "63 digits", "65 digits", "not hex", "empty"],
)
@pytest.mark.parametrize("option", ["--expect-seed-sha256", "--expect-applications-sha256"])
def test_cli__a_malformed_hash__exits_2_with_a_clear_error(files, option, bad):
    completed = cli(files, "published.json", option, bad)
    assert completed.returncode == 2
    assert "64 lower-case hex digits" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_cli__an_empty_public_value__exits_2(files):
    completed = cli(files, "published.json", "--public-value", "   ")
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr


def test_cli__runs_in_place_as_well(files):
    completed = run(str(Path(algorithm.__file__)), str(files / "published.json"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
