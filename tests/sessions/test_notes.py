from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from middlepath.accounts.roles import Role
from middlepath.sessions import services
from middlepath.sessions.models import Homework, Note
from middlepath.sessions.services import AttendanceEntry as Entry
from tests import factories


@pytest.fixture
def held(staff, evening_group):
    """A session two members attended and one missed."""
    session = evening_group.past_session(staff.counselor)
    a, b, c = evening_group.members[:3]
    services.record_attendance(
        session=session,
        by=staff.counselor,
        entries=[
            Entry(a.pk, "present"),
            Entry(b.pk, "late", 60),
            Entry(c.pk, "absent_unexcused"),
        ],
    )
    return session, a, b, c


def _complete_note(session, by, a, b, **extra):
    return services.save_note(
        session=session,
        by=by,
        topic_text="Refusal skills",
        summary="Practised saying no.",
        check_ins={a.pk: "Craving after work", b.pk: "Slept badly"},
        **extra,
    )


@pytest.mark.django_db
class TestGroupNote:
    def test_a_draft_in_thirds(self, staff, held):
        session, a, b, _ = held
        note = _complete_note(session, staff.counselor, a, b)
        assert note.status == Note.Status.DRAFT
        assert dict(note.check_ins.values_list("patient_id", "text")) == {
            a.pk: "Craving after work",
            b.pk: "Slept badly",
        }

    def test_a_check_in_for_an_absent_member_is_refused(self, staff, held):
        session, _, _, absent = held
        with pytest.raises(ValidationError, match="members who were present"):
            services.save_note(
                session=session, by=staff.counselor, check_ins={absent.pk: "Not here"}
            )

    def test_signing_needs_every_third(self, staff, held):
        session, a, _, _ = held
        note = services.save_note(session=session, by=staff.counselor, check_ins={a.pk: "ok"})
        missing = r"check-ins for 1 present member.*topic.*summary"
        with pytest.raises(ValidationError, match=missing):
            services.sign_note(note=note, by=staff.counselor)

    def test_a_signed_note_is_locked_and_corrected_by_addendum(self, staff, held):
        session, a, b, _ = held
        note = services.sign_note(
            note=_complete_note(session, staff.counselor, a, b), by=staff.counselor
        )
        assert note.is_locked and note.cosigner is None
        with pytest.raises(ValidationError, match="signed and locked"):
            services.save_note(session=session, by=staff.counselor, summary="Changed my mind")
        services.add_addendum(note=note, by=staff.counselor, text="Member 1 left at 19:10.")
        note.refresh_from_db()
        assert note.summary == "Practised saying no."
        assert note.addenda.count() == 1

    def test_only_the_author_edits_the_draft(self, staff, held):
        session, a, b, _ = held
        _complete_note(session, staff.counselor, a, b)
        with pytest.raises(ValidationError, match="only they can edit"):
            services.save_note(session=session, by=staff.director, summary="mine now")

    @pytest.mark.parametrize("persona", ["biller", "intake", "admin"])
    def test_only_clinical_roles_write_notes(self, staff, held, persona):
        with pytest.raises(PermissionDenied):
            services.save_note(session=held[0], by=getattr(staff, persona), summary="x")

    def test_a_topic_of_another_group_type_is_refused(self, staff, held):
        from middlepath.clinic.models import CurriculumTopic

        other_type = factories.make_group_type(kind="process")
        topic = CurriculumTopic.objects.create(group_type=other_type, title="Trust")
        with pytest.raises(ValidationError, match="another kind of group"):
            services.save_note(session=held[0], by=staff.counselor, topic=topic)


@pytest.mark.django_db
class TestCosign:
    def test_a_trainees_note_waits_for_the_supervisor(self, clinic, staff, evening_group):
        trainee = factories.make_staff(
            Role.COUNSELOR, clinic.location, is_licensed=False, supervisor=staff.counselor
        )
        session = evening_group.past_session(staff.counselor)
        a, b = evening_group.members[:2]
        services.record_attendance(
            session=session, by=trainee, entries=[Entry(a.pk, "present"), Entry(b.pk, "present")]
        )
        note = services.sign_note(note=_complete_note(session, trainee, a, b), by=trainee)
        assert note.awaiting_cosign and note.cosigner == staff.counselor
        with pytest.raises(PermissionDenied):
            services.cosign_note(note=note, by=staff.director)
        services.cosign_note(note=note, by=staff.counselor)
        note.refresh_from_db()
        assert not note.awaiting_cosign

    def test_an_unlicensed_author_without_supervisor_cannot_sign(self, clinic, staff, held):
        trainee = factories.make_staff(Role.COUNSELOR, clinic.location, is_licensed=False)
        session, a, b, _ = held
        note = _complete_note(session, trainee, a, b)
        with pytest.raises(ValidationError, match="no supervisor is set"):
            services.sign_note(note=note, by=trainee)


@pytest.mark.django_db
class TestVisitNote:
    def test_focus_and_plan_are_needed(self, staff, evening_group):
        patient = evening_group.members[0]
        visit = services.schedule_visit(
            by=staff.counselor,
            kind="individual",
            patient=patient,
            date=evening_group.today,
            start_time=dt.time(15),
            minutes=60,
            facilitator=staff.counselor,
        )
        services.record_attendance(
            session=visit, by=staff.counselor, entries=[Entry(patient.pk, "present")]
        )
        note = services.save_note(session=visit, by=staff.counselor, focus="Work stress")
        with pytest.raises(ValidationError, match="plan"):
            services.sign_note(note=note, by=staff.counselor)
        services.save_note(
            session=visit, by=staff.counselor, plan="Practise breathing; meet next week"
        )
        assert services.sign_note(note=note, by=staff.counselor).is_locked


@pytest.mark.django_db
class TestHomework:
    def test_assigned_to_everyone_present(self, staff, held):
        session, a, b, _ = held
        homework = services.assign_homework(
            session=session,
            by=staff.counselor,
            text="Write three triggers",
            due_on=session.date + dt.timedelta(days=2),
        )
        assert {h.patient_id for h in homework} == {a.pk, b.pk}

    def test_assigned_to_one_patient(self, staff, held):
        session, a, _, _ = held
        homework = services.assign_homework(
            session=session,
            by=staff.counselor,
            text="Call sponsor",
            due_on=session.date,
            patients=[a],
        )
        assert [h.patient_id for h in homework] == [a.pk]

    def test_not_to_someone_absent(self, staff, held):
        session, _, _, absent = held
        with pytest.raises(ValidationError, match="were present"):
            services.assign_homework(
                session=session,
                by=staff.counselor,
                text="x",
                due_on=session.date,
                patients=[absent],
            )

    def test_marked_done_at_the_next_session(self, staff, held):
        session, a, _, _ = held
        [homework] = services.assign_homework(
            session=session, by=staff.counselor, text="Journal", due_on=session.date, patients=[a]
        )
        services.review_homework(homework=homework, by=staff.counselor, done=True, session=session)
        homework.refresh_from_db()
        assert homework.status == Homework.Status.DONE
