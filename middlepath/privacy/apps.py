from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "middlepath.privacy"
    label = "privacy"
    verbose_name = "Privacy and audit"
