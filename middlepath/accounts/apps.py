from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "middlepath.accounts"
    label = "accounts"
    verbose_name = "Staff and roles"

    def ready(self) -> None:
        from middlepath.accounts.roles import sync_role_groups

        # Permissions exist only after every app has migrated, so the role groups are kept
        # in step with roles.py once migrate has finished (idempotent).
        post_migrate.connect(sync_role_groups, dispatch_uid="middlepath-sync-role-groups")
