"""Online registration: the form of 000's 必要事項入力画面, confirmation, user number by mail."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.registrants.data import PDF, PNG, form_data, worker_data
from yoyaku.core.models import AuditLog, User
from yoyaku.registrants.models import Registrant

pytestmark = pytest.mark.django_db(transaction=True)


def submit(client, municipality, data, files=None, kind=None):
    url = f"/{municipality.slug}/register/form/" + (f"?kind={kind}" if kind else "")
    payload = dict(data)
    if files:
        payload.update(files)
    return client.post(url, payload)


def send(client, municipality):
    return client.post(f"/{municipality.slug}/register/confirm/")


def user_number_from_mail() -> str:
    body = mail.outbox[-1].body
    return re.search(r"利用者番号：(\d{6})", body).group(1)


def test_form_shows_the_seed_fields_with_their_japanese_labels(client, minato):
    body = client.get("/minato/register/form/").content.decode()
    for label in (
        "氏名カタカナ",
        "氏名漢字",
        "電話番号",
        "在住・在勤区分",
        "港区内在住の方",
        "港区内在勤の方",
        "ご自宅住所",
        "郵便番号",
        "都道府県",
        "市区郡",
        "町村番地",
        "生年月日",
        "メールアドレス",
        "メールアドレス(確認)",
        "勤務先名称(在勤の方)",
        "勤務先所在地(在勤の方)",
        "勤務先電話番号(在勤の方)",
        "確認",
        "リセット",
        "例：ミナト　タロウ",
        "例 03-1234-5678",
    ):
        assert label in body, label


def test_typed_input_is_normalised_and_shown_for_confirmation(client, minato):
    response = submit(client, minato, form_data())
    assert response.status_code == 302
    body = client.get("/minato/register/confirm/").content.decode()
    assert "ミナト　タロウ" in body  # half-width kana → full-width, full-width space
    assert "港　太郎" in body
    assert "03-1234-5678" in body  # full-width digits and dashes → half-width
    assert "〒105-8511" in body
    assert "芝公園１－５－２５" in body  # address parts stored full-width
    assert "1985年4月12日" in body
    assert Registrant.objects.count() == 0  # nothing saved before 送信


def test_sending_creates_the_registrant_and_mails_a_random_user_number(client, minato):
    submit(client, minato, form_data())
    response = send(client, minato)
    assert response.status_code == 302
    assert response["Location"] == "/minato/register/done/"
    assert "taro@example.jp" in client.get(response["Location"]).content.decode()
    registrant = Registrant.objects.get()
    assert registrant.status == Registrant.Status.APPLIED
    assert registrant.valid_until == dt.date(2028, 6, 1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["taro@example.jp"]
    assert "利用者番号のお知らせ" in message.subject
    number = user_number_from_mail()
    assert number == registrant.user_number
    assert "このまま予約・抽選の申込みができます" in message.body  # Minato: book before review
    assert message.alternatives and "text/html" in message.alternatives[0][1]
    assert AuditLog.objects.filter(action="registration.apply").count() == 1


def test_user_numbers_are_six_digits_unique_and_not_sequential(client, minato):
    numbers = []
    for i in range(8):
        submit(
            client,
            minato,
            form_data(
                name_kana=f"テスト　{'アイウエオカキク'[i]}",
                phone=f"03-1234-{5000 + i}",
                email=f"p{i}@example.jp",
                email_confirm=f"p{i}@example.jp",
                birth_year=str(1970 + i),
            ),
        )
        send(client, minato)
        numbers.append(int(user_number_from_mail()))
    assert all(100000 <= n <= 999999 for n in numbers)
    assert len(set(numbers)) == 8
    differences = {b - a for a, b in itertools.pairwise(numbers)}
    assert differences != {1}


def test_the_initial_password_is_the_birth_date(client, minato):
    submit(client, minato, form_data())
    send(client, minato)
    number = user_number_from_mail()
    response = client.post("/minato/login/", {"user_number": number, "password": "19850412"})
    assert response.status_code == 302
    page = client.get("/minato/mypage/").content.decode()
    assert number in page
    assert "パスワードが初期設定（生年月日）のままです。" in page


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        (
            {"name_kana": "港 太郎"},
            "全角カタカナで、氏と名の間に全角スペースを入れて入力してください",
        ),
        (
            {"name_kana": "ミナトタロウ"},
            "全角カタカナで、氏と名の間に全角スペースを入れて入力してください",
        ),
        ({"name": "港太郎"}, "氏と名の間に全角スペースを入れて入力してください"),
        ({"phone": "12345"}, "電話番号は市外局番から半角数字で入力してください"),
        ({"postal_code": "12-34"}, "郵便番号は7桁の半角数字で入力してください"),
        ({"prefecture": "東京州"}, "都道府県名を正しく入力してください"),
        ({"birth_month": "2", "birth_day": "30"}, "実在する日付を入力してください"),
        ({"birth_year": "2030"}, "生年月日が未来の日付になっています。"),
        ({"birth_year": "2015"}, "利用者登録は18歳以上の方が対象です。"),
        ({"email_confirm": "tar0@example.jp"}, "メールアドレスが一致しません。"),
        (
            {"email": "not-an-address", "email_confirm": "not-an-address"},
            "メールアドレスを正しく入力してください。",
        ),
        ({"category": ""}, "入力してください。"),
    ],
)
def test_bad_input_shows_a_message_next_to_the_field_and_keeps_what_was_typed(
    client, minato, overrides, field_message
):
    response = submit(client, minato, form_data(**overrides))
    assert response.status_code == 200
    body = response.content.decode()
    assert field_message in body
    assert 'class="error-text"' in body
    assert 'value="芝公園1-5-25"' in body  # what was typed stays
    assert Registrant.objects.count() == 0


def test_without_an_email_address_online_registration_is_refused_with_the_seed_message(
    client, minato
):
    response = submit(client, minato, form_data(email="", email_confirm=""))
    body = response.content.decode()
    assert "メールアドレスの入力がない場合は、インターネットでの利用者登録はできません。" in body
    assert Registrant.objects.count() == 0


def test_a_worker_must_give_the_workplace_and_attach_a_proof(client, minato):
    response = submit(client, minato, form_data(category="worker"))
    body = response.content.decode()
    assert body.count('_error">在勤の方は入力してください。') == 6  # next to each field
    assert "在勤の方は在勤証明書を添付してください。" in body


def test_a_worker_with_a_pdf_proof_is_registered_and_the_file_is_private(client, minato, settings):
    proof = SimpleUploadedFile("在勤証明書.pdf", PDF, content_type="application/pdf")
    response = submit(client, minato, worker_data(), files={"employment_proof": proof})
    assert response.status_code == 302
    assert "添付済み" in client.get("/minato/register/confirm/").content.decode()
    send(client, minato)
    registrant = Registrant.objects.get()
    assert registrant.employment_proof_type == "application/pdf"
    assert registrant.employment_proof.read().startswith(b"%PDF")
    stored = registrant.employment_proof.path
    assert str(settings.STATIC_ROOT) not in stored and "/static/" not in stored
    # No public URL serves it: only the staff console streams it.
    assert client.get(f"/media/{registrant.employment_proof.name}").status_code == 404


def test_a_proof_is_recognised_by_content_not_by_name(client, minato):
    disguised = SimpleUploadedFile(
        "proof.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf"
    )
    response = submit(client, minato, worker_data(), files={"employment_proof": disguised})
    assert "添付できるのはPDF・JPEG・PNG形式のファイルです。" in response.content.decode()
    # The type the browser claims is ignored; the extension must agree with the content.
    png_named_txt = SimpleUploadedFile("scan.txt", PNG, content_type="image/png")
    response = submit(client, minato, worker_data(), files={"employment_proof": png_named_txt})
    assert "拡張子がファイルの内容と合いません" in response.content.decode()
    png_claimed_text = SimpleUploadedFile("scan.PNG", PNG, content_type="text/plain")
    assert (
        submit(
            client, minato, worker_data(), files={"employment_proof": png_claimed_text}
        ).status_code
        == 302
    )


def test_a_proof_over_5_mb_is_refused(client, minato):
    big = SimpleUploadedFile(
        "big.pdf", PDF + b"0" * (5 * 1024 * 1024), content_type="application/pdf"
    )
    response = submit(client, minato, worker_data(), files={"employment_proof": big})
    assert "添付ファイルは5MB以下にしてください。" in response.content.decode()


def test_when_another_field_is_wrong_the_file_must_be_attached_again(client, minato):
    proof = SimpleUploadedFile("p.pdf", PDF, content_type="application/pdf")
    response = submit(client, minato, worker_data(phone="1"), files={"employment_proof": proof})
    assert "もう一度ファイルを選択してください" in response.content.decode()


def test_postal_code_button_fills_the_address_without_javascript(client, minato):
    data = form_data(prefecture="", city="", street="")
    data["lookup"] = "home"
    response = client.post("/minato/register/form/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'value="東京都"' in body and 'value="港区"' in body and 'value="芝公園"' in body
    assert 'value="ﾐﾅﾄ ﾀﾛｳ"' in body  # the rest of what was typed is kept
    assert "入力してください。" not in body  # a lookup is not a validation


def test_unknown_postal_code_says_so(client, minato):
    data = form_data(postal_code="000-0000")
    data["lookup"] = "home"
    body = client.post("/minato/register/form/", data).content.decode()
    assert "その郵便番号の住所が見つかりませんでした。" in body


def test_correcting_from_the_confirmation_keeps_everything(client, minato):
    submit(client, minato, form_data())
    body = client.get("/minato/register/form/?edit=1").content.decode()
    assert 'value="ミナト　タロウ"' in body
    assert 'value="1985"' in body
    assert 'value="taro@example.jp"' in body


def test_groups_register_with_a_representative(client, ukiha):
    data = form_data(
        group_name="うきは卓球クラブ",
        group_name_kana="ｳｷﾊﾀｯｷｭｳｸﾗﾌﾞ",
        member_count="12",
        activity="卓球の練習",
        postal_code="839-1393",
        prefecture="福岡県",
        city="うきは市",
        street="吉井町新治316",
    )
    assert submit(client, ukiha, data, kind="group").status_code == 302
    send(client, ukiha)
    registrant = Registrant.objects.get()
    assert registrant.kind == Registrant.Kind.GROUP
    assert registrant.group_name == "うきは卓球クラブ"
    assert registrant.group_name_kana == "ウキハタッキュウクラブ"
    assert "審査が完了しましたらメールでお知らせします" in mail.outbox[0].body  # Ukiha


def test_registration_pages_are_closed_outside_service_hours(client, minato, travel):
    travel(dt.datetime(2026, 6, 2, 1, 0))
    assert client.get("/minato/register/form/").status_code == 503


def test_the_login_user_is_the_registrant_of_that_municipality_only(client, minato, ukiha):
    submit(client, minato, form_data())
    send(client, minato)
    number = user_number_from_mail()
    user = User.objects.get(login_id=number)
    assert user.municipality == minato
    response = client.post("/ukiha/login/", {"user_number": number, "password": "19850412"})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_the_english_form_shows_the_municipalitys_english_category_labels(client, minato):
    minato.resident_label_en = "I live in Minato City"
    minato.save()
    client.cookies["django_language"] = "en"
    body = client.get("/minato/register/form/").content.decode()
    assert "I live in Minato City" in body
    assert "港区内在勤の方" in body  # no English given: the Japanese label stays
