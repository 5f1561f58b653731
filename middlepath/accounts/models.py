from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone

from middlepath.accounts.roles import Role
from middlepath.clinic.models import Location


class UserQuerySet(models.QuerySet):
    def with_role(self, role: Role) -> UserQuerySet:
        return self.filter(groups__name=role.value, is_active=True)

    def at(self, location) -> UserQuerySet:
        return self.filter(locations=location)


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A member of staff. Roles are Django groups (see roles.py); sites are `locations`."""

    locations = models.ManyToManyField(
        "clinic.Location",
        blank=True,
        related_name="staff",
        help_text="The sites this person works at; they see only those sites' patients.",
    )
    credentials = models.CharField(
        max_length=80, blank=True, help_text="Licence or certification, e.g. LCSW, CADC-II, MD."
    )
    is_licensed = models.BooleanField(
        default=False, help_text="Licensed to practise independently (notes need no co-signature)."
    )
    facilitates = models.ManyToManyField(
        "clinic.GroupType",
        blank=True,
        related_name="facilitators",
        help_text="The kinds of group this person may lead (used by the weekly roster).",
    )
    max_sessions_per_week = models.PositiveSmallIntegerField(
        default=10, help_text="The most group sessions the roster gives them in a week."
    )
    supervisor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervisees",
        help_text="Co-signs the notes of a trainee or unlicensed counselor.",
    )

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.get_full_name()
        if name and self.credentials:
            return f"{name}, {self.credentials}"
        return name or self.username

    def roles(self) -> list[Role]:
        names = {group.name for group in self.groups.all()}
        return [role for role in Role if role.value in names]

    def has_role(self, *roles: Role) -> bool:
        wanted = {role.value for role in roles}
        return any(group.name in wanted for group in self.groups.all())

    def sites(self) -> list[Location]:
        """The active locations this user works at, by name."""
        return list(
            Location.objects.filter(pk__in=self.location_ids(), is_active=True).order_by("name")
        )

    def site(self, wanted: object, sites: list[Location] | None = None) -> Location | None:
        """The site with id `wanted` among the user's sites, else their first (or None)."""
        sites = self.sites() if sites is None else sites
        chosen = next((site for site in sites if str(site.pk) == str(wanted)), None)
        return chosen or (sites[0] if sites else None)

    def location_ids(self) -> set[int]:
        """The sites whose patients this user may see (every site for a superuser).

        Kept on the instance, like Django's permission cache: one query per request.
        """
        if not hasattr(self, "_location_ids"):
            sites = Location.objects.all() if self.is_superuser else self.locations.all()
            self._location_ids = set(sites.values_list("pk", flat=True))
        return set(self._location_ids)


class ApiTokenQuerySet(models.QuerySet):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A revocable bearer token for the REST API. Only a hash of the secret is stored."""

    PREFIX_LENGTH = 8

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=80, help_text="What the token is for, e.g. 'reporting script'."
    )
    prefix = models.CharField(
        max_length=PREFIX_LENGTH, help_text="First characters, to recognise it."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        # The key is 256 random bits, so a fast unsalted hash is enough to keep a stolen
        # table from being used, and lets a request find its token by one indexed lookup.
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "mp_" + secrets.token_urlsafe(32)

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
