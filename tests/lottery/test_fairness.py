"""Fairness of the drawing over many simulated rounds of equal applicants.

Rounds use the seeds b"round-0" … b"round-3999", so the test is deterministic; the
tolerances are wide enough that a correct drawing passes for almost any choice of seeds,
and narrow enough that a visible bias (one applicant favoured by a few points) fails.
"""

from __future__ import annotations

import math
from collections import Counter

from yoyaku.lottery.algorithm import Application, Choice, draw

ROUNDS = 4_000
SLOT = "u12:2026-06-05:540"


def equal_applications(count, registrant_of):
    return [
        Application(id=f"A{n:02d}", registrant=registrant_of(n), choices=[Choice(1, [(SLOT, 1)])])
        for n in range(count)
    ]


def standard_error(p, rounds=ROUNDS):
    return math.sqrt(p * (1 - p) / rounds)


def test_one_unit_date__every_applicant_wins_one_round_in_twenty():
    # Expected rate 1/20 = 0.05. Its standard error over 4,000 rounds is 0.0034, so ±0.02 is
    # 5.8 standard errors: a fair drawing fails it with a chance below 1e-7 over the 20
    # applicants, while one favoured to 7 % (or starved to 3 %) fails.
    applications = equal_applications(20, lambda n: f"R{n:02d}")
    tolerance = 0.02
    assert tolerance / standard_error(1 / 20) > 5.5

    wins = Counter()
    for n in range(ROUNDS):
        result = draw(applications, {SLOT: 1}, b"round-%d" % n, max_wins_per_registrant=1)
        winners = result.winners()
        assert len(winners) == 1
        wins.update(winners)

    rates = {app.id: wins[app.id] / ROUNDS for app in applications}
    assert all(abs(rate - 1 / 20) <= tolerance for rate in rates.values()), rates


def test_capacity_five_cap_one__nobody_wins_twice_and_rates_are_even():
    # 10 registrants with 2 applications each compete for 5 places, one win each at most:
    # every round has 5 winners from 5 different registrants, so by symmetry each
    # application wins with probability 5/20 = 0.25 and each registrant with 5/10 = 0.5.
    # Tolerances are 4.4 standard errors (0.03 and 0.035 over 4,000 rounds): a fair drawing
    # fails one of the 30 checks with a chance of about 3e-4.
    applications = equal_applications(20, lambda n: f"R{n // 2}")
    registrant_of = {app.id: app.registrant for app in applications}
    application_tolerance = 4.4 * standard_error(0.25)
    registrant_tolerance = 4.4 * standard_error(0.5)

    application_wins = Counter()
    registrant_wins = Counter()
    for n in range(ROUNDS):
        result = draw(applications, {SLOT: 5}, b"round-%d" % n, max_wins_per_registrant=1)
        winners = [registrant_of[app_id] for app_id in result.winners()]
        assert len(winners) == 5
        assert len(set(winners)) == 5, f"round {n}: a registrant won twice"
        application_wins.update(result.winners())
        registrant_wins.update(winners)

    for app in applications:
        assert abs(application_wins[app.id] / ROUNDS - 0.25) <= application_tolerance, app.id
    for registrant in set(registrant_of.values()):
        assert abs(registrant_wins[registrant] / ROUNDS - 0.5) <= registrant_tolerance, registrant


def test_first_place_is_uniform_over_all_twenty_positions():
    # Beyond the winner: every applicant is equally likely at every position of the order,
    # so ranks further down (second choices, waiting lists) are fair too. Chi-square with 19
    # degrees of freedom per position; 50.0 is its 0.9999 quantile (about 43.8 at 0.999).
    applications = equal_applications(20, lambda n: f"R{n:02d}")
    positions = [Counter() for _ in range(20)]
    for n in range(ROUNDS):
        for position, app_id in enumerate(draw(applications, {SLOT: 1}, b"round-%d" % n).order):
            positions[position][app_id] += 1

    expected = ROUNDS / 20
    for position, counts in enumerate(positions):
        chi_square = sum((counts[app.id] - expected) ** 2 / expected for app in applications)
        assert chi_square < 50.0, (position, chi_square)
