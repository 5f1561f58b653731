from django.urls import path

from middlepath.sessions import views

app_name = "sessions"

urlpatterns = [
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
    path("groups/<int:pk>/edit/", views.group_edit, name="group_edit"),
    path("groups/<int:pk>/members/", views.group_add_member, name="group_add_member"),
    path(
        "groups/<int:pk>/members/<int:patient_pk>/remove/",
        views.group_remove_member,
        name="group_remove_member",
    ),
    path("groups/<int:pk>/guests/", views.group_add_guest, name="group_add_guest"),
    path("groups/<int:pk>/generate/", views.group_generate, name="group_generate"),
    path("schedule/", views.schedule, name="schedule"),
    path("sessions/<int:pk>/", views.session_detail, name="session_detail"),
    path(
        "sessions/<int:pk>/attendance/<int:patient_pk>/",
        views.attendance_row,
        name="attendance_row",
    ),
    path(
        "sessions/<int:pk>/attendance/all-present/",
        views.attendance_all_present,
        name="attendance_all_present",
    ),
    path("sessions/<int:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/note/", views.note_edit, name="note"),
    path("homework/<int:pk>/review/", views.homework_review, name="homework_review"),
    path("notes/review/", views.review_queue, name="review_queue"),
    path("patients/<int:patient_pk>/visits/new/", views.visit_new, name="visit_new"),
    path("patients/<int:patient_pk>/hours/", views.chart_hours, name="chart_hours"),
    path("patients/<int:patient_pk>/care/", views.chart_care, name="chart_care"),
]
