"""Staff roles and what each may do.

Each role is a Django group named by the role's value; its permissions are declared here
once and synchronised after every `migrate`, so the table below is the whole access policy
for model-level actions. Which *patients* a user sees is decided by their locations
(see care/access.py).
"""

from __future__ import annotations

from typing import Any

from django.db import models

CLINIC_READ = [
    "clinic.view_location",
    "clinic.view_room",
    "clinic.view_program",
    "clinic.view_track",
    "clinic.view_phase",
    "clinic.view_grouptype",
    "clinic.view_curriculumtopic",
]
CLINIC_WRITE = [
    f"clinic.{action}_{model}"
    for action in ("add", "change")
    for model in ("location", "room", "program", "track", "phase", "grouptype", "curriculumtopic")
]
CHART_READ = ["care.view_patient", "care.view_episode"]
SCHEDULE_READ = [
    "therapy.view_therapygroup",
    "therapy.view_membership",
    "therapy.view_session",
    "therapy.view_schedule",
    "therapy.view_attendance",
]
GROUP_MANAGE = [
    "therapy.add_therapygroup",
    "therapy.change_therapygroup",
    "therapy.add_membership",
    "therapy.change_membership",
    "therapy.add_session",
    "therapy.change_session",
]
# Clinical documentation: attendance, notes, homework, and the hours they add up to.
CLINICAL_WRITE = [
    "therapy.add_attendance",
    "therapy.change_attendance",
    "therapy.view_note",
    "therapy.add_note",
    "therapy.change_note",
    "therapy.view_homework",
    "therapy.add_homework",
    "therapy.change_homework",
    "therapy.view_compliance",
]


class Role(models.TextChoices):
    INTAKE = "intake_coordinator", "Intake coordinator"
    COUNSELOR = "counselor", "Counselor / therapist"
    CASE_MANAGER = "case_manager", "Case manager"
    PHYSICIAN = "physician", "Physician"
    BILLING = "billing", "Billing"
    DIRECTOR = "program_director", "Program director"
    ADMIN = "administrator", "Administrator"


CLINICAL_ROLES = (Role.COUNSELOR, Role.CASE_MANAGER, Role.PHYSICIAN, Role.DIRECTOR)

# Roles whose members may open the Django admin for clinic set-up and staff accounts.
ADMIN_SITE_ROLES = (Role.DIRECTOR, Role.ADMIN)

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.INTAKE: [
        *CLINIC_READ,
        *CHART_READ,
        *SCHEDULE_READ,
        "therapy.add_membership",
        "care.add_patient",
        "care.change_patient",
        "care.add_episode",
        "intake.view_inquiry",
        "intake.add_inquiry",
        "intake.change_inquiry",
        "billing.view_coverage",
    ],
    Role.COUNSELOR: [
        *CLINIC_READ,
        *CHART_READ,
        *SCHEDULE_READ,
        *GROUP_MANAGE,
        *CLINICAL_WRITE,
        "therapy.cosign_note",
        "care.change_patient",
        "care.change_episode",
        "care.discharge_episode",
    ],
    Role.CASE_MANAGER: [
        *CLINIC_READ,
        *CHART_READ,
        *SCHEDULE_READ,
        *CLINICAL_WRITE,
        "therapy.add_session",
        "care.change_patient",
    ],
    Role.PHYSICIAN: [
        *CLINIC_READ,
        *CHART_READ,
        *SCHEDULE_READ,
        *CLINICAL_WRITE,
        "therapy.add_session",
        "care.change_episode",
        "care.discharge_episode",
    ],
    # Billing sees who attended what (for charges) but not the notes' clinical content.
    Role.BILLING: [
        *CLINIC_READ,
        *CHART_READ,
        *SCHEDULE_READ,
        "therapy.view_compliance",
        "billing.view_coverage",
    ],
    Role.DIRECTOR: [
        *CLINIC_READ,
        *CLINIC_WRITE,
        *CHART_READ,
        *SCHEDULE_READ,
        "billing.view_coverage",
        *GROUP_MANAGE,
        *CLINICAL_WRITE,
        "therapy.cosign_note",
        "roster.build_roster",
        "care.add_patient",
        "care.change_patient",
        "care.add_episode",
        "care.change_episode",
        "care.discharge_episode",
        "privacy.view_auditevent",
        "accounts.view_user",
        "intake.view_inquiry",
        "intake.add_inquiry",
        "intake.change_inquiry",
        "intake.override_pipeline",
    ],
    Role.ADMIN: [
        *CLINIC_READ,
        *CLINIC_WRITE,
        *CHART_READ,
        *SCHEDULE_READ,
        "billing.view_coverage",
        "therapy.add_therapygroup",
        "therapy.change_therapygroup",
        "care.add_patient",
        "care.change_patient",
        "privacy.view_auditevent",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "auth.view_group",
        "intake.view_inquiry",
    ],
}


def sync_role_groups(**kwargs: Any) -> None:
    """Create each role's group and set its permissions to exactly those listed above."""
    from django.contrib.auth.models import Group, Permission

    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    by_name: dict[str, Permission] = {}
    for permission in Permission.objects.select_related("content_type"):
        name = f"{permission.content_type.app_label}.{permission.codename}"
        if name in wanted:
            by_name[name] = permission
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        # Apps migrate one after another; a permission of an app not migrated yet is picked
        # up by the post_migrate call that follows it.
        group.permissions.set([by_name[perm] for perm in perms if perm in by_name])
