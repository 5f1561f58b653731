from django.urls import path

from middlepath.sessions import views

app_name = "sessions"

urlpatterns = [
    path("groups/", views.group_list, name="group_list"),
    path("groups/new/", views.group_create, name="group_create"),
    path("groups/<id:pk>/", views.group_detail, name="group_detail"),
    path("groups/<id:pk>/edit/", views.group_edit, name="group_edit"),
    path("groups/<id:pk>/members/", views.group_add_member, name="group_add_member"),
    path(
        "groups/<id:pk>/members/<id:patient_pk>/remove/",
        views.group_remove_member,
        name="group_remove_member",
    ),
    path("groups/<id:pk>/guests/", views.group_add_guest, name="group_add_guest"),
    path("groups/<id:pk>/generate/", views.group_generate, name="group_generate"),
    path("schedule/", views.schedule, name="schedule"),
    path("sessions/<id:pk>/", views.session_detail, name="session_detail"),
    path(
        "sessions/<id:pk>/attendance/<id:patient_pk>/",
        views.attendance_row,
        name="attendance_row",
    ),
    path(
        "sessions/<id:pk>/attendance/all-present/",
        views.attendance_all_present,
        name="attendance_all_present",
    ),
    path("sessions/<id:pk>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<id:pk>/note/", views.note_edit, name="note"),
    path("homework/<id:pk>/review/", views.homework_review, name="homework_review"),
    path("notes/review/", views.review_queue, name="review_queue"),
    path("patients/<id:patient_pk>/visits/new/", views.visit_new, name="visit_new"),
    path("patients/<id:patient_pk>/hours/", views.chart_hours, name="chart_hours"),
    path("patients/<id:patient_pk>/care/", views.chart_care, name="chart_care"),
]
