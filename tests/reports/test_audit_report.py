from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction, AuditEvent
from tests import factories

REPORT = reverse("reports:audit")


def _filters(**extra):
    today = timezone.localdate().isoformat()
    return {"start": today, "end": today, "sort": "newest", **extra}


@pytest.fixture
def trail(clinic, staff):
    rosa = factories.make_patient(clinic.location, by=staff.intake, last_name="Delgado")
    other = factories.make_patient(clinic.location, by=staff.intake)
    audit.record(actor=staff.counselor, action=AuditAction.PATIENT_VIEW, obj=rosa)
    audit.record(actor=staff.physician, action=AuditAction.PATIENT_VIEW, obj=other)
    return rosa


@pytest.mark.django_db
class TestAuditReport:
    @pytest.mark.parametrize("persona", ["counselor", "intake", "biller", "physician", "no_role"])
    def test_only_directors_and_admins_see_it(self, login, staff, persona):
        assert login(getattr(staff, persona)).get(REPORT).status_code == 403

    def test_director_sees_the_last_week_and_it_is_audited(self, login, staff, trail):
        response = login(staff.director).get(REPORT)
        assert response.status_code == 200
        assert response.context["paginator"].count >= 4
        assert AuditEvent.objects.filter(
            action=AuditAction.AUDIT_REPORT_VIEW, actor=staff.director
        ).exists()

    def test_filters_by_patient_mrn_user_and_action(self, login, staff, trail):
        client = login(staff.admin)
        rows = client.post(REPORT, _filters(mrn=trail.mrn.lower())).context["page"].object_list
        assert {event.patient_id for event in rows} == {trail.pk}
        rows = client.post(REPORT, _filters(user=staff.physician.pk)).context["page"].object_list
        assert [event.actor_username for event in rows] == ["physician"]
        rows = (
            client.post(REPORT, _filters(action=AuditAction.PATIENT_CREATE))
            .context["page"]
            .object_list
        )
        assert len(rows) == 2

    def test_sorts_by_user(self, login, staff, trail):
        rows = login(staff.admin).post(REPORT, _filters(sort="user")).context["page"].object_list
        names = [event.actor_username for event in rows]
        assert names == sorted(names)

    def test_bad_filters_are_explained(self, login, staff, trail):
        response = login(staff.admin).post(
            REPORT, _filters(mrn="MP0000000", start="2026-02-01", end="2025-01-01")
        )
        assert response.status_code == 200
        assert b"No patient has this MRN" in response.content
        assert b"must end on or after" in response.content

    def test_csv_download(self, login, staff, trail):
        response = login(staff.admin).post(REPORT, _filters(format="csv"))
        body = b"".join(response.streaming_content).decode()
        assert response["Content-Type"] == "text/csv"
        assert body.splitlines()[0].startswith("seq,occurred_at_utc,user,action")
        assert trail.mrn in body

    def test_query_count_is_fixed(self, login, staff, trail, clinic, django_assert_max_num_queries):
        client = login(staff.admin)
        with django_assert_max_num_queries(20) as few:
            client.post(REPORT, _filters())
        baseline = len(few)  # read now: the next request clears the query log
        for _ in range(30):
            audit.record(
                actor=staff.counselor,
                action=AuditAction.PATIENT_VIEW,
                obj=factories.make_patient(clinic.location),
            )
        with django_assert_max_num_queries(baseline):
            client.post(REPORT, _filters())
