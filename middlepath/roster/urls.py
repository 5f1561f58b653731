from django.urls import path

from middlepath.roster import views

app_name = "roster"

urlpatterns = [
    path("patients/<int:patient_pk>/schedule/", views.patient_schedule, name="patient_schedule"),
    path("patients/<int:patient_pk>/schedule/calendar/", views.patient_feed, name="patient_feed"),
    path("account/schedule/", views.my_schedule, name="my_schedule"),
    path("account/schedule/calendar/", views.my_feed, name="my_feed"),
    path("calendar/<str:key>.ics", views.feed, name="feed"),
]
