"""The lottery application's lifecycle: every verb, the states it starts from, where it leads.

    apply ──> 申込み済み ─┬─ change ──> 申込み済み (choices replaced)
                        ├─ withdraw ──> 取下げ (by the person, or when the registration ends)
                        └─ the drawing ─┬─> 当選
                                         └─> 落選 ── promote (次点の繰り上げ) ──> 当選

The drawing moves every application of a round at once: it is the one documented bulk path
(``lottery.drawing``), which writes an audit row for each application it moves. Besides the
state, a person may withdraw or change only while the round takes applications; the services
check that next to the state.
"""

from __future__ import annotations

from yoyaku.core.lifecycle import Lifecycle, table
from yoyaku.lottery.models import LotteryApplication

A = LotteryApplication.Status

APPLICATION: Lifecycle[LotteryApplication] = Lifecycle(
    model=LotteryApplication,
    table=table(
        change=([A.SUBMITTED], None),
        withdraw=([A.SUBMITTED], A.WITHDRAWN),
        # The drawing's bulk path (documented above); listed so the table is complete.
        win=([A.SUBMITTED], A.WON),
        lose=([A.SUBMITTED], A.LOST),
        # 次点の繰り上げ: a runner-up takes capacity a winner gave back (services.runner_up).
        promote=([A.LOST], A.WON),
    ),
    wrong_state="lottery_not_open",
    select_related=("round__municipality", "registrant__municipality"),
)
