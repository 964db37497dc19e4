"""The payment sandbox, driven through its adapter with the in-process transport: what a
person paying sees on the hosted pages and what our services get back."""

from __future__ import annotations

import re

import pytest

from tests.payments.sandbox_harness import BASE, SECRET, SITE, START, returned_to
from yoyaku.payments.providers.base import (
    Method,
    ProviderError,
    RemoteStatus,
)
from yoyaku.payments.sandbox import sign, verify_signature

# -- card ------------------------------------------------------------------------------


def test_a_card_paid_on_the_hosted_page_succeeds_and_a_signed_webhook_says_so(sandbox):
    started = sandbox.start()
    assert started.redirect_url == f"{BASE}/pay/{started.ref}"
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.PENDING

    form = sandbox.browse("GET", started.redirect_url)
    for text in ("カード番号", "有効期限", "セキュリティコード", "支払う", "1,200円"):
        assert text in form.text
    assert '<label for="card_number">' in form.text
    assert "<script" not in form.text and "style=" not in form.text

    assert returned_to(sandbox.pay_by_card(started.ref), started.ref)
    paid = sandbox.provider.fetch(started.ref)
    assert (paid.status, paid.amount, paid.paid_at_epoch) == (RemoteStatus.SUCCEEDED, 1200, START)

    [(body, headers)] = sandbox.receiver.deliveries
    notice = sandbox.provider.parse_webhook(body=body, headers=headers)
    assert (notice.payment_ref, notice.kind) == (started.ref, "payment.succeeded")
    assert notice.event_id.startswith("evt_")


def test_the_pay_button_pressed_twice_pays_once(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    assert returned_to(sandbox.pay_by_card(started.ref), started.ref)
    assert sandbox.receiver.types() == ["payment.succeeded"]


def test_a_card_form_with_mistakes_says_what_is_wrong_next_to_each_field(sandbox):
    started = sandbox.start()
    page = sandbox.browse(
        "POST", f"/pay/{started.ref}", {"card_number": "1234", "exp": "13/30", "cvc": ""}
    )
    assert page.status == 400
    assert "カード番号は16桁の数字で入力してください。" in page.text
    assert "有効期限は「月/年」の形" in page.text
    assert "セキュリティコードを入力してください。" in page.text
    assert 'aria-describedby="card_number-hint card_number-error" aria-invalid="true"' in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.PENDING


def test_full_width_digits_are_accepted_on_the_card_form(sandbox):
    started = sandbox.start()
    page = sandbox.browse(
        "POST",
        f"/pay/{started.ref}",
        {"card_number": "４２４２４２４２４２４２４２４２", "exp": "１２／４０", "cvc": "１２３"},
    )
    assert returned_to(page, started.ref)


def test_a_declined_card_fails_and_offers_the_way_back_to_the_site(sandbox):
    started = sandbox.start()
    page = sandbox.pay_by_card(started.ref, "4000 0000 0000 0002")
    assert "カードが承認されませんでした" in page.text
    assert f'href="{SITE}/ukiha/payments/return/?payment={started.ref}"' in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.FAILED
    assert sandbox.receiver.types() == ["payment.failed"]


def test_a_card_asking_for_authentication_pays_after_the_extra_step(sandbox):
    started = sandbox.start()
    page = sandbox.pay_by_card(started.ref, "4000000000003220")
    assert (page.status, page.headers["Location"]) == (303, f"/pay/{started.ref}/3ds")
    step = sandbox.browse("GET", f"/pay/{started.ref}/3ds")
    for text in ("本人認証", "認証する", "キャンセル"):
        assert text in step.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.PENDING

    assert returned_to(
        sandbox.browse("POST", f"/pay/{started.ref}/3ds", {"decision": "approve"}), started.ref
    )
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.SUCCEEDED


def test_cancelling_the_authentication_step_declines_the_card(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref, "4000000000003220")
    page = sandbox.browse("POST", f"/pay/{started.ref}/3ds", {"decision": "cancel"})
    assert "カードが承認されませんでした" in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.FAILED


def test_paypay_shows_a_code_and_pays_with_its_button(sandbox):
    started = sandbox.start(Method.PAYPAY)
    page = sandbox.browse("GET", f"/pay/{started.ref}")
    assert "<svg" in page.text and "支払う" in page.text
    assert returned_to(sandbox.browse("POST", f"/pay/{started.ref}", {"pay": "1"}), started.ref)
    assert sandbox.provider.fetch(started.ref).method == Method.PAYPAY
    assert sandbox.receiver.types() == ["payment.succeeded"]


# -- idempotency -----------------------------------------------------------------------


def test_starting_twice_with_the_same_key_gives_one_payment(sandbox):
    first = sandbox.start(key="pay-17")
    again = sandbox.start(key="pay-17")
    assert again.ref == first.ref
    assert len(sandbox.provider.list_payments(since_epoch=0)) == 1


def test_the_same_key_with_a_different_amount_is_refused(sandbox):
    sandbox.start(key="pay-17")
    with pytest.raises(ProviderError, match="409"):
        sandbox.start(key="pay-17", amount=9999)


def test_a_payment_created_but_answered_with_a_time_out_is_found_again_by_its_key(sandbox):
    sandbox.switch(timeout_after_commit=1.0)
    with pytest.raises(ProviderError, match="504"):
        sandbox.start(key="pay-17")
    again = sandbox.start(key="pay-17")
    assert [p.ref for p in sandbox.provider.list_payments(since_epoch=0)] == [again.ref]


def test_a_refund_retried_after_a_time_out_is_made_once(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    sandbox.switch(timeout_after_commit=1.0)
    with pytest.raises(ProviderError, match="504"):
        sandbox.provider.refund(ref=started.ref, amount=500, key="refund-1")
    refund = sandbox.provider.refund(ref=started.ref, amount=500, key="refund-1")
    assert (refund.amount, refund.succeeded) == (500, True)
    assert sandbox.provider.fetch(started.ref).refunded == 500
    assert sandbox.receiver.types() == ["payment.succeeded", "refund.succeeded"]


# -- refunds and cancellation ----------------------------------------------------------


def test_a_refund_of_more_than_what_remains_is_refused(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    sandbox.provider.refund(ref=started.ref, amount=1000, key="refund-1")
    with pytest.raises(ProviderError, match="400"):
        sandbox.provider.refund(ref=started.ref, amount=201, key="refund-2")
    assert sandbox.provider.refund(ref=started.ref, amount=200, key="refund-3").succeeded
    assert sandbox.provider.fetch(started.ref).refunded == 1200


def test_an_unpaid_payment_cannot_be_refunded(sandbox):
    started = sandbox.start()
    with pytest.raises(ProviderError, match="400"):
        sandbox.provider.refund(ref=started.ref, amount=100, key="refund-1")


def test_cancelling_an_unpaid_payment_closes_its_page_but_a_paid_one_stays_paid(sandbox):
    unpaid = sandbox.start(key="a")
    assert sandbox.provider.cancel(unpaid.ref).status == RemoteStatus.CANCELED
    assert "お支払いは取り消されました" in sandbox.browse("GET", f"/pay/{unpaid.ref}").text
    paid = sandbox.start(key="b")
    sandbox.pay_by_card(paid.ref)
    assert sandbox.provider.cancel(paid.ref).status == RemoteStatus.SUCCEEDED
    assert sandbox.receiver.types() == ["payment.canceled", "payment.succeeded"]


# -- konbini and expiry ----------------------------------------------------------------


def test_a_konbini_payment_stays_pending_until_paid_at_the_counter(sandbox):
    started = sandbox.start(Method.KONBINI)
    assert re.fullmatch(r"\d{12}", started.code)
    page = sandbox.browse("GET", started.redirect_url)
    grouped = " ".join(started.code[i : i + 4] for i in range(0, 12, 4))
    assert "払込番号" in page.text and grouped in page.text
    assert "2027年1月15日 18:00" in page.text  # the deadline, Japan time
    assert f"{SITE}/ukiha/payments/return/?payment={started.ref}" in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.PENDING

    counter = sandbox.browse("GET", f"/konbini/{started.ref}/pay")
    assert "支払う" in counter.text
    receipt = sandbox.browse("POST", f"/konbini/{started.ref}/pay")
    assert "お支払いを受け付けました" in receipt.text
    paid = sandbox.provider.fetch(started.ref)
    assert (paid.status, paid.code) == (RemoteStatus.SUCCEEDED, started.code)
    assert sandbox.receiver.types() == ["payment.succeeded"]


def test_a_konbini_payment_past_its_deadline_expires_and_cannot_be_paid(sandbox):
    started = sandbox.start(Method.KONBINI)
    sandbox.clock.advance(3601)
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.EXPIRED
    assert sandbox.receiver.types() == ["payment.expired"]
    page = sandbox.browse("POST", f"/konbini/{started.ref}/pay")
    assert "お支払い期限を過ぎたため" in page.text
    assert sandbox.provider.fetch(started.ref).status == RemoteStatus.EXPIRED


def test_the_background_tick_expires_a_payment_nobody_looks_at(sandbox):
    sandbox.start(Method.KONBINI)
    sandbox.clock.advance(3601)
    sandbox.app.tick()
    sandbox.app.dispatcher.pump()
    assert sandbox.receiver.types() == ["payment.expired"]


def test_reconciliation_lists_the_payments_changed_since_a_moment(sandbox):
    old = sandbox.start(key="a")
    sandbox.clock.advance(100)
    new = sandbox.start(key="b")
    assert [p.ref for p in sandbox.provider.list_payments(since_epoch=START + 50)] == [new.ref]
    sandbox.pay_by_card(old.ref)
    changed = sandbox.provider.list_payments(since_epoch=START + 50)
    assert {p.ref: p.status for p in changed} == {
        old.ref: RemoteStatus.SUCCEEDED,
        new.ref: RemoteStatus.PENDING,
    }


# -- signatures ------------------------------------------------------------------------


def test_a_webhook_with_a_tampered_body_a_wrong_secret_or_an_old_time_is_refused(sandbox):
    started = sandbox.start()
    sandbox.pay_by_card(started.ref)
    [(body, headers)] = sandbox.receiver.deliveries
    tampered = body.replace(b"payment.succeeded", b"payment.canceled")
    with pytest.raises(ProviderError):
        sandbox.provider.parse_webhook(body=tampered, headers=headers)
    forged = {"X-Sandbox-Signature": sign("another-secret", body, START)}
    with pytest.raises(ProviderError):
        sandbox.provider.parse_webhook(body=body, headers=forged)
    sandbox.clock.advance(301)
    with pytest.raises(ProviderError):
        sandbox.provider.parse_webhook(body=body, headers=headers)
    with pytest.raises(ProviderError):
        sandbox.provider.parse_webhook(body=body, headers={})


def test_the_signature_header_is_found_whatever_its_case(sandbox):
    body = b'{"id":"evt_1","type":"payment.succeeded","payment":"pay_1","created":1}'
    headers = {"x-sandbox-signature": sign(SECRET, body, START)}
    assert sandbox.provider.parse_webhook(body=body, headers=headers).event_id == "evt_1"


def test_verify_signature_accepts_only_the_right_secret_body_and_time():
    body = b'{"id":"evt_1"}'
    header = sign(SECRET, body, START)
    assert verify_signature(SECRET, body, header, now=START + 299)
    assert not verify_signature(SECRET, body + b" ", header, now=START)
    assert not verify_signature("wrong", body, header, now=START)
    assert not verify_signature(SECRET, body, header, now=START + 301)
    assert not verify_signature(SECRET, body, header, tolerance_seconds=10, now=START + 11)
    assert not verify_signature(
        SECRET, body, header.replace(f"t={START}", f"t={START + 5}"), now=START
    )
    assert not verify_signature(SECRET, body, "garbage", now=START)
    assert not verify_signature("", body, header, now=START)


def test_every_hosted_page_is_japanese_and_fits_the_content_security_policy(sandbox):
    card = sandbox.start(key="card")
    pages = [sandbox.browse("GET", f"/pay/{card.ref}")]
    pages.append(sandbox.browse("POST", f"/pay/{card.ref}", {"card_number": ""}))
    sandbox.pay_by_card(card.ref, "4000000000003220")
    pages.append(sandbox.browse("GET", f"/pay/{card.ref}/3ds"))
    pages.append(sandbox.browse("POST", f"/pay/{card.ref}/3ds", {"decision": "cancel"}))
    pages.append(sandbox.browse("GET", f"/pay/{card.ref}"))
    konbini = sandbox.start(Method.KONBINI, key="konbini")
    pages.append(sandbox.browse("GET", f"/pay/{konbini.ref}"))
    pages.append(sandbox.browse("GET", f"/konbini/{konbini.ref}/pay"))
    pages.append(sandbox.browse("POST", f"/konbini/{konbini.ref}/pay"))
    pages.append(sandbox.browse("GET", f"/pay/{sandbox.start(Method.PAYPAY, key='pp').ref}"))
    pages.append(sandbox.browse("GET", "/pay/pay_000000000000000000000000"))
    assert pages[-1].status == 404
    for page in pages:
        assert '<html lang="ja">' in page.text
        assert 'name="viewport"' in page.text
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
        assert not re.search(r"<script|style=|\son[a-z]+=", page.text)
