"""Changes to staff accounts and API tokens, each atomic and audited where it matters."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from middlepath.accounts.models import ApiToken, User
from middlepath.accounts.roles import ADMIN_SITE_ROLES, Role
from middlepath.clinic.models import Location
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction

MAX_ACTIVE_TOKENS = 10


@transaction.atomic
def create_staff_user(
    *,
    username: str,
    roles: Iterable[Role],
    locations: Iterable[Location],
    password: str | None = None,
    password_hash: str | None = None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    credentials: str = "",
    is_licensed: bool = False,
    supervisor: User | None = None,
) -> User:
    """A member of staff with roles (groups) and sites. Directors and admins get the admin site.

    `password_hash` lets the demo give many accounts one precomputed hash.
    """
    roles = list(roles)
    user = User(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        credentials=credentials,
        is_licensed=is_licensed,
        supervisor=supervisor,
        is_staff=any(role in ADMIN_SITE_ROLES for role in roles),
    )
    if password_hash:
        user.password = password_hash
    elif password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name__in=[role.value for role in roles]))
    user.locations.set(locations)
    return user


@transaction.atomic
def create_api_token(*, by: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `by`; the secret is returned once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name that says what it is for."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name under 80 characters."})
    if ApiToken.objects.filter(user=by).active().count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"You already have {MAX_ACTIVE_TOKENS} active tokens; revoke one first."
        )
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=by, name=name, prefix=key[: ApiToken.PREFIX_LENGTH], key_hash=ApiToken.hash_key(key)
    )
    audit.record(
        actor=by, action=AuditAction.API_TOKEN_CREATE, obj=token, data={"token_id": token.pk}
    )
    return token, key


@transaction.atomic
def revoke_api_token(*, token: ApiToken, by: User) -> None:
    if token.revoked_at is not None:
        return
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        actor=by, action=AuditAction.API_TOKEN_REVOKE, obj=token, data={"token_id": token.pk}
    )


def user_for_api_key(key: str) -> User | None:
    """The active user owning the active token `key`, or None; marks the token used."""
    if not key or len(key) > 200:
        return None
    token = (
        ApiToken.objects.active()
        .select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Recording every use would write on every request; a minute's precision is plenty.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
