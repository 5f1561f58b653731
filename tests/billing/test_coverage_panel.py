from __future__ import annotations

import pytest
from django.urls import reverse

from middlepath.accounts.roles import Role
from middlepath.billing.models import Coverage
from middlepath.privacy.models import AuditAction, AuditEvent
from tests import factories


@pytest.fixture
def covered(clinic):
    patient = factories.enrolled_patient(clinic.evening, clinic.phases[0])
    Coverage.objects.create(
        patient=patient,
        payer_type="commercial",
        payer_name="Northwind Health",
        member_id="NW123",
        in_network=True,
    )
    return patient


@pytest.mark.django_db
class TestCoveragePanel:
    @pytest.mark.parametrize("persona", ["biller", "intake", "director", "admin"])
    def test_billing_and_intake_see_it(self, login, staff, covered, persona):
        response = login(getattr(staff, persona)).get(
            reverse("billing:chart_coverage", args=[covered.pk]), headers={"HX-Request": "true"}
        )
        assert b"Northwind Health" in response.content
        assert AuditEvent.objects.filter(
            action=AuditAction.COVERAGE_VIEW, patient_id=covered.pk
        ).exists()

    @pytest.mark.parametrize("persona", ["counselor", "physician", "no_role"])
    def test_clinical_roles_do_not_need_it(self, login, staff, covered, persona):
        assert (
            login(getattr(staff, persona))
            .get(reverse("billing:chart_coverage", args=[covered.pk]))
            .status_code
            == 403
        )

    def test_other_sites_are_not_found(self, login, staff, clinic):
        far = factories.enrolled_patient(clinic.other_track, clinic.phases[0])
        biller_here = factories.make_staff(Role.BILLING, clinic.location)
        assert (
            login(biller_here).get(reverse("billing:chart_coverage", args=[far.pk])).status_code
            == 404
        )
