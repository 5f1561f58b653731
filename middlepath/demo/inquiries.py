"""The demo clinic's intake queue: requests at every step of the pipeline.

They go through the intake services, as a coordinator's work would, and are then dated
back so the queue shows realistic waiting times.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import F
from django.utils import timezone
from faker import Faker

from middlepath.accounts.models import User
from middlepath.accounts.roles import Role
from middlepath.clinic.models import Location
from middlepath.intake import services
from middlepath.intake.models import (
    BenefitsVerification,
    ContactAttempt,
    Inquiry,
    InquiryStatusChange,
    Screening,
    Source,
)

SCREENING = {
    "substances": ["alcohol"],
    "last_use": "week",
    "withdrawal": "none",
    "medical": "none",
    "psychiatric": "stable",
    "suicidal_thoughts": "none",
    "safe_housing": True,
    "others_using_at_home": False,
    "sober_support": "can_build",
    "obligations": True,
    "readiness": "ready",
    "stepping_down": "no",
}
BENEFITS = {
    "payment": "insurance",
    "method": "phone",
    "reference": "DEMO-REF",
    "payer_type": "commercial",
    "payer_name": "Northwind Health",
    "member_id": "NW0000000",
    "plan_type": "ppo",
    "in_network": True,
    "iop_covered": True,
    "prior_auth_required": True,
    "auth_days_approved": 12,
    "deductible": Decimal("1500.00"),
    "deductible_met": Decimal("400.00"),
    "coinsurance_percent": Decimal("20"),
    "out_of_pocket_max": Decimal("5000.00"),
    "out_of_pocket_met": Decimal("600.00"),
    "day_rate": Decimal("260.00"),
}
# (how far along, hours since the request came in)
STEPS = [
    ("new", 1),
    ("new", 6),
    ("new", 19),
    ("contacted", 28),
    ("contacted", 50),
    ("screened", 70),
    ("benefits", 96),
    ("scheduled", 120),
    ("closed", 200),
]


def build(locations: list[Location], rng: random.Random, fake: Faker) -> int:
    count = 0
    for location in locations:
        coordinator = User.objects.with_role(Role.INTAKE).filter(locations=location).first()
        for step, hours in STEPS:
            inquiry = services.submit_inquiry(
                by=coordinator,
                source=Source.STAFF,
                notify=False,
                location=location,
                first_name=fake.first_name(),
                last_name=fake.last_name(),
                phone=f"(555) 01{rng.randint(0, 9)}-{rng.randint(1000, 9999)}",
                ok_to_leave_message=rng.random() < 0.5,
                for_whom=rng.choice(["self", "self", "loved_one"]),
                needs="Drinking has got out of hand; I need help but have to keep my job.",
                schedule_preference=rng.choice(["evening", "evening", "day", "either"]),
                insurance="private",
                payer_name="Northwind Health",
            )
            _advance(inquiry, step, coordinator)
            _date_back(inquiry, timezone.now() - dt.timedelta(hours=hours))
            count += 1
    return count


def _advance(inquiry: Inquiry, step: str, by: User) -> None:
    if step == "new":
        return
    if step == "closed":
        services.close_inquiry(
            inquiry=inquiry,
            by=by,
            reason="referred_elsewhere",
            note="Needs residential care; referred with consent.",
        )
        return
    services.log_contact(inquiry=inquiry, by=by, method="call", outcome="reached")
    if step == "contacted":
        return
    services.record_screening(inquiry=inquiry, by=by, **SCREENING)
    if step == "screened":
        return
    services.record_benefits(inquiry=inquiry, by=by, **BENEFITS)
    if step == "benefits":
        return
    services.schedule_admission(
        inquiry=inquiry, by=by, on=inquiry.location.today() + dt.timedelta(days=3)
    )


def _date_back(inquiry: Inquiry, received_at: dt.datetime) -> None:
    """Move the whole story back in time: the services stamp everything "now", and a demo
    queue needs requests that waited, were called back an hour later, and so on."""
    shift = inquiry.received_at - received_at
    Inquiry.objects.filter(pk=inquiry.pk).update(received_at=received_at)
    for model, stamp in [
        (InquiryStatusChange, "changed_at"),
        (ContactAttempt, "attempted_at"),
        (Screening, "screened_at"),
        (BenefitsVerification, "verified_at"),
    ]:
        # Each later step happened a little after the one before, as the queue shows it.
        model.objects.filter(inquiry=inquiry).update(
            **{stamp: F(stamp) - shift + dt.timedelta(hours=1)}
        )
    InquiryStatusChange.objects.filter(inquiry=inquiry, to_status="new").update(
        changed_at=received_at
    )
