from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "middlepath.demo"
    label = "demo"
    verbose_name = "Demo clinic"
