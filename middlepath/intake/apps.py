from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "middlepath.intake"
    label = "intake"
    verbose_name = "Intake"
