from django.apps import AppConfig


class RosterConfig(AppConfig):
    name = "middlepath.roster"
    label = "roster"
    verbose_name = "Weekly roster and calendars"
