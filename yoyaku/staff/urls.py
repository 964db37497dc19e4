from django.urls import path

from yoyaku.staff import account_views as acc
from yoyaku.staff import api_token_views as tokens
from yoyaku.staff import (
    audit_views,
    bundle_views,
    recalc_views,
    report_views,
    security_views,
    signal_views,
    terms_views,
    views,
)
from yoyaku.staff import closure_views as closing
from yoyaku.staff import daily_views as daily
from yoyaku.staff import lottery_views as lot
from yoyaku.staff import municipality_views as muni
from yoyaku.staff import passkey_views as passkeys
from yoyaku.staff import payment_views as pay
from yoyaku.staff import registration_views as reg
from yoyaku.staff import reservation_views as rsv
from yoyaku.staff import setup_views as setup

app_name = "staff"

urlpatterns = [
    path("login/", views.staff_login, name="login"),
    path("login/otp/", views.staff_login_otp, name="login_otp"),
    path("login/otp/setup/", views.staff_login_otp_setup, name="login_otp_setup"),
    path("login/passkey/options/", passkeys.login_passkey_options, name="login_passkey_options"),
    path("login/passkey/", passkeys.login_passkey, name="login_passkey"),
    path("logout/", views.staff_logout, name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_create, name="notice_create"),
    path("notices/<int:notice_id>/", views.notice_edit, name="notice_edit"),
    path("notices/<int:notice_id>/withdraw/", views.notice_withdraw, name="notice_withdraw"),
    path("maintenance/", views.maintenance_list, name="maintenance_list"),
    path("maintenance/<int:window_id>/end/", views.maintenance_end, name="maintenance_end"),
    path("security/", security_views.security_overview, name="security"),
    path("terms/", terms_views.terms_manage, name="terms"),
    path("registrations/", reg.registration_list, name="registration_list"),
    path("registrations/new/", reg.registration_counter, name="registration_counter"),
    # Multiple accounts and shared IDs (多重登録・ID共用の疑い).
    path("registrations/signals/", signal_views.signal_list, name="signal_list"),
    path("registrations/signals/act/", signal_views.signal_act, name="signal_act"),
    path("registrations/<int:registrant_id>/", reg.registration_detail, name="registration_detail"),
    path(
        "registrations/<int:registrant_id>/decide/",
        reg.registration_decide,
        name="registration_decide",
    ),
    path(
        "registrations/<int:registrant_id>/proof/",
        reg.registration_proof,
        name="registration_proof",
    ),
    path(
        "registrations/<int:registrant_id>/card/", reg.registration_card, name="registration_card"
    ),
    path("changes/", reg.change_list, name="change_list"),
    path("changes/<int:change_id>/decide/", reg.change_decide, name="change_decide"),
    # Reservations: approval queue, list, 代理申請, detail and its actions, 使用許可書.
    path("reservations/", rsv.reservation_list, name="reservation_list"),
    path("reservations/queue/", rsv.reservation_queue, name="reservation_queue"),
    path("reservations/new/", rsv.reservation_proxy, name="reservation_proxy"),
    # 優先予約 (seasonal series for groups) and bundles.
    path("series/allocate/", bundle_views.series_allocate, name="series_allocate"),
    path("bundles/<int:bundle_id>/", bundle_views.bundle_detail, name="bundle_detail"),
    path("bundles/<int:bundle_id>/cancel/", bundle_views.bundle_cancel, name="bundle_cancel"),
    path("reservations/<int:reservation_id>/", rsv.reservation_detail, name="reservation_detail"),
    path("reservations/<int:reservation_id>/act/", rsv.reservation_act, name="reservation_act"),
    path(
        "reservations/<int:reservation_id>/recalculate/",
        recalc_views.reservation_recalculate,
        name="reservation_recalculate",
    ),
    path(
        "reservations/<int:reservation_id>/permit/",
        rsv.reservation_permit,
        name="reservation_permit",
    ),
    path(
        "reservations/<int:reservation_id>/penalties/<int:penalty_id>/waive/",
        rsv.penalty_waive,
        name="penalty_waive",
    ),
    # Money: payments received (and CSV), unpaid, refunds, reconciliation (scoped).
    path("payments/", pay.payment_report, name="payment_report"),
    path("payments/payments.csv", pay.payment_report_csv, name="payment_report_csv"),
    path("payments/unpaid/", pay.payment_unpaid, name="payment_unpaid"),
    path("payments/refunds/", pay.refund_list, name="refund_list"),
    path("payments/refunds/<int:refund_id>/counter/", pay.refund_counter, name="refund_counter"),
    path("payments/refunds/<int:refund_id>/resend/", pay.refund_resend, name="refund_resend"),
    path("payments/reconcile/", pay.payment_reconcile, name="payment_reconcile"),
    # 利用停止 (unit blocks).
    path("blocks/", rsv.block_list, name="block_list"),
    path("blocks/<int:block_id>/remove/", rsv.block_remove, name="block_remove"),
    path("reductions/", reg.reduction_list, name="reduction_list"),
    path("reductions/<int:grant_id>/proof/", reg.reduction_proof, name="reduction_proof"),
    # Lottery rounds (抽選) and rounds on a schedule (定期抽選): municipality admins only.
    path("lottery/", lot.lottery_list, name="lottery_list"),
    path("lottery/new/", lot.lottery_create, name="lottery_create"),
    path("lottery/schedules/", lot.schedule_list, name="lottery_schedules"),
    path(
        "lottery/schedules/<int:schedule_id>/active/",
        lot.schedule_active,
        name="lottery_schedule_active",
    ),
    path("lottery/<int:round_id>/", lot.lottery_detail, name="lottery_detail"),
    path("lottery/<int:round_id>/draw/", lot.lottery_draw, name="lottery_draw"),
    path(
        "lottery/<int:round_id>/public-source/",
        lot.lottery_public_source,
        name="lottery_public_source",
    ),
    path(
        "lottery/<int:round_id>/public-value/",
        lot.lottery_public_value,
        name="lottery_public_value",
    ),
    path(
        "lottery/<int:round_id>/applications/",
        lot.lottery_applications,
        name="lottery_applications",
    ),
    # Setup (施設の設定): facilities, units, fee tables, closures; schedules and 減免 categories.
    path("setup/", setup.setup_home, name="setup"),
    path("setup/facilities/new/", setup.facility_create, name="setup_facility_create"),
    path("setup/facilities/<int:facility_id>/", setup.facility_detail, name="setup_facility"),
    path(
        "setup/facilities/<int:facility_id>/units/new/",
        setup.unit_create,
        name="setup_unit_create",
    ),
    path(
        "setup/facilities/<int:facility_id>/closures/",
        setup.closure_add,
        name="setup_closure_add",
    ),
    path(
        "setup/closures/<int:closure_id>/remove/",
        setup.closure_remove,
        name="setup_closure_remove",
    ),
    path("setup/units/<int:unit_id>/", setup.unit_edit, name="setup_unit"),
    path("setup/units/<int:unit_id>/fees/", setup.fee_table, name="setup_fees"),
    path("setup/schedules/", setup.schedule_list, name="setup_schedules"),
    path("setup/reductions/", setup.reduction_categories, name="setup_reductions"),
    path(
        "setup/reductions/<int:category_id>/",
        setup.reduction_category_edit,
        name="setup_reduction",
    ),
    # Staff accounts, roles and facility assignments: municipality admins only.
    path("accounts/", acc.account_list, name="account_list"),
    # One's own API tokens (the staff API).
    path("api-tokens/", tokens.api_token_list, name="api_token_list"),
    path("api-tokens/<int:token_id>/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
    path("accounts/new/", acc.account_create, name="account_create"),
    path("accounts/<int:user_id>/", acc.account_detail, name="account_detail"),
    path("accounts/<int:user_id>/active/", acc.account_active, name="account_active"),
    path("accounts/<int:user_id>/password/", acc.account_password, name="account_password"),
    path("accounts/<int:user_id>/totp/", acc.account_totp_reset, name="account_totp_reset"),
    path(
        "accounts/<int:user_id>/passkeys/",
        acc.account_passkeys_reset,
        name="account_passkeys_reset",
    ),
    # One's own passkeys (the second factor instead of the authenticator app's code).
    path("passkeys/", passkeys.passkey_list, name="passkeys"),
    path("passkeys/options/", passkeys.passkey_register_options, name="passkey_register_options"),
    path("passkeys/add/", passkeys.passkey_register, name="passkey_register"),
    path("passkeys/<int:passkey_id>/delete/", passkeys.passkey_delete, name="passkey_delete"),
    # Reports (集計・統計) and the audit log search (監査ログ).
    path("reports/", report_views.report_index, name="report_index"),
    path("reports/<slug:kind>/", report_views.report_show, name="report_show"),
    path("audit/", audit_views.audit_search, name="audit_search"),
    # Daily work: the day sheet (使用予定表) with check-in and no-show, and bulk closures.
    path("day-sheet/", daily.day_sheet_today, name="day_sheet_today"),
    path("day-sheet/<int:facility_id>/", daily.day_sheet, name="day_sheet"),
    path("day-sheet/<int:facility_id>/mark/", daily.day_sheet_mark, name="day_sheet_mark"),
    path("waitlist/<int:unit_id>/<str:day>/", daily.waitlist, name="waitlist"),
    path("closures/new/", closing.closure_new, name="closure_new"),
    path("closures/<int:job_id>/", closing.closure_detail, name="closure_detail"),
    # The municipality's settings (自治体の設定): policies, permit and card layouts; admins.
    path("municipality/", muni.municipality_policies, name="municipality_policies"),
    path("municipality/documents/", muni.municipality_documents, name="municipality_documents"),
    path("municipality/documents/seal/", muni.municipality_seal, name="municipality_seal"),
]
