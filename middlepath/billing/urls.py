from django.urls import path

from middlepath.billing import views

app_name = "billing"

urlpatterns = [
    path("patients/<id:patient_pk>/coverage/", views.chart_coverage, name="chart_coverage"),
]
