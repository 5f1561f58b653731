"""The inquiries API: the same rules as the pages, for staff only."""

from __future__ import annotations

import json

import pytest

from middlepath.accounts.services import create_api_token
from middlepath.billing.models import Coverage
from middlepath.care.models import Patient
from middlepath.intake.models import Inquiry, InquiryStatus
from middlepath.privacy.models import AuditAction, AuditEvent
from tests.intake.conftest import SCREENING_IOP, contacted, screened, submit, verified

S = InquiryStatus
SCREENING = {**SCREENING_IOP}
BENEFITS = {
    "payment": "insurance",
    "payer_type": "commercial",
    "payer_name": "Acme Health",
    "member_id": "XJ123456",
    "plan_type": "ppo",
    "in_network": True,
    "iop_covered": True,
    "deductible": "1000.00",
    "deductible_met": "250.00",
    "coinsurance_percent": "20",
    "day_rate": "250.00",
}


@pytest.fixture
def api(client):
    """api(user) -> call(method, path, body=None, **params) with that user's bearer token."""

    def for_user(user):
        _, key = create_api_token(by=user, name="tests")

        def call(method: str, path: str, body=None, **params):
            kwargs = {"headers": {"Authorization": f"Bearer {key}"}}
            if body is not None:
                kwargs.update(data=json.dumps(body), content_type="application/json")
            elif params:
                kwargs["data"] = params
            return getattr(client, method)(f"/api/v1{path}", **kwargs)

        return call

    return for_user


@pytest.mark.django_db
class TestAccess:
    def test_nothing_without_credentials_not_even_posting(self, client, clinic):
        assert client.get("/api/v1/inquiries").status_code == 401
        response = client.post(
            "/api/v1/inquiries",
            json.dumps({"first_name": "Spam", "phone": "555 010 1111"}),
            content_type="application/json",
        )
        assert response.status_code == 401
        assert not Inquiry.objects.exists()

    @pytest.mark.parametrize("persona", ["counselor", "biller", "no_role"])
    def test_roles_without_the_queue_are_refused(self, api, staff, inquiry, persona):
        call = api(getattr(staff, persona))
        assert call("get", "/inquiries").status_code == 403
        assert call("get", f"/inquiries/{inquiry.pk}").status_code == 403

    def test_another_locations_inquiry_is_not_found(self, api, staff, clinic):
        elsewhere = submit(clinic.other_location)
        assert api(staff.intake)("get", f"/inquiries/{elsewhere.pk}").status_code == 404

    def test_an_admin_reads_but_cannot_change(self, api, staff, inquiry):
        call = api(staff.admin)
        assert call("get", f"/inquiries/{inquiry.pk}").status_code == 200
        response = call(
            "post", f"/inquiries/{inquiry.pk}/contacts", {"method": "call", "outcome": "reached"}
        )
        assert response.status_code == 403


@pytest.mark.django_db
class TestInquiries:
    def test_list_filters_and_audits(self, api, staff, clinic):
        submit(clinic.location, first_name="Here")
        contacted(submit(clinic.location, first_name="Reached"), staff.intake)
        call = api(staff.intake)
        body = call("get", "/inquiries").json()
        assert [item["first_name"] for item in body["items"]] == ["Here", "Reached"]
        body = call("get", "/inquiries", status="contacted").json()
        assert [item["first_name"] for item in body["items"]] == ["Reached"]
        assert body["items"][0]["contact_count"] == 1
        assert call("get", "/inquiries", status="nonsense").status_code == 400
        assert AuditEvent.objects.filter(action=AuditAction.INQUIRY_LIST).count() == 2

    def test_staff_record_a_phone_inquiry(self, api, staff, clinic):
        response = api(staff.intake)(
            "post",
            "/inquiries",
            {"first_name": "李", "phone": "555 010 1212", "location_id": clinic.location.pk},
        )
        assert response.status_code == 201
        body = response.json()
        assert (body["first_name"], body["status"], body["source"]) == ("李", "new", "staff")
        assert body["next_statuses"] == ["contacted", "closed"]

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            ({"first_name": "<b>x</b>", "phone": "555 010 1212"}, "first_name"),
            ({"first_name": "Ana", "phone": "nope"}, "phone"),
            ({"first_name": "Ana", "email": "ana@"}, "email"),
            ({"first_name": "Ana"}, "__all__"),
            ({"first_name": "Ana", "phone": "555 010 1212", "insurance": "gold"}, "insurance"),
        ],
    )
    def test_bad_input_is_a_400_with_the_field(self, api, staff, clinic, body, field):
        response = api(staff.intake)("post", "/inquiries", body)
        assert response.status_code == 400
        assert field in response.json().get("errors", {})

    def test_oversized_input_is_a_clear_422(self, api, staff):
        response = api(staff.intake)(
            "post", "/inquiries", {"first_name": "x" * 10_000, "phone": "555 010 1212"}
        )
        assert response.status_code == 422
        assert "at most 100 characters" in response.json()["detail"][0]["msg"]
        assert not Inquiry.objects.exists()

    def test_a_location_one_does_not_work_at_is_refused(self, api, staff, clinic):
        response = api(staff.intake)(
            "post",
            "/inquiries",
            {"first_name": "Ana", "phone": "555 010 1212", "location_id": clinic.other_location.pk},
        )
        assert response.status_code == 400
        assert "location_id" in response.json()["errors"]

    def test_get_shows_everything_and_audits(self, api, staff, inquiry):
        verified(inquiry, staff.intake)
        body = api(staff.intake)("get", f"/inquiries/{inquiry.pk}").json()
        assert body["status"] == "benefits_verified"
        assert [c["outcome"] for c in body["contacts"]] == ["reached"]
        assert [c["to_status"] for c in body["status_changes"]] == [
            "new",
            "contacted",
            "screened",
            "benefits_verified",
        ]
        assert body["screening"]["recommended_level"] == "iop"
        assert body["benefits"]["estimate"]["patient_pays"] == "1800.00"
        assert AuditEvent.objects.filter(
            action=AuditAction.INQUIRY_VIEW, object_id=str(inquiry.pk)
        ).exists()

    def test_patch_corrects_assigns_and_closes_together(self, api, staff, inquiry):
        response = api(staff.intake)(
            "patch",
            f"/inquiries/{inquiry.pk}",
            {
                "email": "dana@example.org",
                "assigned_to_id": staff.intake.pk,
                "status": "closed",
                "close_reason": "referred_elsewhere",
                "note": "To a residential program.",
            },
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["email"], body["assigned_to_id"], body["status"], body["close_reason"]) == (
            "dana@example.org",
            staff.intake.pk,
            "closed",
            "referred_elsewhere",
        )

    def test_a_failing_patch_changes_nothing(self, api, staff, inquiry):
        response = api(staff.intake)(
            "patch", f"/inquiries/{inquiry.pk}", {"email": "dana@example.org", "status": "closed"}
        )
        assert response.status_code == 400
        inquiry.refresh_from_db()
        assert (inquiry.email, inquiry.status) == ("", "new")

    def test_patch_will_not_skip_the_pipeline(self, api, staff, inquiry):
        response = api(staff.intake)("patch", f"/inquiries/{inquiry.pk}", {"status": "admitted"})
        assert response.status_code == 400
        assert "/admit" in response.json()["detail"]

    def test_patch_schedules_the_admission(self, api, staff, inquiry, clinic):
        verified(inquiry, staff.intake)
        on = clinic.location.today().isoformat()
        response = api(staff.intake)(
            "patch",
            f"/inquiries/{inquiry.pk}",
            {"status": "admission_scheduled", "admission_scheduled_for": on},
        )
        assert response.json()["status"] == "admission_scheduled"

    def test_scheduling_too_early_is_a_409(self, api, staff, inquiry, clinic):
        response = api(staff.intake)(
            "patch",
            f"/inquiries/{inquiry.pk}",
            {
                "status": "admission_scheduled",
                "admission_scheduled_for": clinic.location.today().isoformat(),
            },
        )
        assert response.status_code == 409


@pytest.mark.django_db
class TestThePipeline:
    def test_contact_screen_verify_admit(self, api, staff, inquiry, clinic):
        call = api(staff.intake)
        base = f"/inquiries/{inquiry.pk}"
        response = call("post", f"{base}/contacts", {"method": "call", "outcome": "reached"})
        assert response.status_code == 201

        response = call("post", f"{base}/screening", SCREENING)
        assert response.status_code == 201
        screening = response.json()
        assert screening["recommended_level"] == "iop"
        assert screening["recommended_label"].startswith("Intensive outpatient")
        assert screening["reasons"][0]["code"] == "recent_use"

        response = call("post", f"{base}/benefits", BENEFITS)
        assert response.status_code == 201
        estimate = response.json()["estimate"]
        assert estimate["patient_pays"] == "1800.00"
        assert estimate["lines"][2]["arithmetic"] == "20% × $5,250.00 = $1,050.00"

        response = call(
            "post",
            f"{base}/admit",
            {
                "first_name": "Dana",
                "last_name": "Whitfield",
                "date_of_birth": "1988-03-14",
                "track_id": clinic.evening.pk,
                "phase_id": clinic.phases[0].pk,
                "primary_counselor_id": staff.counselor.pk,
            },
        )
        assert response.status_code == 201, response.json()
        episode = response.json()
        patient = Patient.objects.get()
        assert (episode["patient_id"], episode["mrn"], episode["level_of_care"]) == (
            patient.pk,
            patient.mrn,
            "2.1",
        )
        assert Coverage.objects.get(patient=patient).member_id == "XJ123456"
        inquiry.refresh_from_db()
        assert inquiry.status == S.ADMITTED

    def test_screening_before_contact_is_a_409(self, api, staff, inquiry):
        response = api(staff.intake)("post", f"/inquiries/{inquiry.pk}/screening", SCREENING)
        assert response.status_code == 409
        assert "Log a contact first" in response.json()["detail"]

    def test_an_override_needs_a_director(self, api, staff, inquiry, clinic):
        admit = {
            "first_name": "Dana",
            "last_name": "Whitfield",
            "date_of_birth": "1988-03-14",
            "track_id": clinic.evening.pk,
            "phase_id": clinic.phases[0].pk,
            "override_reason": "Urgent transfer",
        }
        response = api(staff.intake)("post", f"/inquiries/{inquiry.pk}/admit", admit)
        assert response.status_code == 400
        assert not Patient.objects.exists()
        response = api(staff.director)("post", f"/inquiries/{inquiry.pk}/admit", admit)
        assert response.status_code == 201

    def test_admit_validates_the_track(self, api, staff, inquiry, clinic):
        screened(inquiry, staff.intake)
        response = api(staff.intake)(
            "post",
            f"/inquiries/{inquiry.pk}/admit",
            {
                "first_name": "Dana",
                "last_name": "Whitfield",
                "date_of_birth": "1988-03-14",
                "track_id": clinic.other_track.pk,
                "phase_id": clinic.phases[0].pk,
            },
        )
        assert response.status_code == 400
        assert "track" in response.json()["errors"]

    def test_a_bad_screening_answer_is_a_400(self, api, staff, inquiry):
        contacted(inquiry, staff.intake)
        response = api(staff.intake)(
            "post", f"/inquiries/{inquiry.pk}/screening", {**SCREENING, "readiness": "maybe"}
        )
        assert response.status_code == 400
        assert "readiness" in response.json()["errors"]

    def test_the_openapi_lists_the_endpoints(self, login, staff):
        paths = login(staff.intake).get("/api/v1/openapi.json").json()["paths"]
        for path in (
            "/api/v1/inquiries",
            "/api/v1/inquiries/{inquiry_id}",
            "/api/v1/inquiries/{inquiry_id}/contacts",
            "/api/v1/inquiries/{inquiry_id}/screening",
            "/api/v1/inquiries/{inquiry_id}/benefits",
            "/api/v1/inquiries/{inquiry_id}/admit",
        ):
            assert path in paths
