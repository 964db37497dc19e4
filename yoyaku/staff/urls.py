from django.urls import path

from yoyaku.staff import views

app_name = "staff"

urlpatterns = [
    path("login/", views.staff_login, name="login"),
    path("logout/", views.staff_logout, name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("notices/", views.notice_list, name="notice_list"),
    path("notices/new/", views.notice_create, name="notice_create"),
    path("notices/<int:notice_id>/", views.notice_edit, name="notice_edit"),
    path("notices/<int:notice_id>/withdraw/", views.notice_withdraw, name="notice_withdraw"),
    path("maintenance/", views.maintenance_list, name="maintenance_list"),
    path("maintenance/<int:window_id>/end/", views.maintenance_end, name="maintenance_end"),
]
