from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from middlepath.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "first_name", "last_name", "credentials", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "groups", "locations")
    filter_horizontal = ("groups", "user_permissions", "locations", "facilitates")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            "Clinical",
            {
                "fields": (
                    "locations",
                    "credentials",
                    "is_licensed",
                    "supervisor",
                    "facilitates",
                    "max_sessions_per_week",
                )
            },
        ),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    readonly_fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at")
    fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")

    def has_add_permission(
        self, request
    ):  # tokens are made by their owner, with the secret shown once
        return False
