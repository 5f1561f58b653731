"""Builds the demo clinic: set-up, staff in every role, patients with realistic episodes.

Deterministic: the same seed, sizes and `today` give the same clinic. It writes in bulk
(it must build 2,000 patients and a year of history in minutes), so it bypasses the
per-record services on purpose and records one audit entry for the whole build.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.db import transaction
from faker import Faker

from middlepath.accounts.models import User
from middlepath.accounts.roles import Role
from middlepath.accounts.services import create_staff_user
from middlepath.care.models import (
    CareTeamMember,
    DischargeReason,
    Episode,
    EpisodeChange,
    LevelOfCare,
    Patient,
    RecoveryStage,
    ReferralSource,
    mrn_for,
)
from middlepath.clinic.models import (
    CurriculumTopic,
    GroupType,
    Location,
    Phase,
    Program,
    Room,
    Track,
)
from middlepath.demo import content, history, inquiries
from middlepath.privacy import audit
from middlepath.privacy.models import AuditAction

BATCH = 1000
Progress = Callable[[str, int], None]


@dataclass(frozen=True)
class DemoSpec:
    seed: int = 1
    patients: int = 120
    weeks: int = 8
    locations: int = 2
    today: dt.date = field(default_factory=dt.date.today)


@dataclass
class Site:
    location: Location
    tracks: list[Track]
    counselors: list[User]
    case_manager: User
    physician: User


@dataclass
class Clinic:
    program: Program
    phases: list[Phase]
    sites: list[Site]


def _weighted(rng: random.Random, table: list[tuple[object, float]]) -> object:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


REFERRALS = [
    (ReferralSource.SELF, 25),
    (ReferralSource.FAMILY, 14),
    (ReferralSource.INPATIENT_STEP_DOWN, 20),
    (ReferralSource.RESIDENTIAL_STEP_DOWN, 10),
    (ReferralSource.PHYSICIAN, 12),
    (ReferralSource.EMPLOYER, 6),
    (ReferralSource.COURT, 8),
    (ReferralSource.COMMUNITY, 5),
]
DISCHARGES = [
    (DischargeReason.COMPLETED, 55),
    (DischargeReason.STEP_DOWN, 10),
    (DischargeReason.LEFT_AGAINST_ADVICE, 12),
    (DischargeReason.STOPPED_ATTENDING, 10),
    (DischargeReason.HIGHER_LEVEL, 8),
    (DischargeReason.TRANSFERRED, 5),
]
STAGE_BY_PHASE = [RecoveryStage.EARLY, RecoveryStage.MIDDLE, RecoveryStage.LATE]


def build(spec: DemoSpec, progress: Progress | None = None) -> Clinic:
    """Build the whole demo clinic in one transaction."""
    rng = random.Random(spec.seed)
    fake = Faker("en_US")
    fake.seed_instance(spec.seed)
    report = progress or (lambda stage, n: None)
    with transaction.atomic():
        clinic = _build_setup(spec, rng, fake)
        plans = _build_patients(spec, clinic, rng, fake, report)
        counts = history.build(spec, clinic, plans, rng, report)
        counts["inquiries"] = inquiries.build([site.location for site in clinic.sites], rng, fake)
        audit.record(
            actor=None,
            action=AuditAction.DEMO_BUILD,
            data={
                "seed": spec.seed,
                "patients": len(plans),
                **counts,
                "weeks": spec.weeks,
                "locations": spec.locations,
            },
        )
    return clinic


def _build_setup(spec: DemoSpec, rng: random.Random, fake: Faker) -> Clinic:
    program = Program.objects.create(
        name="Adult intensive outpatient program",
        description="ASAM level 2.1 for adults: at least nine hours a week in small groups.",
        minimum_weekly_minutes=540,
        week_starts_on=1,
    )
    phases = [
        Phase.objects.create(
            program=program,
            name=name,
            order=order,
            weekly_target_minutes=minutes,
            min_days=min_days,
            max_days=max_days,
            description=description,
            group_needs=content.PHASE_NEEDS[order],
        )
        for name, order, minutes, min_days, max_days, description in content.PHASES
    ]
    for name, kind, code, same_stage, topics in content.GROUP_TYPES:
        group_type = GroupType.objects.create(
            name=name, kind=kind, code=code, min_size=8, max_size=15, same_stage=same_stage
        )
        CurriculumTopic.objects.bulk_create(
            CurriculumTopic(
                group_type=group_type,
                title=title,
                skill=skill,
                homework_template=homework,
                order=order,
            )
            for order, (title, skill, homework) in enumerate(topics, start=1)
        )
    password_hash = make_password(content.DEMO_PASSWORD)
    clinic = Clinic(program=program, phases=phases, sites=[])
    active_share = _patients_per_site(spec)
    for index in range(spec.locations):
        clinic.sites.append(
            _build_site(index, program, active_share[index], password_hash, rng, fake)
        )
    everywhere = [site.location for site in clinic.sites]
    for username, role, credentials in [
        ("director", Role.DIRECTOR, "LCSW, LCADC"),
        ("admin", Role.ADMIN, ""),
        ("billing", Role.BILLING, ""),
    ]:
        create_staff_user(
            username=username,
            roles=[role],
            locations=everywhere,
            password_hash=password_hash,
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            credentials=credentials,
            email=f"{username}@example.org",
            is_licensed=role == Role.DIRECTOR,
        )
    return clinic


def _patients_per_site(spec: DemoSpec) -> list[int]:
    base, extra = divmod(spec.patients, spec.locations)
    return [base + (1 if index < extra else 0) for index in range(spec.locations)]


def _site_name(index: int) -> tuple[str, str, str, str, str, bool]:
    name, code, zone, city, state, club = content.SITES[index % len(content.SITES)]
    if index >= len(content.SITES):
        number = index // len(content.SITES) + 1
        return f"{name} {number}", f"{code}-{number}", zone, city, state, club
    return name, code, zone, city, state, club


def _build_site(
    index: int,
    program: Program,
    patients: int,
    password_hash: str,
    rng: random.Random,
    fake: Faker,
) -> Site:
    name, code, zone, city, state, club = _site_name(index)
    location = Location.objects.create(
        name=name,
        code=code,
        time_zone=zone,
        address_line1=fake.street_address(),
        city=city,
        state=state,
        postal_code=fake.postcode(),
        phone=f"(555) 01{index % 10}-{1000 + index:04d}",
        intake_email=f"intake-{code}@example.org",
        has_aftercare_club=club,
    )
    Room.objects.bulk_create(
        Room(location=location, name=room, capacity=capacity) for room, capacity in content.ROOMS
    )
    tracks = []
    for track_name, kind, days, start, end in content.TRACKS:
        track = Track(
            program=program,
            location=location,
            name=track_name,
            kind=kind,
            meeting_days=days,
            block_start=start,
            block_end=end,
            slot_minutes=90,
        )
        track.full_clean()
        track.save()
        tracks.append(track)

    def staff(
        username: str,
        role: Role,
        credentials: str = "",
        licensed: bool = True,
        supervisor: User | None = None,
    ) -> User:
        user = create_staff_user(
            username=username,
            roles=[role],
            locations=[location],
            password_hash=password_hash,
            first_name=fake.first_name(),
            last_name=fake.last_name(),
            credentials=credentials,
            email=f"{username}@example.org",
            is_licensed=licensed,
            supervisor=supervisor,
        )
        if role == Role.COUNSELOR:
            user.facilitates.set(leads)
        return user

    # Counselors lead every kind of group but the family group (the family therapist's).
    leads = list(GroupType.objects.exclude(kind=GroupType.Kind.FAMILY))
    suffix = "" if index == 0 else f"-{code}"
    intake = staff(f"intake{suffix}", Role.INTAKE)
    # About one counselor per twelve enrolled patients, as caseloads run in IOPs.
    counselor_count = max(3, math.ceil(patients * 0.75 / 12))
    counselors: list[User] = []
    for number in range(1, counselor_count + 1):
        licensed = number % 4 != 0  # every fourth is a trainee whose notes need co-signature
        counselors.append(
            staff(
                f"counselor{number}{suffix}",
                Role.COUNSELOR,
                credentials=rng.choice(["LCSW", "LPC", "LMFT", "LCADC"])
                if licensed
                else "CADC trainee",
                licensed=licensed,
                supervisor=None if licensed else counselors[0],
            )
        )
    case_manager = staff(f"casemanager{suffix}", Role.CASE_MANAGER, "CCM")
    physician = staff(f"physician{suffix}", Role.PHYSICIAN, "MD")
    del intake  # no rows refer to intake staff yet; the account is for signing in
    return Site(location, tracks, counselors, case_manager, physician)


@dataclass
class _Plan:
    """One patient's story, planned before anything is written."""

    site: Site
    patient: Patient
    episodes: list[Episode] = field(default_factory=list)
    changes: list[list[EpisodeChange]] = field(default_factory=list)


def _build_patients(
    spec: DemoSpec, clinic: Clinic, rng: random.Random, fake: Faker, report: Progress
) -> list[_Plan]:
    plans = list(_plan_patients(spec, clinic, rng, fake, report))
    patients = Patient.objects.bulk_create([plan.patient for plan in plans], batch_size=BATCH)
    for patient in patients:
        patient.mrn = mrn_for(patient.pk)
    Patient.objects.bulk_update(patients, ["mrn"], batch_size=BATCH)
    for plan in plans:
        for episode in plan.episodes:
            episode.patient = plan.patient
    episodes = Episode.objects.bulk_create(
        [episode for plan in plans for episode in plan.episodes], batch_size=BATCH
    )
    for plan in plans:
        for episode, changes in zip(plan.episodes, plan.changes, strict=True):
            for change in changes:
                change.episode = episode
    EpisodeChange.objects.bulk_create(
        [change for plan in plans for changes in plan.changes for change in changes],
        batch_size=BATCH,
    )
    CareTeamMember.objects.bulk_create(
        [
            member
            for episode in episodes
            if episode.is_open
            for member in _care_team(episode, clinic)
        ],
        batch_size=BATCH,
    )
    return plans


def _care_team(episode: Episode, clinic: Clinic) -> list[CareTeamMember]:
    site = next(site for site in clinic.sites if site.location.pk == episode.location_id)
    return [
        CareTeamMember(
            episode=episode,
            user=site.case_manager,
            responsibility=CareTeamMember.Responsibility.CASE_MANAGER,
            since=episode.admitted_on,
        ),
        CareTeamMember(
            episode=episode,
            user=site.physician,
            responsibility=CareTeamMember.Responsibility.PHYSICIAN,
            since=episode.admitted_on,
        ),
    ]


def _plan_patients(
    spec: DemoSpec, clinic: Clinic, rng: random.Random, fake: Faker, report: Progress
) -> Iterator[_Plan]:
    today = spec.today
    history_days = max(14, spec.weeks * 7)
    readmitted = False
    per_site = _patients_per_site(spec)
    for site, count in zip(clinic.sites, per_site, strict=True):
        for number in range(count):
            patient = _fake_patient(site.location, rng, fake, today)
            plan = _Plan(site=site, patient=patient)
            if rng.random() < 0.72:
                admitted = today - dt.timedelta(days=rng.randint(0, min(history_days, 110)))
                _plan_episode(plan, clinic, rng, admitted, today, discharge=False, number=number)
            else:
                admitted = today - dt.timedelta(days=rng.randint(30, history_days + 90))
                last_day = _plan_episode(
                    plan, clinic, rng, admitted, today, discharge=True, number=number
                )
                # One patient comes back after a lapse: recovery is not linear.
                if not readmitted and last_day is not None and (today - last_day).days > 10:
                    readmit = last_day + dt.timedelta(
                        days=rng.randint(3, (today - last_day).days - 3)
                    )
                    _plan_episode(
                        plan,
                        clinic,
                        rng,
                        readmit,
                        today,
                        discharge=False,
                        number=number,
                        referral=ReferralSource.SELF,
                    )
                    readmitted = True
            patient.recovery_stage = _stage(plan, clinic, rng)
            report("patients", 1)
            yield plan


def _fake_patient(location: Location, rng: random.Random, fake: Faker, today: dt.date) -> Patient:
    first, last = fake.first_name(), fake.last_name()
    age = rng.randint(19, 66)
    born = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    return Patient(
        first_name=first,
        last_name=last,
        preferred_name=rng.choice(["", "", "", "", first[:3]]) if len(first) > 4 else "",
        date_of_birth=born,
        phone=f"(555) 01{rng.randint(0, 9)}-{rng.randint(1000, 9999)}",
        email=f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@example.com",
        ok_to_leave_message=rng.random() < 0.6,
        address_line1=fake.street_address(),
        city=fake.city(),
        state=fake.state_abbr(),
        postal_code=fake.postcode(),
        emergency_contact_name=fake.name(),
        emergency_contact_relationship=rng.choice(
            ["Spouse", "Partner", "Mother", "Father", "Sister", "Brother", "Friend"]
        ),
        emergency_contact_phone=f"(555) 01{rng.randint(0, 9)}-{rng.randint(1000, 9999)}",
        location=location,
    )


def _plan_episode(
    plan: _Plan,
    clinic: Clinic,
    rng: random.Random,
    admitted: dt.date,
    today: dt.date,
    *,
    discharge: bool,
    number: int,
    referral: ReferralSource | None = None,
) -> dt.date | None:
    """Plan one episode with its phase moves; returns the discharge date, if any."""
    site = plan.site
    track = site.tracks[0] if rng.random() < 0.35 else site.tracks[-1]
    referral = referral or _weighted(rng, REFERRALS)
    stepped_down_from_care = referral in (
        ReferralSource.INPATIENT_STEP_DOWN,
        ReferralSource.RESIDENTIAL_STEP_DOWN,
    )
    level = (
        LevelOfCare.PARTIAL_HOSPITALIZATION
        if stepped_down_from_care and rng.random() < 0.15
        else LevelOfCare.INTENSIVE_OUTPATIENT
    )
    end = today
    discharged_on, reason = None, ""
    if discharge:
        end = min(admitted + dt.timedelta(days=rng.randint(21, 90)), today - dt.timedelta(days=1))
        discharged_on, reason = end, _weighted(rng, DISCHARGES)
    phases = clinic.phases
    episode = Episode(
        location=site.location,
        program=clinic.program,
        track=track,
        phase=phases[0],
        level_of_care=level,
        primary_counselor=site.counselors[number % len(site.counselors)],
        admitted_on=admitted,
        referral_source=referral,
    )
    changes = [
        EpisodeChange(
            kind=EpisodeChange.Kind.ADMISSION,
            effective_on=admitted,
            to_level=level,
            to_phase=phases[0],
            to_track=track,
            reason=f"Referral: {ReferralSource(referral).label}",
        )
    ]
    # Step down through the phases every three to five weeks; one in ten steps back up.
    day, phase_index = admitted, 0
    while True:
        day += dt.timedelta(days=rng.randint(21, 35))
        if day >= end:
            break
        going_up = phase_index > 0 and rng.random() < 0.1
        new_index = phase_index - 1 if going_up else min(phase_index + 1, len(phases) - 1)
        new_level = LevelOfCare.INTENSIVE_OUTPATIENT
        if new_index == phase_index and new_level == episode.level_of_care:
            break
        changes.append(
            EpisodeChange(
                kind=EpisodeChange.Kind.CHANGE,
                effective_on=day,
                from_level=episode.level_of_care,
                to_level=new_level,
                from_phase=phases[phase_index],
                to_phase=phases[new_index],
                from_track=track,
                to_track=track,
                reason="Lapse after a stressful week: more support for now."
                if going_up
                else "Meeting goals and attending reliably: stepping down.",
            )
        )
        phase_index, episode.level_of_care, episode.phase = new_index, new_level, phases[new_index]
    if discharged_on:
        episode.discharged_on, episode.discharge_reason = discharged_on, reason
        changes.append(
            EpisodeChange(
                kind=EpisodeChange.Kind.DISCHARGE,
                effective_on=discharged_on,
                from_level=episode.level_of_care,
                from_phase=episode.phase,
                from_track=track,
                reason=DischargeReason(reason).label,
            )
        )
    for change in changes:
        change.recorded_by = episode.primary_counselor
        change.recorded_at = dt.datetime.combine(change.effective_on, dt.time(17, 0), tzinfo=dt.UTC)
    plan.episodes.append(episode)
    plan.changes.append(changes)
    return discharged_on


def _stage(plan: _Plan, clinic: Clinic, rng: random.Random) -> RecoveryStage:
    """Recovery stage mostly follows the phase, with some people ahead or behind."""
    phase = plan.episodes[-1].phase
    index = clinic.phases.index(phase)
    if rng.random() < 0.15:
        index = max(0, min(2, index + rng.choice([-1, 1])))
    return STAGE_BY_PHASE[index]
