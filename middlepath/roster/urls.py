from django.urls import path

from middlepath.roster import views

app_name = "roster"

urlpatterns = [
    path("patients/<int:patient_pk>/schedule/", views.patient_schedule, name="patient_schedule"),
    path("patients/<int:patient_pk>/schedule/calendar/", views.patient_feed, name="patient_feed"),
    path("account/schedule/", views.my_schedule, name="my_schedule"),
    path("account/schedule/calendar/", views.my_feed, name="my_feed"),
    path("calendar/<str:key>.ics", views.feed, name="feed"),
    path("roster/", views.roster, name="roster"),
    path("roster/build/", views.roster_build, name="build"),
    path("roster/runs/<int:pk>/progress/", views.roster_progress, name="progress"),
    path("roster/runs/<int:pk>/move/", views.roster_move, name="move"),
    path("roster/runs/<int:pk>/apply/", views.roster_apply, name="apply"),
    path(
        "roster/plans/<int:pk>/patients/", views.availability_patient, name="availability_patient"
    ),
    path("roster/plans/<int:pk>/staff/", views.availability_staff, name="availability_staff"),
    path("roster/plans/<int:pk>/rooms/", views.availability_rooms, name="availability_rooms"),
]
