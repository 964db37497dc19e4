from django.urls import path

from yoyaku.staff import registration_views as reg
from yoyaku.staff import security_views, views

app_name = "staff"

urlpatterns = [
    path("login/", views.staff_login, name="login"),
    path("login/otp/", views.staff_login_otp, name="login_otp"),
    path("login/otp/setup/", views.staff_login_otp_setup, name="login_otp_setup"),
    path("logout/", views.staff_logout, name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_create, name="notice_create"),
    path("notices/<int:notice_id>/", views.notice_edit, name="notice_edit"),
    path("notices/<int:notice_id>/withdraw/", views.notice_withdraw, name="notice_withdraw"),
    path("maintenance/", views.maintenance_list, name="maintenance_list"),
    path("maintenance/<int:window_id>/end/", views.maintenance_end, name="maintenance_end"),
    path("security/", security_views.security_overview, name="security"),
    path("registrations/", reg.registration_list, name="registration_list"),
    path("registrations/new/", reg.registration_counter, name="registration_counter"),
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
]
