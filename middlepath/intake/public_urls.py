"""The public pages, without a namespace: the home page links to {% url 'consultation' %}."""

from django.urls import path

from middlepath.intake import views

urlpatterns = [
    path("", views.consultation, name="consultation"),
    path("thanks/", views.consultation_thanks, name="consultation_thanks"),
]
