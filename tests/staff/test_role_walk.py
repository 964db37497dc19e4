"""Every console URL, walked as each role and as staff of the other municipality.

The URLs come from ``yoyaku.staff.urls`` (not a hand list), each with the ids of real objects
of the municipality; the verb each view needs is the one its ``staff_required`` declares. What
must hold, GET and POST: a role the table in ``yoyaku.core.permissions`` refuses gets 403; a
role it allows never gets 403; the other municipality's staff get 404 for this one's objects;
nothing answers 500."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from tests import factories as f
from tests.registrants import builders
from tests.reservations.helpers import book_stay, hall, registrant, resort
from yoyaku.core import clock
from yoyaku.core.api_tokens import api_token_create
from yoyaku.core.models import MaintenanceWindow, User
from yoyaku.core.permissions import ROLES
from yoyaku.facilities.models import Closure, ReductionCategory
from yoyaku.lottery.models import LotteryRound, LotteryRoundSchedule
from yoyaku.payments import services as payment_services
from yoyaku.payments.models import Payment, Refund
from yoyaku.registrants.models import ChangeRequest, ReductionGrant
from yoyaku.reservations import bundles, rules
from yoyaku.reservations.models import Penalty, ReservationBundle, UnitBlock
from yoyaku.scheduling.models import BulkClosure
from yoyaku.security.models import Passkey
from yoyaku.staff import urls as staff_urls

pytestmark = pytest.mark.django_db

# The log-in steps come before any role: they are the only console URLs without a verb.
LOGIN_FLOW = {
    "login",
    "login_otp",
    "login_otp_setup",
    "login_passkey_options",
    "login_passkey",
    "logout",
}
# Path parameters that name no object of a municipality (a report's kind, a date).
NOT_OBJECTS = {"kind", "day"}


def _console_patterns() -> list[URLPattern]:
    return [p for p in staff_urls.urlpatterns if p.name not in LOGIN_FLOW]


@pytest.fixture
def world(travel):
    travel(dt.datetime(2026, 6, 1, 10, 0))
    ukiha = f.MunicipalityFactory(slug="ukiha")
    minato = f.MunicipalityFactory(slug="minato")
    hall_facility, whole, *_ = hall(ukiha)
    resort_facility, room = resort(ukiha)
    person = registrant(ukiha)
    reservation = book_stay(person, room, dt.date(2026, 6, 16))
    builders.apply(ukiha)
    now = clock.now()
    ids = {
        "notice_id": f.notice(ukiha).pk,
        "window_id": MaintenanceWindow.objects.create(
            municipality=ukiha,
            starts_at=now + dt.timedelta(days=3),
            ends_at=now + dt.timedelta(days=3, hours=2),
        ).pk,
        "registrant_id": person.pk,
        "change_id": ChangeRequest.objects.create(
            registrant=person, changes={"phone": "0943-00-0000"}, created_at=now
        ).pk,
        "reservation_id": reservation.pk,
        "bundle_id": bundles.bundle_book(
            registrant=person,
            requests=[
                rules.BookingRequest(
                    registrant=person,
                    unit=whole,
                    use_date=dt.date(2026, 6, 23),
                    slots=[f.slot(whole, "night")],
                    party_size=10,
                )
            ],
            kind=ReservationBundle.Kind.WHOLE,
            by=person.user,
        ).pk,
        "penalty_id": Penalty.objects.create(
            registrant=person,
            reservation=reservation,
            reason=Penalty.Reason.NO_SHOW,
            starts_on=now.date(),
            ends_on=now.date() + dt.timedelta(days=60),
        ).pk,
        "block_id": UnitBlock.objects.create(
            unit=whole,
            start_date=now.date() + dt.timedelta(days=40),
            end_date=now.date() + dt.timedelta(days=41),
            reason="点検",
            created_at=now,
        ).pk,
        "grant_id": ReductionGrant.objects.first().pk if ReductionGrant.objects.exists() else 0,
        "round_id": LotteryRound.objects.create(
            municipality=ukiha,
            name="8月利用分",
            use_from=dt.date(2026, 8, 1),
            use_until=dt.date(2026, 8, 31),
            applications_open_at=now + dt.timedelta(days=1),
            applications_close_at=now + dt.timedelta(days=10),
            draw_at=now + dt.timedelta(days=11),
            first_come_opens_at=now + dt.timedelta(days=15),
        ).pk,
        "schedule_id": LotteryRoundSchedule.objects.create(
            municipality=ukiha,
            name_template="{year}年{month}月",
            open_day=1,
            close_day=10,
            draw_day=12,
            created_at=now,
        ).pk,
        "facility_id": hall_facility.pk,
        "unit_id": whole.pk,
        "closure_id": Closure.objects.create(
            facility=hall_facility,
            start_date=now.date() + dt.timedelta(days=50),
            end_date=now.date() + dt.timedelta(days=51),
            reason="点検",
        ).pk,
        "category_id": ReductionCategory.objects.create(
            municipality=ukiha, name="障がい者減免", percent=50
        ).pk,
        "refund_id": _counter_refund(reservation, f.staff_user(ukiha, login_id="cashier")).pk,
        "kind": "utilisation",
        "day": (now.date() + dt.timedelta(days=20)).isoformat(),
        "job_id": BulkClosure.objects.create(
            municipality=ukiha,
            facility=hall_facility,
            start_date=now.date() + dt.timedelta(days=60),
            end_date=now.date() + dt.timedelta(days=61),
            reason="改修",
            created_by=f.staff_user(ukiha, login_id="closer"),
            created_at=now,
        ).pk,
        # Someone else's API token: nobody revokes another's token (404 for every walker).
        "token_id": api_token_create(
            user=f.staff_user(ukiha, login_id="holder"), name="集計システム"
        )[0].pk,
        # Someone else's passkey: nobody deletes another's passkey (404 for every walker).
        "passkey_id": Passkey.objects.create(
            user=f.staff_user(ukiha, login_id="keyholder"),
            credential_id="c29tZW9uZS1lbHNl",
            public_key=b"not-a-key",
            name="職員のスマートフォン",
            created_at=now,
        ).pk,
        # Someone whose account the walk may change without locking out the walkers.
        "user_id": f.staff_user(ukiha, role=User.StaffRole.VIEWER, login_id="target").pk,
    }
    staff = {
        "admin": f.staff_user(ukiha, login_id="admin"),
        "facility": f.staff_user(ukiha, role=User.StaffRole.FACILITY, login_id="manager"),
        "clerk": f.staff_user(ukiha, role=User.StaffRole.CLERK, login_id="clerk"),
        "viewer": f.staff_user(ukiha, role=User.StaffRole.VIEWER, login_id="viewer"),
        "other": f.staff_user(minato, login_id="admin"),
    }
    for member in staff.values():
        if member.municipality == ukiha and member.staff_role != User.StaffRole.ADMIN:
            member.facilities.set([hall_facility, resort_facility])
    return {"ids": ids, "staff": staff}


def _counter_refund(reservation, clerk) -> Refund:
    """Money taken at the counter and owed back (a refund staff record at the counter)."""
    payment = payment_services.payment_record_counter(
        reservation=reservation,
        amount=reservation.fee_total,
        method=Payment.Method.COUNTER,
        receipt_number="R-1",
        by=clerk,
    )
    return Refund.objects.create(
        payment=payment, amount=1000, key="rf_walk", created_at=clock.now(), created_by=clerk
    )


def _url(pattern: URLPattern, ids: dict[str, int | str]) -> str:
    kwargs = {name: ids[name] for name in pattern.pattern.converters}
    return reverse(f"staff:{pattern.name}", kwargs=kwargs)


def test_every_console_url_declares_the_verb_it_needs():
    undeclared = [p.name for p in _console_patterns() if not hasattr(p.callback, "staff_perm")]
    assert not undeclared


def test_the_walk_knows_an_object_for_every_path_parameter(world):
    names = {name for p in _console_patterns() for name in p.pattern.converters}
    assert names <= set(world["ids"]), names - set(world["ids"])


# Viewers first, administrators last: an administrator's empty POST may change things.
@pytest.mark.parametrize("role", ["viewer", "clerk", "facility", "admin"])
def test_each_role_is_refused_exactly_what_the_table_refuses(world, role):
    member = world["staff"][role]
    client = Client(raise_request_exception=False)
    client.force_login(member)
    wrong = []
    for pattern in _console_patterns():
        access = ROLES[pattern.callback.staff_perm]
        url = _url(pattern, world["ids"])
        for method, allowed in (("get", access.read), ("post", access.write)):
            status = getattr(client, method)(url).status_code
            refused = member.staff_role not in allowed
            if status >= 500 or (status == 403) != refused:
                wrong.append((method, url, status, "refused" if refused else "allowed"))
    assert not wrong


def test_staff_of_another_municipality_never_reach_this_ones_objects(world):
    client = Client(raise_request_exception=False)
    client.force_login(world["staff"]["other"])
    wrong = []
    for pattern in _console_patterns():
        url = _url(pattern, world["ids"])
        for method in ("get", "post"):
            status = getattr(client, method)(url).status_code
            # A GET to a page that only takes POST stops at 405 before any object is looked up.
            expected = {404, 405} if method == "get" else {404}
            names_an_object = set(pattern.pattern.converters) - NOT_OBJECTS
            if status >= 500 or (names_an_object and status not in expected):
                wrong.append((method, url, status))
    assert not wrong


def test_a_viewer_opens_pages_but_every_post_is_refused(world):
    client = Client()
    client.force_login(world["staff"]["viewer"])
    assert client.get(reverse("staff:reservation_list")).status_code == 200
    assert client.post(reverse("staff:reservation_proxy")).status_code == 403
    detail = reverse("staff:reservation_detail", args=[world["ids"]["reservation_id"]])
    assert client.get(detail).status_code == 200


def test_a_clerk_without_the_facility_does_not_find_its_reservation(world):
    clerk = world["staff"]["clerk"]
    clerk.facilities.clear()
    client = Client()
    client.force_login(clerk)
    detail = reverse("staff:reservation_detail", args=[world["ids"]["reservation_id"]])
    assert client.get(detail).status_code == 404


def test_navigation_shows_a_clerk_the_registrations_but_not_the_accounts(world):
    client = Client()
    client.force_login(world["staff"]["clerk"])
    page = client.get(reverse("staff:dashboard")).content.decode()
    assert reverse("staff:registration_list") in page
    assert reverse("staff:account_list") not in page
    assert reverse("staff:lottery_list") not in page
