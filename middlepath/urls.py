from django.contrib import admin
from django.urls import include, path

from middlepath.accounts.views import SignInView, SignOutView
from middlepath.api.api import api
from middlepath.web import views as web_views

admin.site.site_header = "Middlepath set-up"
admin.site.site_title = "Middlepath set-up"
admin.site.index_title = "Clinic set-up and staff"

urlpatterns = [
    path("", web_views.home, name="home"),
    path("dashboard/", web_views.dashboard, name="dashboard"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", SignOutView.as_view(), name="logout"),
    path("account/", include("middlepath.accounts.urls")),
    path("", include("middlepath.care.urls")),
    path("", include("middlepath.sessions.urls")),
    path("", include("middlepath.roster.urls")),
    path("", include("middlepath.billing.urls")),
    path("consultation/", include("middlepath.intake.public_urls")),
    path("intake/", include("middlepath.intake.urls")),
    path("reports/", include("middlepath.reports.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
