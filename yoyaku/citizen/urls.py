from django.urls import path

from yoyaku.citizen import views

app_name = "citizen"

urlpatterns = [
    path("<slug:municipality>/", views.top, name="top"),
    path("<slug:municipality>/guide/", views.guide, name="guide"),
    path("<slug:municipality>/facilities/", views.facility_list, name="facility_list"),
    path(
        "<slug:municipality>/facilities/<slug:facility>/",
        views.facility_detail,
        name="facility_detail",
    ),
    path(
        "<slug:municipality>/facilities/<slug:facility>/calendar/",
        views.facility_calendar,
        name="facility_calendar",
    ),
    path("<slug:municipality>/availability/", views.availability_day, name="availability_day"),
    path("<slug:municipality>/login/", views.registrant_login, name="login"),
    path("<slug:municipality>/logout/", views.registrant_logout, name="logout"),
    path("<slug:municipality>/mypage/", views.mypage, name="mypage"),
    path("<slug:municipality>/register/", views.register_info, name="register"),
]
