from django.apps import AppConfig


class SessionsConfig(AppConfig):
    name = "middlepath.sessions"
    # "sessions" is taken by django.contrib.sessions.
    label = "therapy"
    verbose_name = "Groups and sessions"
