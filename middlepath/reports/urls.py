from django.urls import path

from middlepath.reports import views

app_name = "reports"

urlpatterns = [
    path("audit/", views.audit_report, name="audit"),
    path("compliance/", views.compliance_report, name="compliance"),
]
