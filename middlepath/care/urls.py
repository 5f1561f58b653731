from django.urls import path

from middlepath.care import views

app_name = "care"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<id:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<id:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<id:pk>/admit/", views.episode_open, name="episode_open"),
    path("episodes/<id:pk>/change/", views.episode_change, name="episode_change"),
    path("episodes/<id:pk>/discharge/", views.episode_discharge, name="episode_discharge"),
]
