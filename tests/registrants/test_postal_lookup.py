"""The postal-code button never takes the place of 確認 and never overwrites what was typed."""

from __future__ import annotations

import re

import pytest

from tests.registrants.data import form_data

pytestmark = pytest.mark.django_db(transaction=True)


def first_submit_button(body: str) -> dict[str, str]:
    """What a browser sends for Enter in a text box: the name and value of the form's first
    submit button (its default button)."""
    form = re.search(r'<form method="post"[^>]*registration-form.*?</form>', body, re.S).group(0)
    tag = re.search(r'<button type="submit"[^>]*>', form).group(0)
    attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', tag))
    return {attrs["name"]: attrs.get("value", "")} if "name" in attrs else {}


def test_enter_in_a_text_box_goes_on_to_the_confirmation_not_to_the_lookup(client, minato):
    page = client.get("/minato/register/form/").content.decode()
    default = first_submit_button(page)
    assert "lookup" not in default
    response = client.post("/minato/register/form/", {**form_data(), **default})
    assert response.status_code == 302
    assert response["Location"] == "/minato/register/confirm/"


def test_the_default_button_is_out_of_sight_out_of_the_tab_order_and_hidden_from_readers(
    client, minato
):
    page = client.get("/minato/register/form/").content.decode()
    form = re.search(r'<form method="post"[^>]*registration-form.*?</form>', page, re.S).group(0)
    tag = re.search(r'<button type="submit"[^>]*>', form).group(0)
    assert 'class="visually-hidden"' in tag
    assert 'tabindex="-1"' in tag and 'aria-hidden="true"' in tag


def test_the_lookup_keeps_a_typed_street_and_fills_only_what_is_empty(client, minato):
    data = form_data(prefecture="", city="", street="芝公園1-5-25", lookup="home")
    body = client.post("/minato/register/form/", data).content.decode()
    assert 'value="東京都"' in body and 'value="港区"' in body
    assert 'value="芝公園1-5-25"' in body  # what was typed after the town is not cut
    assert "郵便番号から入力しました：都道府県、市区郡" in body
    assert "入力済みの項目は変えていません" not in body


def test_the_lookup_says_which_typed_parts_differ_and_leaves_them(client, minato):
    data = form_data(prefecture="東京都", city="千代田区", street="丸の内1-1", lookup="home")
    body = client.post("/minato/register/form/", data).content.decode()
    assert 'value="千代田区"' in body and 'value="丸の内1-1"' in body
    assert "郵便番号の住所は「東京都港区芝公園」です。" in body
    assert "入力済みの項目は変えていません：市区郡、町村番地" in body
    assert "郵便番号から入力しました" not in body
