"""Inquiries at each step of the pipeline, made through the services like the UI makes them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from middlepath.intake import services
from middlepath.intake.models import Inquiry

SCREENING_IOP = {
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
SCREENING_RESIDENTIAL = {**SCREENING_IOP, "withdrawal": "severe"}
BENEFITS_INSURED = {
    "payment": "insurance",
    "method": "phone",
    "reference": "REF-1",
    "payer_type": "commercial",
    "payer_name": "Acme Health",
    "member_id": "XJ123456",
    "plan_type": "ppo",
    "in_network": True,
    "iop_covered": True,
    "prior_auth_required": True,
    "auth_days_approved": 12,
    "deductible": Decimal("1000.00"),
    "deductible_met": Decimal("250.00"),
    "coinsurance_percent": Decimal("20"),
    "out_of_pocket_max": Decimal("4000.00"),
    "out_of_pocket_met": Decimal("500.00"),
    "day_rate": Decimal("250.00"),
}
BENEFITS_SELF_PAY = {
    "payment": "self_pay",
    "self_pay_option": "payment_plan",
    "plan_amount": Decimal("300.00"),
    "plan_frequency": "weekly",
    "day_rate": Decimal("150.00"),
}


def submit(location: Any = None, by: Any = None, **fields: Any) -> Inquiry:
    defaults = {
        "first_name": "Dana",
        "last_name": "Whitfield",
        "phone": "(555) 010-7788",
        "email": "",
        "ok_to_leave_message": True,
        "insurance": "private",
        "payer_name": "Acme Health",
        "location": location,
    }
    return services.submit_inquiry(
        by=by, source="web_form" if by is None else "staff", **{**defaults, **fields}
    )


def contacted(inquiry: Inquiry, by: Any) -> Inquiry:
    services.log_contact(inquiry=inquiry, by=by, method="call", outcome="reached")
    return Inquiry.objects.get(pk=inquiry.pk)


def screened(inquiry: Inquiry, by: Any, answers: dict | None = None) -> Inquiry:
    contacted(inquiry, by)
    services.record_screening(inquiry=inquiry, by=by, **(answers or SCREENING_IOP))
    return Inquiry.objects.get(pk=inquiry.pk)


def verified(inquiry: Inquiry, by: Any, benefits: dict | None = None) -> Inquiry:
    screened(inquiry, by)
    services.record_benefits(inquiry=inquiry, by=by, **(benefits or BENEFITS_INSURED))
    return Inquiry.objects.get(pk=inquiry.pk)


def admission(clinic: Any, **fields: Any) -> dict[str, Any]:
    """What the admission form sends, for the evening track at Riverside."""
    return {
        "first_name": "Dana",
        "last_name": "Whitfield",
        "date_of_birth": dt.date(1988, 3, 14),
        "track": clinic.evening,
        "phase": clinic.phases[0],
        "admitted_on": clinic.location.today(),
        "referral_source": "self",
        "level_of_care": "2.1",
        **fields,
    }


@pytest.fixture
def inquiry(clinic) -> Inquiry:
    return submit(clinic.location)
