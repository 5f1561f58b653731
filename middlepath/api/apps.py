from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "middlepath.api"
    label = "api"
    verbose_name = "REST API"
