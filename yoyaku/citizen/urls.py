from django.urls import path

from yoyaku.citizen import (
    account_views,
    booking_views,
    bundle_views,
    calendar_views,
    line_views,
    lottery_views,
    passkey_views,
    payment_views,
    registration_views,
    token_views,
    views,
    waitlist_views,
    whole_views,
)

app_name = "citizen"

M = "<slug:municipality>/"

urlpatterns = [
    path(M, views.top, name="top"),
    path(M + "guide/", views.guide, name="guide"),
    path(M + "facilities/", views.facility_list, name="facility_list"),
    path(M + "facilities/<slug:facility>/", views.facility_detail, name="facility_detail"),
    path(M + "facilities/<slug:facility>/log/", views.facility_log, name="facility_log"),
    path(
        M + "facilities/<slug:facility>/calendar/",
        views.facility_calendar,
        name="facility_calendar",
    ),
    path(M + "availability/", views.availability_day, name="availability_day"),
    path(M + "login/", views.registrant_login, name="login"),
    path(
        M + "login/passkey/options/",
        passkey_views.passkey_login_options,
        name="passkey_login_options",
    ),
    path(M + "login/passkey/", passkey_views.passkey_login, name="passkey_login"),
    path(M + "logout/", views.registrant_logout, name="logout"),
    path(M + "register/", views.register_info, name="register"),
    path(M + "register/form/", registration_views.register_form, name="register_form"),
    path(M + "register/confirm/", registration_views.register_confirm, name="register_confirm"),
    path(M + "register/done/", registration_views.register_done, name="register_done"),
    path(M + "terms/", registration_views.terms_of_use, name="terms"),
    path(M + "terms/agree/", account_views.terms_agree, name="terms_agree"),
    path(M + "mypage/", account_views.mypage, name="mypage"),
    path(M + "mypage/password/", account_views.password_change, name="password_change"),
    path(M + "mypage/details/", account_views.details_change, name="details_change"),
    path(M + "mypage/email/<str:token>/", account_views.email_confirm, name="email_confirm"),
    path(M + "mypage/reply/", account_views.info_reply, name="info_reply"),
    path(M + "mypage/language/", account_views.mail_language, name="mail_language"),
    path(M + "mypage/deregister/", account_views.deregister, name="deregister"),
    path(M + "mypage/reductions/", account_views.reductions, name="reductions"),
    path(M + "mypage/passkeys/", passkey_views.passkeys_page, name="passkeys"),
    path(
        M + "mypage/passkeys/options/",
        passkey_views.passkey_register_options,
        name="passkey_register_options",
    ),
    path(M + "mypage/passkeys/add/", passkey_views.passkey_register, name="passkey_register"),
    path(
        M + "mypage/passkeys/<int:passkey_id>/delete/",
        passkey_views.passkey_delete,
        name="passkey_delete",
    ),
    path(M + "mypage/tokens/", token_views.api_tokens_page, name="api_tokens"),
    path(
        M + "mypage/tokens/<int:token_id>/revoke/",
        token_views.api_token_revoke,
        name="api_token_revoke",
    ),
    path(M + "mypage/calendar/", calendar_views.calendar_feed_manage, name="calendar_feed_manage"),
    path(M + "mypage/line/", line_views.line_manage, name="line_manage"),
    path(M + "reserve/<int:unit_id>/", booking_views.reserve, name="reserve"),
    path(
        M + "reserve/queue/<int:ticket_id>/",
        booking_views.first_minute_wait,
        name="first_minute_wait",
    ),
    path(M + "reservations/", booking_views.reservation_list, name="reservation_list"),
    path(M + "mypage/waitlist/", waitlist_views.waitlist_page, name="waitlist"),
    path(
        M + "mypage/waitlist/<int:wait_id>/withdraw/",
        waitlist_views.waitlist_withdraw,
        name="waitlist_withdraw",
    ),
    path(
        M + "mypage/waitlist/offers/<int:offer_id>/",
        waitlist_views.waitlist_answer,
        name="waitlist_answer",
    ),
    # 予約のまとまり (whole-facility and series bookings).
    path(M + "series/new/", bundle_views.series_new, name="series_new"),
    path(M + "whole/new/", whole_views.whole_new, name="whole_new"),
    path(M + "bundles/", bundle_views.bundle_list, name="bundle_list"),
    path(M + "bundles/<int:bundle_id>/", bundle_views.bundle_detail, name="bundle_detail"),
    path(M + "bundles/<int:bundle_id>/cancel/", bundle_views.bundle_cancel, name="bundle_cancel"),
    path(M + "bundles/<int:bundle_id>/pay/", bundle_views.bundle_pay, name="bundle_pay"),
    path(M + "bundles/<int:bundle_id>/permit/", bundle_views.bundle_permit, name="bundle_permit"),
    path(
        M + "bundles/<int:bundle_id>/items/<int:reservation_id>/change/",
        bundle_views.bundle_item_change,
        name="bundle_item_change",
    ),
    path(
        M + "bundles/<int:bundle_id>/change/",
        bundle_views.bundle_series_change,
        name="bundle_series_change",
    ),
    path(
        M + "reservations/<int:reservation_id>/pay/",
        payment_views.payment_start,
        name="payment_start",
    ),
    path(
        M + "payments/<int:payment_id>/return/",
        payment_views.payment_return,
        name="payment_return",
    ),
    path(
        M + "payments/<int:payment_id>/receipt.pdf",
        payment_views.payment_receipt,
        name="payment_receipt",
    ),
    path(M + "mypage/payments/", payment_views.payments_page, name="payments"),
    path(
        M + "reservations/<int:reservation_id>/",
        booking_views.reservation_detail,
        name="reservation_detail",
    ),
    path(
        M + "reservations/<int:reservation_id>/change/",
        booking_views.reservation_change,
        name="reservation_change",
    ),
    path(
        M + "reservations/<int:reservation_id>/permit/",
        booking_views.reservation_permit,
        name="reservation_permit",
    ),
    path(
        M + "reservations/<int:reservation_id>/cancel/",
        booking_views.reservation_cancel,
        name="reservation_cancel",
    ),
    path(
        M + "reservations/<int:reservation_id>/calendar.ics",
        calendar_views.reservation_ics,
        name="reservation_ics",
    ),
    path(M + "lottery/", lottery_views.lottery_list, name="lottery_list"),
    path(M + "lottery/<int:round_id>/", lottery_views.lottery_detail, name="lottery_detail"),
    path(M + "lottery/algorithm.py", lottery_views.lottery_algorithm, name="lottery_algorithm"),
    path(M + "lottery/<int:round_id>/apply/", lottery_views.lottery_apply, name="lottery_apply"),
    path(
        M + "lottery/<int:round_id>/published.json",
        lottery_views.lottery_published,
        name="lottery_published",
    ),
    path(
        M + "lottery/applications/", lottery_views.lottery_applications, name="lottery_applications"
    ),
    path(
        M + "lottery/applications/<int:application_id>/edit/",
        lottery_views.lottery_edit,
        name="lottery_edit",
    ),
    path(
        M + "lottery/applications/<int:application_id>/withdraw/",
        lottery_views.lottery_withdraw,
        name="lottery_withdraw",
    ),
    path(M + "lottery/results/", lottery_views.lottery_results, name="lottery_results"),
    path(
        M + "lottery/confirm/<int:reservation_id>/",
        lottery_views.lottery_confirm,
        name="lottery_confirm",
    ),
    path(M + "password-reset/", account_views.password_reset_request, name="password_reset"),
    path(
        M + "password-reset/<str:uid>/<str:token>/",
        account_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
]
