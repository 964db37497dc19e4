"""The use permit (使用許可書) PDF: what it says, when it exists, and the staff download."""

from __future__ import annotations

import datetime as dt
import io

import pypdf
import pytest

from tests import factories as f
from tests.registrants import builders
from tests.staff.test_console import login
from yoyaku.core.errors import DomainError
from yoyaku.core.models import AuditLog
from yoyaku.facilities.models import Facility
from yoyaku.registrants.models import Registrant
from yoyaku.reservations import booking, rules
from yoyaku.reservations.models import Reservation
from yoyaku.reservations.permit import issuer_of, permit_available, use_permit_pdf

pytestmark = pytest.mark.django_db

USE_DAY = dt.date(2026, 6, 10)
TIERS = [
    {"days_before": 7, "percent": 0},
    {"days_before": 2, "percent": 50},
    {"days_before": 0, "percent": 100},
]


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def admin(ukiha):
    return f.staff_user(ukiha)


@pytest.fixture
def hall(ukiha):
    return f.FacilityFactory(
        municipality=ukiha,
        name="うきは市文化会館",
        requires_approval=True,
        cancellation_tiers=TIERS,
        notes="ピアノの使用は事前に申し出てください。",
    )


@pytest.fixture
def room(hall):
    unit = f.slot_unit(hall, "大ホール", capacity=500)
    for code in ("am", "pm"):
        f.fee(unit, 5000, slot=f.slot(unit, code))
    unit.purposes.add(f.purpose(hall.municipality, "演奏会"))
    return unit


def book_hall(registrant, room, **kw) -> Reservation:
    request = rules.BookingRequest(
        registrant=registrant,
        unit=room,
        use_date=USE_DAY,
        slots=[f.slot(room, "am"), f.slot(room, "pm")],
        party_size=120,
        purpose=room.purposes.get(),
        **kw,
    )
    return booking.reservation_book(request=request, by=registrant.user)


@pytest.fixture
def permitted(admin, room, ukiha):
    registrant = builders.active(ukiha, by=admin, name="浮羽　花子")
    reservation = book_hall(registrant, room)
    return booking.reservation_approve(reservation=reservation, by=admin)


def test_permit__names_the_number_date_issuer_registrant_facility_and_slots(permitted):
    text = pdf_text(use_permit_pdf(reservation=permitted))
    assert "使用許可書" in text
    assert f"第{permitted.number}号" in text
    assert "許可日　2026年6月1日" in text  # decided today (conftest's clock)
    assert "うきは市教育委員会" in text
    assert "浮羽　花子　様" in text
    assert permitted.registrant.user_number in text
    assert "うきは市文化会館" in text and "大ホール" in text
    assert "2026年6月10日（水）" in text
    assert "午前（9:00～12:00）、午後（13:00～17:00）" in text
    assert "120名" in text
    assert "演奏会" in text


def test_permit__lists_the_fee_lines_as_quoted_and_the_total(permitted):
    text = pdf_text(use_permit_pdf(reservation=permitted))
    for line in permitted.fee_breakdown["lines"]:
        assert line["description"] in text
    assert "5,000円" in text
    assert "10,000円" in text
    assert permitted.fee_total == 10000


def test_permit__states_the_conditions_and_the_facilitys_cancellation_fees(permitted):
    text = pdf_text(use_permit_pdf(reservation=permitted)).replace("\n", "")
    assert "この許可書を利用当日に施設の窓口へ提示してください。" in text
    assert "ピアノの使用は事前に申し出てください。" in text
    assert "利用日の2日前まで　使用料の50%" in text
    assert "前日・当日　使用料の100%" in text


def test_permit__of_a_group_names_the_group_and_its_representative(ukiha, admin, room):
    group = builders.active(
        ukiha,
        by=admin,
        kind=Registrant.Kind.GROUP,
        group_name="うきは吹奏楽団",
        group_name_kana="ウキハスイソウガクダン",
        member_count=40,
        activity="吹奏楽",
        name="吉井　一郎",
    )
    reservation = booking.reservation_approve(reservation=book_hall(group, room), by=admin)
    text = pdf_text(use_permit_pdf(reservation=reservation))
    assert "うきは吹奏楽団" in text
    assert "代表者" in text and "吉井　一郎　様" in text


def test_permit__of_a_stay_shows_the_nights_rooms_and_party(minato):
    admin = f.staff_user(minato)
    resort = f.FacilityFactory(
        municipality=minato, name="大平台みなと荘", kind=Facility.Kind.RESORT
    )
    washitsu = f.lodging_unit(resort, "和室", rooms=4)
    f.fee(washitsu, 6000)
    f.fee(washitsu, 3000, person_class="child")
    guest = builders.active(minato, by=admin)
    request = rules.BookingRequest(
        registrant=guest,
        unit=washitsu,
        use_date=dt.date(2026, 6, 12),
        nights=2,
        rooms=1,
        adults=2,
        children=1,
        infants=1,
    )
    reservation = booking.reservation_book(request=request, by=guest.user)
    assert reservation.status == Reservation.Status.CONFIRMED
    text = pdf_text(use_permit_pdf(reservation=reservation))
    assert "港区長" in text
    assert "2026年6月12日（金）から2泊" in text
    assert "2026年6月14日（日）チェックアウト" in text
    assert "1室" in text
    assert "大人2名・子ども1名・4歳未満1名" in text
    assert f"{reservation.fee_total:,}円" in text


@pytest.mark.parametrize(
    "status",
    [
        Reservation.Status.AWAITING_APPROVAL,
        Reservation.Status.AWAITING_PAYMENT,
        Reservation.Status.REJECTED,
        Reservation.Status.CANCELLED,
        Reservation.Status.NO_SHOW,
    ],
)
def test_permit__exists_only_for_confirmed_or_used_reservations(permitted, status):
    permitted.status = status
    assert not permit_available(permitted)
    with pytest.raises(DomainError) as refused:
        use_permit_pdf(reservation=permitted)
    assert refused.value.code == "reservation_wrong_state"


def test_permit__of_a_used_reservation_is_still_issued(permitted):
    permitted.status = Reservation.Status.USED
    assert "使用許可書" in pdf_text(use_permit_pdf(reservation=permitted))


def test_permit__is_a4_and_the_same_reservation_gives_the_same_file(permitted):
    data = use_permit_pdf(reservation=permitted)
    box = pypdf.PdfReader(io.BytesIO(data)).pages[0].mediabox
    assert (round(box.width), round(box.height)) == (595, 842)
    assert use_permit_pdf(reservation=permitted) == data


def test_permit__with_many_fee_lines_continues_on_a_second_page(permitted):
    line = {
        "kind": "base",
        "description": "大ホール 午前 区域内",
        "unit_price": 5000,
        "quantity": 1,
        "amount": 5000,
    }
    permitted.fee_breakdown = {**permitted.fee_breakdown, "lines": [line] * 40}
    reader = pypdf.PdfReader(io.BytesIO(use_permit_pdf(reservation=permitted)))
    assert len(reader.pages) == 2
    assert "（続き）" in reader.pages[1].extract_text()


def test_issuer__is_the_ward_mayor_for_a_ward_and_the_board_of_education_elsewhere(ukiha, minato):
    assert issuer_of(minato) == "港区長"
    assert issuer_of(ukiha) == "うきは市教育委員会"


# — the staff download —


def test_staff_download__is_a_pdf_and_is_audited(client, ukiha, admin, permitted):
    login(client, ukiha)
    response = client.get(f"/staff/reservations/{permitted.pk}/permit/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = pdf_text(response.content)
    assert "使用許可書" in text and permitted.number in text and "うきは市文化会館" in text
    entry = AuditLog.objects.get(action="reservation.permit_print")
    assert (entry.actor, entry.target_id) == (admin, str(permitted.pk))


def test_staff_download__is_refused_for_a_cancelled_reservation(client, ukiha, admin, permitted):
    booking.reservation_cancel(reservation=permitted, by=admin, reason="施設の修繕", by_staff=True)
    login(client, ukiha)
    assert client.get(f"/staff/reservations/{permitted.pk}/permit/").status_code == 404
    assert not AuditLog.objects.filter(action="reservation.permit_print").exists()


def test_staff_download__is_refused_while_the_application_waits(client, ukiha, admin, room):
    waiting = book_hall(builders.active(ukiha, by=admin), room)
    login(client, ukiha)
    assert client.get(f"/staff/reservations/{waiting.pk}/permit/").status_code == 404
