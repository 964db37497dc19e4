"""Staff log in with a second factor: the one-time code of an authenticator app (TOTP)."""

from __future__ import annotations

import datetime as dt
import io
import re
import urllib.parse

import pyotp
import pytest
from django.core.management import CommandError, call_command

from tests import factories as f
from yoyaku.core import clock
from yoyaku.core.models import AuditLog, User

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 6, 1, 10, 0)
OTP_URL = "/staff/login/otp/"
SETUP_URL = "/staff/login/otp/setup/"


@pytest.fixture
def city(travel):
    travel(START)
    return f.MunicipalityFactory(slug="ukiha", name="うきは市")


def password_step(client, municipality, login_id="admin", password="staff-pass-1"):
    return client.post(
        "/staff/login/",
        {"municipality": municipality.pk, "login_id": login_id, "password": password},
    )


def code_at(user: User, moment: dt.datetime | None = None) -> str:
    return pyotp.TOTP(user.totp_secret).at(moment or clock.now())


def logged_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def test_password_alone__does_not_log_in(client, city):
    f.staff_user(city)
    response = password_step(client, city)
    assert response.status_code == 302
    assert response["Location"] == OTP_URL
    assert not logged_in(client)
    assert not AuditLog.objects.filter(action="staff.login").exists()


def test_otp_page__asks_for_a_numeric_one_time_code(client, city):
    f.staff_user(city)
    password_step(client, city)
    body = client.get(OTP_URL).content.decode()
    assert '<label for="id_code">確認コード' in body
    assert 'inputmode="numeric"' in body
    assert 'autocomplete="one-time-code"' in body
    assert 'aria-describedby="id_code_helptext"' in body


def test_right_code__logs_in_and_audits_the_login(client, city):
    user = f.staff_user(city)
    password_step(client, city)
    response = client.post(OTP_URL, {"code": code_at(user)})
    assert response.status_code == 302
    assert response["Location"] == "/staff/"
    assert logged_in(client)
    entry = AuditLog.objects.get(action="staff.login")
    assert entry.actor == user and entry.data == {"second_factor": "totp"}
    user.refresh_from_db()
    assert user.totp_last_step == pyotp.TOTP(user.totp_secret).timecode(clock.now())


def test_code_typed_with_full_width_digits_and_a_space__is_accepted(client, city):
    user = f.staff_user(city)
    password_step(client, city)
    code = code_at(user)
    typed = (code[:3] + "\u3000" + code[3:]).translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    assert client.post(OTP_URL, {"code": typed}).status_code == 302
    assert logged_in(client)


def test_code_of_the_previous_step__is_accepted_for_a_slow_phone_clock(client, city):
    user = f.staff_user(city)
    password_step(client, city)
    previous = code_at(user, clock.now() - dt.timedelta(seconds=30))
    assert client.post(OTP_URL, {"code": previous}).status_code == 302


def test_code_two_steps_old__is_refused(client, city):
    user = f.staff_user(city)
    password_step(client, city)
    old = code_at(user, clock.now() - dt.timedelta(seconds=60))
    if old in {code_at(user, clock.now() + dt.timedelta(seconds=s)) for s in (-30, 0, 30)}:
        pytest.skip("the old code happens to equal a valid one")
    assert client.post(OTP_URL, {"code": old}).status_code == 200
    assert not logged_in(client)


def test_wrong_code__is_refused_next_to_the_field(client, city):
    user = f.staff_user(city)
    password_step(client, city)
    wrong = "000000" if code_at(user) != "000000" else "111111"
    response = client.post(OTP_URL, {"code": wrong})
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r'id="id_code_error">確認コードが正しくありません。</p>', body)
    assert 'aria-invalid="true"' in body
    assert not logged_in(client)
    assert AuditLog.objects.filter(action="staff.totp_failed", actor=user).count() == 1
    # The pending log-in is still there: the right code now works.
    assert client.post(OTP_URL, {"code": code_at(user)}).status_code == 302


def test_code_that_is_not_six_digits__is_refused_with_the_same_message(client, city):
    f.staff_user(city)
    password_step(client, city)
    response = client.post(OTP_URL, {"code": "12ab"})
    assert "確認コードが正しくありません。" in response.content.decode()


def test_replayed_code__is_refused_even_within_its_30_seconds(client, city, travel):
    user = f.staff_user(city)
    code = code_at(user)
    password_step(client, city)
    assert client.post(OTP_URL, {"code": code}).status_code == 302
    client.post("/staff/logout/")

    travel(START + dt.timedelta(seconds=10))  # same step
    password_step(client, city)
    response = client.post(OTP_URL, {"code": code})
    assert response.status_code == 200
    assert "確認コードが正しくありません。" in response.content.decode()
    assert not logged_in(client)
    assert AuditLog.objects.get(action="staff.totp_failed").data == {"reason": "replayed"}

    travel(START + dt.timedelta(seconds=30))  # the authenticator shows the next code
    assert client.post(OTP_URL, {"code": code_at(user)}).status_code == 302


def test_code_of_a_step_before_the_last_used_one__is_refused(client, city, travel):
    user = f.staff_user(city)
    travel(START + dt.timedelta(seconds=30))
    password_step(client, city)
    assert client.post(OTP_URL, {"code": code_at(user)}).status_code == 302
    client.post("/staff/logout/")
    password_step(client, city)
    earlier = code_at(user, START)  # inside the window, but older than the one used
    assert client.post(OTP_URL, {"code": earlier}).status_code == 200


def test_pending_login__expires_after_five_minutes(client, city, travel):
    user = f.staff_user(city)
    password_step(client, city)
    travel(START + dt.timedelta(minutes=5, seconds=1))
    response = client.post(OTP_URL, {"code": code_at(user)}, follow=True)
    assert response.redirect_chain[0] == ("/staff/login/", 302)
    assert "確認コードの入力期限（5分）を過ぎました。" in response.content.decode()
    assert not logged_in(client)
    assert client.get(OTP_URL)["Location"] == "/staff/login/"


def test_pending_login__still_valid_just_before_five_minutes(client, city, travel):
    user = f.staff_user(city)
    password_step(client, city)
    travel(START + dt.timedelta(minutes=4, seconds=59))
    assert client.post(OTP_URL, {"code": code_at(user)})["Location"] == "/staff/"


def test_five_wrong_codes__drop_the_pending_login(client, city):
    user = f.staff_user(city)
    password_step(client, city)
    right = code_at(user)
    wrong = next(c for c in ("000000", "111111", "222222") if c != right)
    for _ in range(4):
        assert client.post(OTP_URL, {"code": wrong}).status_code == 200
    response = client.post(OTP_URL, {"code": wrong}, follow=True)
    assert response.redirect_chain[0] == ("/staff/login/", 302)
    assert "ログインを中止しました" in response.content.decode()
    assert client.post(OTP_URL, {"code": right})["Location"] == "/staff/login/"
    assert not logged_in(client)


def test_otp_page_without_a_password_step__goes_back_to_the_login_form(client, city):
    assert client.get(OTP_URL)["Location"] == "/staff/login/"
    assert client.get(SETUP_URL)["Location"] == "/staff/login/"


def test_enrolled_staff__cannot_open_the_setup_page(client, city):
    f.staff_user(city)
    password_step(client, city)
    assert client.get(SETUP_URL)["Location"] == OTP_URL


# -- enrolment ------------------------------------------------------------------------------


def test_staff_without_totp__sets_up_an_authenticator_then_is_logged_in(client, city):
    user = f.staff_user(city, totp=False)
    response = password_step(client, city)
    assert response["Location"] == SETUP_URL
    assert client.get(OTP_URL)["Location"] == SETUP_URL

    page = client.get(SETUP_URL)
    body = page.content.decode()
    secret = "".join(page.context["secret_groups"])
    assert len(secret) == 32
    assert " ".join(page.context["secret_groups"]) in body  # shown as text, in groups of 4
    qr = r'<img src="data:image/svg\+xml[^"]*" [^>]*alt="認証アプリ登録用のQRコード'
    assert re.search(qr, body)
    uri = page.context["otpauth_uri"]
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)["issuer"] == ["yoyaku うきは市"]
    assert pyotp.parse_uri(uri).secret == secret
    assert 'autocomplete="one-time-code"' in body
    # Reloading shows the same key (it belongs to this pending log-in).
    assert "".join(client.get(SETUP_URL).context["secret_groups"]) == secret

    right = pyotp.TOTP(secret).at(clock.now())
    wrong = client.post(SETUP_URL, {"code": "000000" if right != "000000" else "111111"})
    assert "確認コードが正しくありません。" in wrong.content.decode()
    user.refresh_from_db()
    assert user.totp_confirmed_at is None and user.totp_secret == ""

    response = client.post(SETUP_URL, {"code": right})
    assert response["Location"] == "/staff/"
    assert logged_in(client)
    user.refresh_from_db()
    assert user.totp_secret == secret
    assert user.totp_confirmed_at == clock.now()
    assert AuditLog.objects.filter(action="staff.totp_enrolled", actor=user).count() == 1
    assert AuditLog.objects.filter(action="staff.login", actor=user).count() == 1


def test_next_login_after_enrolment__asks_for_the_code(client, city, travel):
    user = f.staff_user(city, totp=False)
    password_step(client, city)
    secret = "".join(client.get(SETUP_URL).context["secret_groups"])
    client.post(SETUP_URL, {"code": pyotp.TOTP(secret).at(clock.now())})
    client.post("/staff/logout/")
    travel(START + dt.timedelta(minutes=1))
    assert password_step(client, city)["Location"] == OTP_URL
    user.refresh_from_db()
    assert client.post(OTP_URL, {"code": code_at(user)})["Location"] == "/staff/"


def test_a_new_password_step__shows_a_new_setup_key(client, city):
    f.staff_user(city, totp=False)
    password_step(client, city)
    first = client.get(SETUP_URL).context["secret_groups"]
    password_step(client, city)
    assert client.get(SETUP_URL).context["secret_groups"] != first


# -- reset by an admin ----------------------------------------------------------------------


def test_reset_command__forgets_the_authenticator_and_is_audited(client, city):
    user = f.staff_user(city, role=User.StaffRole.FACILITY, login_id="bunka")
    out = io.StringIO()
    call_command("staff_reset_totp", "ukiha", "bunka", "--reason", "スマートフォン紛失", stdout=out)
    assert "ukiha/bunka" in out.getvalue()
    user.refresh_from_db()
    assert (user.totp_secret, user.totp_confirmed_at, user.totp_last_step) == ("", None, None)
    entry = AuditLog.objects.get(action="staff.totp_reset")
    assert entry.target_id == str(user.pk) and entry.municipality == city
    assert entry.data == {"reason": "スマートフォン紛失"}
    # The next log-in sets up a new authenticator.
    assert password_step(client, city, login_id="bunka")["Location"] == SETUP_URL


def test_reset_command__refuses_unknown_staff(city):
    with pytest.raises(CommandError):
        call_command("staff_reset_totp", "ukiha", "nobody")
    with pytest.raises(CommandError):
        call_command("staff_reset_totp", "nowhere", "admin")


# -- demo staff -----------------------------------------------------------------------------


@pytest.fixture
def demo(travel):
    from yoyaku.demo.data import load_demo

    travel(dt.datetime(2026, 5, 13, 9, 0))
    load_demo()


def test_demo_staff__have_the_published_secret_confirmed(demo):
    from yoyaku.demo.specs import DEMO_STAFF_TOTP_SECRET

    assert DEMO_STAFF_TOTP_SECRET == "PFXXSYLLOUWWIZLNN4WXI33UOAZDAMRW"
    staff = User.objects.filter(kind=User.Kind.STAFF)
    assert staff.count() == 4
    assert all(u.totp_secret == DEMO_STAFF_TOTP_SECRET and u.totp_confirmed_at for u in staff)


def test_demo_totp_command__prints_the_code_that_logs_in(client, demo, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("demo_totp", "ukiha", "admin", stdout=out, stderr=io.StringIO())
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    from yoyaku.demo.specs import DEMO_STAFF_PASSWORD

    ukiha = User.objects.get(username="ukiha:staff:admin").municipality
    password_step(client, ukiha, password=DEMO_STAFF_PASSWORD)
    assert client.post(OTP_URL, {"code": code})["Location"] == "/staff/"


def test_demo_totp_command__refuses_without_debug(demo, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_totp", "ukiha", "admin")


def test_demo_totp_command__refuses_staff_who_are_not_demo_staff(demo, settings):
    settings.DEBUG = True
    ukiha = User.objects.get(username="ukiha:staff:admin").municipality
    f.staff_user(ukiha, login_id="real")
    with pytest.raises(CommandError):
        call_command("demo_totp", "ukiha", "real")
    # A demo account whose authenticator was reset and set up anew is no longer demo.
    admin = User.objects.get(username="ukiha:staff:admin")
    admin.totp_secret = pyotp.random_base32()
    admin.save()
    with pytest.raises(CommandError, match="demo secret"):
        call_command("demo_totp", "ukiha", "admin")


def test_load_demo__puts_the_demo_secret_back_and_prints_it(demo):
    from yoyaku.demo.specs import DEMO_STAFF_TOTP_SECRET

    admin = User.objects.get(username="minato:staff:admin")
    call_command("staff_reset_totp", "minato", "admin")
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    admin.refresh_from_db()
    assert admin.totp_secret == DEMO_STAFF_TOTP_SECRET and admin.totp_confirmed_at
    text = out.getvalue()
    assert DEMO_STAFF_TOTP_SECRET in text
    assert "demo_totp minato hoyou" in text


def test_wrong_codes_count_as_failed_log_ins_and_the_address_is_throttled(client, city):
    """Knowing a staff password must not buy unlimited guesses at the 6-digit code."""
    from yoyaku.security.models import LoginAttempt

    f.staff_user(city)
    assert password_step(client, city).status_code == 302
    for _ in range(5):
        client.post(OTP_URL, {"code": "000000"})
    assert LoginAttempt.objects.filter(kind="staff", succeeded=False, throttled=False).count() == 5
    # Five wrong codes count like five wrong passwords: even the right password waits now.
    response = password_step(client, city)
    assert response.status_code == 429
    assert "ログインの試行回数が多すぎます" in response.content.decode()
    assert not logged_in(client)


def test_parallel_code_guesses__are_throttled_before_any_code_is_checked(city, monkeypatch):
    """Codes sent together, each still being checked when the next arrives: the attempts go
    on record before the throttle is asked, so only a few codes are ever checked."""
    from django.test import Client

    from yoyaku.staff import views as staff_views

    user = f.staff_user(city)
    clients = [Client() for _ in range(20)]
    for each in clients:
        password_step(each, city)
    wrong = "000000" if code_at(user) != "000000" else "111111"
    real = staff_views.core_totp.staff_totp_login
    checked: list[int] = []
    statuses: list[int] = []
    sent = {"next": 1}

    def check(**kwargs):
        checked.append(1)
        while sent["next"] < len(clients):  # the rest of the burst arrives meanwhile
            other = clients[sent["next"]]
            sent["next"] += 1
            statuses.append(other.post(OTP_URL, {"code": wrong}).status_code)
        return real(**kwargs)

    monkeypatch.setattr(staff_views.core_totp, "staff_totp_login", check)
    statuses.insert(0, clients[0].post(OTP_URL, {"code": wrong}).status_code)
    assert len(checked) <= 10, len(checked)
    assert 429 in statuses
    assert not logged_in(clients[0])
