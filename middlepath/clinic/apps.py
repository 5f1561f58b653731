from django.apps import AppConfig


class ClinicConfig(AppConfig):
    name = "middlepath.clinic"
    label = "clinic"
    verbose_name = "Clinic set-up"
