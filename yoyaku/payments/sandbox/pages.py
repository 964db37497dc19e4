"""The hosted pages, in Japanese: plain HTML, labelled fields, errors next to the field, no
JavaScript and no inline style (the stylesheet is served from ``/sandbox.css``)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from html import escape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

JST = dt.timezone(dt.timedelta(hours=9), "JST")

CSS = """
*, *::before, *::after { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, "Hiragino Sans", "Noto Sans JP", sans-serif;
  line-height: 1.7; color: #1a1a1a; background: #f4f5f7; }
.banner { margin: 0; padding: .5rem 1rem; background: #5c3d00; color: #fff; font-size: .9rem; }
main { max-width: 32rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
.card { background: #fff; border: 1px solid #c8ccd2; border-radius: 8px; padding: 1rem; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dl.summary dt { font-weight: bold; }
dl.summary dd { margin: 0; overflow-wrap: anywhere; }
.field { margin: 1rem 0; }
label { display: block; font-weight: bold; }
.hint { margin: .1rem 0; color: #444; font-size: .9rem; }
input { width: 100%; max-width: 100%; font-size: 1.1rem; padding: .5rem;
  border: 2px solid #6b7280; border-radius: 4px; }
input[aria-invalid="true"] { border-color: #b00020; }
input:focus, button:focus, a:focus { outline: 3px solid #1d4ed8; outline-offset: 2px; }
.error { color: #b00020; font-weight: bold; margin: .25rem 0; }
.errors { border: 2px solid #b00020; padding: .5rem 1rem; background: #fff5f5; }
button { font-size: 1.1rem; padding: .6rem 1.5rem; border-radius: 4px; border: 2px solid #1d4ed8;
  background: #1d4ed8; color: #fff; cursor: pointer; }
button.secondary { background: #fff; color: #1d4ed8; }
.actions { display: flex; flex-wrap: wrap; gap: .75rem; margin: 1rem 0; }
.code { font-size: 1.6rem; font-weight: bold; letter-spacing: .1em; }
.qr { display: block; width: 12rem; height: 12rem; margin: 1rem auto; }
details { margin-top: 1.5rem; }
"""


def yen(amount: int) -> str:
    return f"{amount:,}円"


def jst(epoch: int) -> str:
    moment = dt.datetime.fromtimestamp(epoch, JST)
    return f"{moment.year}年{moment.month}月{moment.day}日 {moment:%H:%M}"


def with_payment(url: str, payment_id: str) -> str:
    """``url`` with ``payment=<id>`` added to its query."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "payment"]
    query.append(("payment", payment_id))
    return urlunsplit(parts._replace(query=urlencode(query)))


def layout(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}｜決済サンドボックス</title>\n"
        '<link rel="stylesheet" href="/sandbox.css">\n</head>\n<body>\n'
        '<p class="banner">これはテスト用の決済画面（サンドボックス）です。実際の請求は行われません。</p>\n'
        f"<main>\n<h1>{escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _summary(payment: Mapping) -> str:
    return (
        '<dl class="summary">'
        f"<dt>お支払い内容</dt><dd>{escape(payment['description'])}</dd>"
        f"<dt>金額</dt><dd>{yen(payment['amount'])}</dd>"
        f"<dt>お支払い期限</dt><dd>{jst(payment['expires_at'])}</dd>"
        "</dl>"
    )


def _back(payment: Mapping, text: str = "サイトに戻る") -> str:
    href = escape(with_payment(payment["return_url"], payment["id"]))
    return f'<p><a href="{href}">{escape(text)}</a></p>'


def _quit(payment: Mapping) -> str:
    href = escape(with_payment(payment["cancel_url"], payment["id"]))
    return f'<p><a href="{href}">お支払いをやめてサイトに戻る</a></p>'


CARD_FIELDS = (
    (
        "card_number",
        "カード番号",
        "16桁の数字。空白は入れても入れなくてもかまいません。",
        "cc-number",
    ),
    ("exp", "有効期限", "月/年（例: 12/30）", "cc-exp"),
    ("cvc", "セキュリティコード", "カード裏面の3桁または4桁の数字", "cc-csc"),
)

TEST_CARDS = (
    "<details><summary>テスト用のカード番号</summary><ul>"
    "<li>4242 4242 4242 4242 — 支払いが完了します</li>"
    "<li>4000 0000 0000 0002 — カードが承認されません</li>"
    "<li>4000 0000 0000 3220 — 本人認証の画面が出ます</li>"
    "</ul><p>有効期限は未来の月、セキュリティコードは任意の3桁です。</p></details>"
)


def card_form(
    payment: Mapping,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> str:
    values = values or {}
    errors = errors or {}
    parts = [_summary(payment)]
    if errors:
        items = "".join(
            f'<li><a href="#{name}">{escape(errors[name])}</a></li>'
            for name, *_ in CARD_FIELDS
            if name in errors
        )
        parts.append(
            '<div class="errors" role="alert"><p>入力内容を確認してください。</p>'
            f"<ul>{items}</ul></div>"
        )
    parts.append(f'<form method="post" action="/pay/{escape(payment["id"])}" novalidate>')
    for name, label, hint, autocomplete in CARD_FIELDS:
        described = f"{name}-hint"
        error = ""
        invalid = ""
        if name in errors:
            described += f" {name}-error"
            error = f'<p id="{name}-error" class="error">{escape(errors[name])}</p>'
            invalid = ' aria-invalid="true"'
        # The card number and the code are never sent back into the page.
        value = escape(values.get(name, "")) if name == "exp" else ""
        parts.append(
            f'<div class="field"><label for="{name}">{label}</label>'
            f'<p id="{name}-hint" class="hint">{hint}</p>{error}'
            f'<input id="{name}" name="{name}" type="text" inputmode="numeric" required'
            f' autocomplete="{autocomplete}" aria-describedby="{described}"{invalid}'
            f' value="{value}"></div>'
        )
    parts.append('<div class="actions"><button type="submit">支払う</button></div></form>')
    parts.append(_quit(payment))
    parts.append(TEST_CARDS)
    return layout("カードでのお支払い", '<div class="card">' + "".join(parts) + "</div>")


def three_ds(payment: Mapping) -> str:
    body = (
        '<div class="card">'
        + _summary(payment)
        + "<p>カード発行会社による本人認証です。このテスト環境では、下のボタンで認証の結果を選びます。</p>"
        f'<form method="post" action="/pay/{escape(payment["id"])}/3ds">'
        '<div class="actions">'
        '<button type="submit" name="decision" value="approve">認証する</button>'
        '<button type="submit" name="decision" value="cancel" class="secondary">キャンセル</button>'
        "</div></form></div>"
    )
    return layout("本人認証", body)


def declined(payment: Mapping, message: str) -> str:
    body = (
        '<div class="card">'
        f'<p class="error" role="alert">{escape(message)}</p>'
        + _summary(payment)
        + "<p>お支払いは完了していません。サイトに戻って、もう一度お手続きください。</p>"
        + _back(payment)
        + "</div>"
    )
    return layout("お支払いができませんでした", body)


def konbini(payment: Mapping) -> str:
    code = payment["code"]
    grouped = " ".join(code[i : i + 4] for i in range(0, len(code), 4))
    body = (
        '<div class="card">'
        + _summary(payment)
        + "<p>お近くのコンビニエンスストアで、次の払込番号をお伝えのうえ、お支払い期限までにお支払いください。</p>"
        f'<dl class="summary"><dt>払込番号</dt><dd class="code">{escape(grouped)}</dd></dl>'
        "<p>お支払いが確認されるまで、予約は確定しません。期限を過ぎると払込番号は使えなくなります。</p>"
        + _back(payment)
        + f'<details><summary>テスト環境での支払い</summary><p><a href="/konbini/{escape(payment["id"])}/pay">'
        "店頭での支払いを試す</a></p></details></div>"
    )
    return layout("コンビニでのお支払い", body)


def konbini_counter(payment: Mapping) -> str:
    body = (
        '<div class="card"><p>店頭のレジでの支払いを模擬します。</p>'
        + _summary(payment)
        + f'<dl class="summary"><dt>払込番号</dt><dd class="code">{escape(payment["code"])}</dd></dl>'
        f'<form method="post" action="/konbini/{escape(payment["id"])}/pay">'
        '<div class="actions"><button type="submit">支払う</button></div></form></div>'
    )
    return layout("コンビニ店頭（テスト）", body)


def konbini_receipt(payment: Mapping) -> str:
    body = (
        '<div class="card"><p role="status">お支払いを受け付けました。</p>'
        + _summary(payment)
        + "</div>"
    )
    return layout("お支払い完了（コンビニ）", body)


def _fake_qr(seed: str) -> str:
    """A QR-looking grid drawn from a hash: it encodes nothing."""
    bits = "".join(f"{byte:08b}" for byte in hashlib.sha256(seed.encode()).digest() * 2)
    size = 21
    cells = []
    for y in range(size):
        for x in range(size):
            corner = (x < 7 and y < 7) or (x >= size - 7 and y < 7) or (x < 7 and y >= size - 7)
            dark = _finder(x, y, size) if corner else bits[(y * size + x) % len(bits)] == "1"
            if dark:
                cells.append(f'<rect x="{x}" y="{y}" width="1" height="1"/>')
    return (
        f'<svg class="qr" viewBox="-1 -1 {size + 2} {size + 2}" role="img"'
        ' aria-label="支払い用のQRコード（テスト用の模様です）" fill="#000">'
        f'<rect x="-1" y="-1" width="{size + 2}" height="{size + 2}" fill="#fff"/>'
        + "".join(cells)
        + "</svg>"
    )


def _finder(x: int, y: int, size: int) -> bool:
    ox = 0 if x < 7 else size - 7
    oy = 0 if y < 7 else size - 7
    dx, dy = x - ox, y - oy
    edge = dx in (0, 6) or dy in (0, 6)
    centre = 2 <= dx <= 4 and 2 <= dy <= 4
    return edge or centre


def paypay(payment: Mapping) -> str:
    body = (
        '<div class="card">'
        + _summary(payment)
        + "<p>PayPayアプリでQRコードを読み取ってお支払いください。このテスト環境では、下の「支払う」ボタンで支払いを完了できます。</p>"
        + _fake_qr(payment["id"])
        + f'<form method="post" action="/pay/{escape(payment["id"])}">'
        '<div class="actions"><button type="submit">支払う</button></div></form>'
        + _quit(payment)
        + "</div>"
    )
    return layout("PayPayでのお支払い", body)


STATUS_TEXT = {
    "succeeded": ("お支払いは完了しています", "このお支払いはすでに完了しています。"),
    "failed": ("お支払いができませんでした", "このお支払いは承認されませんでした。"),
    "expired": ("お支払い期限が過ぎました", "お支払い期限を過ぎたため、このお支払いはできません。"),
    "canceled": (
        "お支払いは取り消されました",
        "このお支払いは取り消されたため、お支払いできません。",
    ),
}


def settled(payment: Mapping) -> str:
    title, text = STATUS_TEXT[payment["status"]]
    body = (
        f'<div class="card"><p role="status">{text}</p>'
        + _summary(payment)
        + _back(payment)
        + "</div>"
    )
    return layout(title, body)


def not_found() -> str:
    return layout(
        "お支払いが見つかりません",
        '<div class="card"><p>このお支払いは見つかりません。URLをご確認ください。</p></div>',
    )
