"""Book, pay on the sandbox and cancel through the API alone (the demo of `make run`).

    python scripts/api_demo.py --token yoyaku_… [--site http://127.0.0.1:8000]

The token is a Ukiha registrant's "read and write" token from マイページ → APIトークン.
Standard library only. Each step prints what the API answered.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(site: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
        # A retry of this very request (a lost connection) would not act twice.
        headers["Idempotency-Key"] = str(uuid.uuid4())
    request = urllib.request.Request(site + "/api/v1" + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(request) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        problem = json.load(error)
        raise SystemExit(
            f"{method} {path}: {error.code} {problem['code']}: {problem['detail']}"
        ) from None


def find_free_slot(site: str, token: str, municipality: str) -> dict:
    """The first free slot, from three days ahead, of a unit at a sports facility (paid
    online, booked first-come)."""
    facilities = call(site, token, "GET", f"/municipalities/{municipality}/facilities")
    start = dt.date.today() + dt.timedelta(days=3)
    end = start + dt.timedelta(days=30)
    for facility in facilities["items"]:
        if facility["kind"] not in ("sports", "outdoor"):
            continue
        slug = facility["slug"]
        detail = call(site, token, "GET", f"/municipalities/{municipality}/facilities/{slug}")
        for unit in detail["units"]:
            if unit["booking_kind"] == "lodging" or not unit["slots"]:
                continue
            query = urllib.parse.urlencode({"start": start, "end": end})
            path = f"/municipalities/{municipality}/facilities/{slug}/units/{unit['id']}"
            days = call(site, token, "GET", f"{path}/availability?{query}")["days"]
            for day in days:
                free = [s["code"] for s in day["slots"] if s["free"]]
                if day["status"] in ("free", "partly") and free:
                    return {
                        "unit_id": unit["id"],
                        "use_date": day["date"],
                        "slots": free[:1],
                        "party_size": min(unit["capacity"] or 10, 10),
                        "facility": facility["name"],
                        "unit": unit["name"],
                    }
    raise SystemExit("no free slot found in the next month")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", default="http://127.0.0.1:8000")
    parser.add_argument("--municipality", default="ukiha")
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    site, token = args.site.rstrip("/"), args.token

    me = call(site, token, "GET", "/me")
    print(f"1. 利用者番号 {me['user_number']} ({me['status_label']})")

    choice = find_free_slot(site, token, args.municipality)
    print(f"2. 空き: {choice['facility']} {choice['unit']} {choice['use_date']} {choice['slots']}")
    booking = {k: choice[k] for k in ("unit_id", "use_date", "slots", "party_size")}
    options = call(site, token, "GET", f"/me/units/{choice['unit_id']}/booking-options")
    if options["purposes"]:
        booking["purpose_id"] = options["purposes"][0]["id"]
    reservation = call(site, token, "POST", "/me/reservations", booking)
    rid = reservation["id"]
    print(
        f"3. 予約 {reservation['number']}: {reservation['status_label']}, "
        f"使用料 {reservation['fee_total']:,}円, 支払期限 {reservation['payment_due_at']}"
    )

    payment = call(site, token, "POST", f"/me/reservations/{rid}/payments", {"method": "card"})
    print(f"4. 支払い {payment['amount']:,}円: {payment['redirect_url']}")
    # What a person does in the browser: the sandbox's card page, with a test card.
    card = urllib.parse.urlencode(
        {"card_number": "4242 4242 4242 4242", "exp": "12/40", "cvc": "123"}
    ).encode()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(payment["redirect_url"], card, method="POST"))
    except urllib.error.HTTPError as answer:  # 303 back to the site: paid
        print(f"5. サンドボックスでカード払い: {answer.code} → {answer.headers['Location']}")

    for _ in range(30):  # the provider's notice (webhook) confirms the reservation
        reservation = call(site, token, "GET", f"/me/reservations/{rid}")
        if reservation["status"] == "confirmed":
            break
        time.sleep(0.5)
    print(
        f"6. 予約 {reservation['number']}: {reservation['status_label']}, 残高 {reservation['balance']}円"
    )
    assert reservation["status_label"] == "予約確定", reservation["status_label"]

    cancelled = call(site, token, "POST", f"/me/reservations/{rid}/cancel", {"reason": "API demo"})
    print(
        f"7. 取消: {cancelled['status_label']}, 取消料 {cancelled['cancellation_fee']:,}円, "
        f"返金予定 {-cancelled['balance']:,}円"
    )
    for _ in range(30):  # the refund is sent to the provider after the cancellation
        paid = next(
            p for p in call(site, token, "GET", "/me/payments")["items"] if p["id"] == payment["id"]
        )
        if paid["refunds"] and all(r["status"] == "succeeded" for r in paid["refunds"]):
            break
        time.sleep(0.5)
    for refund in paid["refunds"]:
        print(f"8. 返金 {refund['amount']:,}円: {refund['status']} ({refund['done_at']})")
    if not paid["refunds"]:
        print("8. 返金なし（取消料が使用料と同額）")


if __name__ == "__main__":
    main()
