from django.apps import AppConfig
from django.urls import register_converter


class WebConfig(AppConfig):
    name = "middlepath.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        from middlepath.web.converters import IdConverter

        # Every app's urls name record ids <id:pk>; registered before any urls load.
        register_converter(IdConverter, "id")
