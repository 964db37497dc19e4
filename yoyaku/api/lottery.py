"""Public reads of lottery rounds (抽選): their times, the seed's commitment before the drawing,
the seed and the anonymised results after it — the same document citizens download."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Query, Router

from yoyaku.api import schemas as s
from yoyaku.api.errors import Problem
from yoyaku.api.http import PageParams, page
from yoyaku.api.public import Id, MunicipalitySlug, municipality_or_404
from yoyaku.lottery import selectors
from yoyaku.lottery.models import LotteryRound
from yoyaku.lottery.services import phase

router = Router(tags=["lottery"])


def _round(lottery: LotteryRound) -> dict:
    drawn = lottery.status == LotteryRound.Status.DRAWN
    return {
        "id": lottery.pk,
        "name": lottery.name,
        "status": lottery.status,
        "phase": phase(lottery),
        "use_from": lottery.use_from,
        "use_until": lottery.use_until,
        "applications_open_at": lottery.applications_open_at,
        "applications_close_at": lottery.applications_close_at,
        "draw_at": lottery.draw_at,
        "first_come_opens_at": lottery.first_come_opens_at,
        "seed_sha256": lottery.seed_sha256,
        "seed": lottery.seed if drawn else "",
        "units": [
            {"id": unit.pk, "name": unit.name, "facility": unit.facility.slug}
            for unit in lottery.units.all()
        ],
    }


def _round_or_404(municipality: str, round_id: int) -> LotteryRound:
    found = selectors.round_get(municipality=municipality_or_404(municipality), round_id=round_id)
    if found is None:
        raise Http404
    return found


@router.get(
    "/municipalities/{municipality}/lottery-rounds",
    response={200: s.LotteryRoundPage, 404: Problem},
    summary="Lottery rounds, latest use first",
)
def lottery_rounds(
    request: HttpRequest, paging: Query[PageParams], municipality: str = MunicipalitySlug
):
    result = page(selectors.rounds_public(municipality=municipality_or_404(municipality)), paging)
    result["items"] = [_round(r) for r in result["items"]]
    return result


@router.get(
    "/municipalities/{municipality}/lottery-rounds/{round_id}",
    response={200: s.LotteryRoundOut, 404: Problem},
    summary="One lottery round",
)
def lottery_round(request: HttpRequest, municipality: str = MunicipalitySlug, round_id: int = Id):
    return _round(_round_or_404(municipality, round_id))


@router.get(
    "/municipalities/{municipality}/lottery-rounds/{round_id}/published",
    response={200: s.PublishedOut, 404: Problem},
    summary="The round's published data: the seed's SHA-256, then the seed and the results",
)
def lottery_published(
    request: HttpRequest, municipality: str = MunicipalitySlug, round_id: int = Id
):
    return selectors.round_published_document(lottery=_round_or_404(municipality, round_id))
