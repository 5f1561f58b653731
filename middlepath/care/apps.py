from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "middlepath.care"
    label = "care"
    verbose_name = "Patients and care"
