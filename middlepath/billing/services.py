"""Changes to coverage: atomic and audited (the values themselves are never audited)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from middlepath.accounts.models import User
from middlepath.billing.models import Coverage
from middlepath.care.models import Patient
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction


@transaction.atomic
def add_coverage(
    *,
    patient: Patient,
    by: User | None,
    payer_type: str,
    payer_name: str,
    member_id: str,
    plan_type: str = "",
    in_network: bool | None = None,
    effective_from: dt.date | None = None,
    effective_to: dt.date | None = None,
) -> Coverage:
    """Record a plan for the patient; the same payer and member id already on file is kept.

    A readmitted patient usually brings the plan they had: that is not a second coverage.
    """
    payer_name, member_id = payer_name.strip(), member_id.strip()
    existing = Coverage.objects.filter(
        patient=patient, payer_name__iexact=payer_name, member_id=member_id
    ).first()
    if existing is not None:
        return existing
    coverage = Coverage(
        patient=patient,
        payer_type=payer_type,
        payer_name=payer_name,
        member_id=member_id,
        plan_type=plan_type,
        in_network=in_network,
        effective_from=effective_from,
        effective_to=effective_to,
        created_by=by,
    )
    coverage.full_clean()
    coverage.save()
    audit.record(
        actor=by, action=AuditAction.COVERAGE_CREATE, obj=coverage, data={"payer_type": payer_type}
    )
    return coverage
