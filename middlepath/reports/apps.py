from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "middlepath.reports"
    label = "reports"
    verbose_name = "Reports"
