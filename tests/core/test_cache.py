"""Versioned caching: a change is seen by the next reader, in this process and in another."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction

from yoyaku.core import cache as versioned


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_value_is_built_once_and_then_read_from_the_cache():
    built = []

    def build():
        built.append(1)
        return {"slots": [1, 2, 3]}

    first = versioned.remember(["setup:1"], "units", build)
    second = versioned.remember(["setup:1"], "units", build)
    assert first == second == {"slots": [1, 2, 3]}
    assert len(built) == 1


def test_a_bump_makes_the_next_reader_build_again():
    value = {"n": 1}
    assert versioned.remember(["avail:7"], "month", lambda: dict(value)) == {"n": 1}
    value["n"] = 2
    versioned.bump("avail:7")
    assert versioned.remember(["avail:7"], "month", lambda: dict(value)) == {"n": 2}


def test_a_bump_of_another_scope_leaves_the_value_alone():
    versioned.remember(["avail:7"], "month", lambda: "old")
    versioned.bump("avail:8")
    assert versioned.remember(["avail:7"], "month", lambda: "new") == "old"


def test_a_value_under_two_scopes_is_outdated_by_either():
    versioned.remember(["setup:1", "avail:7"], "day", lambda: "old")
    versioned.bump("setup:1")
    assert versioned.remember(["setup:1", "avail:7"], "day", lambda: "new") == "new"


@pytest.mark.django_db(transaction=True)
def test_a_reader_that_cached_during_the_writers_transaction_is_superseded_at_commit():
    """The reader took the bumped version while the writer's change was not yet visible, and
    cached the old data under it: the bump after commit outdates that value."""
    with transaction.atomic():
        versioned.bump("avail:3")
        versioned.remember(["avail:3"], "month", lambda: "seen before the commit")
    assert versioned.remember(["avail:3"], "month", lambda: "after") == "after"


def test_a_lost_version_restarts_above_every_earlier_number():
    versioned.remember(["avail:9"], "month", lambda: "old")
    (before,) = versioned.versions(["avail:9"])
    cache.delete("ver:avail:9")
    (after,) = versioned.versions(["avail:9"])
    assert after > before
    assert versioned.remember(["avail:9"], "month", lambda: "new") == "new"


def test_a_found_value_that_is_no_longer_usable_is_built_again_with_the_missing_ones():
    built: list[list[str]] = []

    def build(items):
        built.append(sorted(items))
        return {item: {"item": item, "until": len(built)} for item in items}

    entries = {"a": ["avail:1"], "b": ["avail:2"]}
    versioned.remember_many(entries, lambda _item: "day", build)
    still_good = versioned.remember_many(
        entries, lambda _item: "day", build, usable=lambda value: value["item"] != "a"
    )
    assert built == [["a", "b"], ["a"]]
    assert still_good["a"]["until"] == 2 and still_good["b"]["until"] == 1
