from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from middlepath.accounts.roles import ROLE_PERMISSIONS, Role
from tests import factories


@pytest.mark.django_db
class TestRoleGroups:
    def test_every_role_is_a_group(self):
        assert set(Group.objects.values_list("name", flat=True)) >= {role.value for role in Role}

    def test_every_listed_permission_exists(self):
        existing = {
            f"{app}.{codename}"
            for app, codename in Permission.objects.values_list(
                "content_type__app_label", "codename"
            )
        }
        listed = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
        assert listed - existing == set()

    def test_groups_hold_exactly_the_listed_permissions(self):
        for role, perms in ROLE_PERMISSIONS.items():
            group = Group.objects.get(name=role.value)
            held = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
            assert held == set(perms), role

    @pytest.mark.parametrize(
        ("role", "perm", "allowed"),
        [
            (Role.BILLING, "care.change_episode", False),
            (Role.BILLING, "care.view_patient", True),
            (Role.INTAKE, "privacy.view_auditevent", False),
            (Role.COUNSELOR, "care.discharge_episode", True),
            (Role.CASE_MANAGER, "care.change_episode", False),
            (Role.DIRECTOR, "privacy.view_auditevent", True),
            (Role.ADMIN, "care.change_episode", False),
        ],
    )
    def test_least_privilege(self, clinic, role, perm, allowed):
        user = factories.make_staff(role, clinic.location)
        assert user.has_perm(perm) is allowed

    def test_directors_and_admins_may_open_set_up(self, clinic):
        assert factories.make_staff(Role.DIRECTOR, clinic.location).is_staff
        assert factories.make_staff(Role.ADMIN, clinic.location).is_staff
        assert not factories.make_staff(Role.COUNSELOR, clinic.location).is_staff

    def test_has_role(self, clinic):
        user = factories.make_staff(Role.PHYSICIAN, clinic.location)
        assert user.has_role(Role.PHYSICIAN)
        assert not user.has_role(Role.COUNSELOR, Role.BILLING)
        assert user.roles() == [Role.PHYSICIAN]
