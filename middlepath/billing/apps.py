from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "middlepath.billing"
    label = "billing"
    verbose_name = "Billing"
