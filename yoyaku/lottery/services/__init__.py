"""Lottery rounds: create, apply, change, withdraw, draw, confirm, expire, release.

The writes live in one module per theme; this package re-exports them, so callers keep
writing ``from yoyaku.lottery import services`` and ``services.lottery_draw(...)``:

* ``rounds`` — a round's settings, checked and created, and its phase;
* ``applications`` — apply, change, withdraw, and who may apply with which choices;
* ``public`` — the seed (from the secret key), the public value's source, its entry and
  four-eyes confirmation, the frozen applications, and the public log of commitments;
* ``drawing`` — the freeze at the close, the drawing, its publication, and the results
  mailed afterwards;
* ``runner_up`` — 次点の繰り上げ: capacity given back goes to the runner-ups, by policy;
* ``winners`` — confirming a win, expiring unconfirmed ones, holding a cancelled win's
  capacity until its release time, and the 満室 notice.
"""

from __future__ import annotations

from yoyaku.lottery.services.applications import (
    NOT_FOR_LOTTERY,
    ChoiceRequest,
    lottery_apply,
    lottery_change,
    lottery_withdraw,
    lottery_withdraw_for_closure,
    lottery_withdraw_for_registrant,
)
from yoyaku.lottery.services.drawing import (
    AFTER_DRAWING,
    _build_input,
    lottery_draw,
    lottery_draw_due,
    lottery_freeze,
    lottery_results_batches,
    lottery_results_mail,
)
from yoyaku.lottery.services.public import (
    lottery_freeze_due,
    round_public_source_set,
    round_public_value_confirm,
    round_public_value_enter,
    round_seed,
    round_source_problems,
)
from yoyaku.lottery.services.rounds import (
    ROUND_NUMBERS,
    ROUND_TIMES,
    phase,
    round_create,
    round_problems,
)
from yoyaku.lottery.services.runner_up import release_cancelled_win, runner_up_take
from yoyaku.lottery.services.winners import (
    hold_cancelled_win,
    hold_released_capacity,
    lottery_confirm_win,
    lottery_expire_unconfirmed,
    release_held_blocks,
)

__all__ = [
    "AFTER_DRAWING",
    "NOT_FOR_LOTTERY",
    "ROUND_NUMBERS",
    "ROUND_TIMES",
    "ChoiceRequest",
    "_build_input",
    "hold_cancelled_win",
    "hold_released_capacity",
    "lottery_apply",
    "lottery_change",
    "lottery_confirm_win",
    "lottery_draw",
    "lottery_draw_due",
    "lottery_expire_unconfirmed",
    "lottery_freeze",
    "lottery_freeze_due",
    "lottery_results_batches",
    "lottery_results_mail",
    "lottery_withdraw",
    "lottery_withdraw_for_closure",
    "lottery_withdraw_for_registrant",
    "phase",
    "release_cancelled_win",
    "release_held_blocks",
    "round_create",
    "round_problems",
    "round_public_source_set",
    "round_public_value_confirm",
    "round_public_value_enter",
    "round_seed",
    "round_source_problems",
    "runner_up_take",
]
