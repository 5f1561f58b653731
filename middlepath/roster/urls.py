from django.urls import path

from middlepath.roster import views

app_name = "roster"

urlpatterns = [
    path("patients/<id:patient_pk>/schedule/", views.patient_schedule, name="patient_schedule"),
    path("patients/<id:patient_pk>/schedule/calendar/", views.patient_feed, name="patient_feed"),
    path("account/schedule/", views.my_schedule, name="my_schedule"),
    path("account/schedule/calendar/", views.my_feed, name="my_feed"),
    path("calendar/<str:key>.ics", views.feed, name="feed"),
    path("roster/", views.roster, name="roster"),
    path("roster/build/", views.roster_build, name="build"),
    path("roster/runs/<id:pk>/progress/", views.roster_progress, name="progress"),
    path("roster/runs/<id:pk>/members/", views.roster_members, name="members"),
    path("roster/runs/<id:pk>/move/", views.roster_move, name="move"),
    path("roster/runs/<id:pk>/seat/", views.roster_seat, name="seat"),
    path("roster/runs/<id:pk>/apply/", views.roster_apply, name="apply"),
    path("roster/plans/<id:pk>/patients/", views.availability_patient, name="availability_patient"),
    path("roster/plans/<id:pk>/patients/find/", views.availability_find, name="availability_find"),
    path("roster/plans/<id:pk>/staff/", views.availability_staff, name="availability_staff"),
    path("roster/plans/<id:pk>/rooms/", views.availability_rooms, name="availability_rooms"),
]
