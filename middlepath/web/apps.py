from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "middlepath.web"
    label = "web"
    verbose_name = "Web"
