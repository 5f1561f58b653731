"""What a course of IOP may cost the patient, with its arithmetic: pure functions, no Django.

An estimate from what the payer said on the verification call, not a quote: plans differ.
For an insured patient the rules are applied in the order payers usually apply them:

1. Every program day is charged at the allowed amount per day (`day_rate`).
2. The patient first pays what is left of the deductible, up to the total allowed.
3. After the deductible: coinsurance (a percentage of the rest), or a copay per day. With
   a copay, the day on which the deductible is met counts toward the deductible.
4. The patient never pays more than what is left of the out-of-pocket maximum.

When the plan does not cover IOP, the patient pays the whole allowed amount. A self-paying
patient pays the program's day rate, optionally in instalments of a payment plan.
Money is Decimal, rounded to cents half up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
TYPICAL_WEEKS = 8
TYPICAL_DAYS_PER_WEEK = 3


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    return f"${cents(value):,.2f}"


def signed_money(value: Decimal) -> str:
    return f"−{money(-value)}" if value < 0 else money(value)


@dataclass(frozen=True)
class Line:
    label: str
    arithmetic: str
    amount: Decimal

    @property
    def shown(self) -> str:
        return signed_money(self.amount)


@dataclass(frozen=True)
class Estimate:
    days: int
    total_allowed: Decimal
    lines: tuple[Line, ...]
    patient_pays: Decimal
    plan_pays: Decimal
    notes: tuple[str, ...] = ()

    @property
    def shown(self) -> dict[str, str]:
        return {
            "total": money(self.total_allowed),
            "patient": money(self.patient_pays),
            "plan": money(self.plan_pays),
        }


def _days(weeks: int, days_per_week: int) -> int:
    if weeks < 1 or not 1 <= days_per_week <= 7:
        raise ValueError("An estimate needs at least one week of 1 to 7 days.")
    return weeks * days_per_week


def _schedule_line(day_rate: Decimal, weeks: int, days_per_week: int) -> Line:
    days = _days(weeks, days_per_week)
    total = cents(day_rate * days)
    return Line(
        "Program days",
        f"{weeks} weeks × {days_per_week} days = {days} days × {money(day_rate)} = {money(total)}",
        total,
    )


def estimate_insured(
    *,
    day_rate: Decimal,
    weeks: int = TYPICAL_WEEKS,
    days_per_week: int = TYPICAL_DAYS_PER_WEEK,
    covered: bool = True,
    deductible_remaining: Decimal = Decimal(0),
    coinsurance_percent: Decimal | None = None,
    copay_per_day: Decimal | None = None,
    out_of_pocket_remaining: Decimal | None = None,
) -> Estimate:
    """The patient's share of `weeks` times `days_per_week` IOP days under their plan."""
    if day_rate <= 0:
        raise ValueError("The allowed amount per day must be positive.")
    if coinsurance_percent is not None and copay_per_day is not None:
        raise ValueError("A plan charges coinsurance or a copay per day, not both.")
    days = _days(weeks, days_per_week)
    schedule = _schedule_line(day_rate, weeks, days_per_week)
    total = schedule.amount
    lines = [schedule]
    notes: list[str] = []
    if not covered:
        lines.append(Line("Not covered by the plan", f"the patient pays {money(total)}", total))
        return Estimate(days, total, tuple(lines), total, Decimal(0), ("IOP is not covered.",))

    deductible_part = cents(min(max(deductible_remaining, Decimal(0)), total))
    if deductible_part:
        lines.append(
            Line(
                "Deductible",
                f"{money(deductible_remaining)} left to meet, paid first",
                deductible_part,
            )
        )
    after_deductible = total - deductible_part
    share = Decimal(0)
    if coinsurance_percent is not None and after_deductible > 0:
        share = cents(after_deductible * coinsurance_percent / 100)
        lines.append(
            Line(
                "Coinsurance",
                f"{coinsurance_percent.normalize():f}% × {money(after_deductible)} = "
                f"{money(share)}",
                share,
            )
        )
    elif copay_per_day is not None:
        days_to_meet = math.ceil(deductible_part / day_rate) if deductible_part else 0
        copay_days = days - days_to_meet
        copay = min(copay_per_day, day_rate)  # a copay above the day's cost is the cost
        share = cents(copay * copay_days)
        if copay_days:
            lines.append(
                Line(
                    "Copay",
                    f"{money(copay)} × {copay_days} days after the deductible = {money(share)}",
                    share,
                )
            )
    patient = deductible_part + share
    if out_of_pocket_remaining is not None and patient > max(out_of_pocket_remaining, 0):
        cap = cents(max(out_of_pocket_remaining, Decimal(0)))
        lines.append(
            Line(
                "Out-of-pocket maximum",
                f"{money(patient)} is more than the {money(cap)} left before the maximum: "
                f"the plan pays the difference",
                cap - patient,
            )
        )
        patient = cap
    if patient == 0:
        notes.append("The plan pays the whole course at these figures.")
    return Estimate(days, total, tuple(lines), patient, total - patient, tuple(notes))


def estimate_self_pay(
    *,
    day_rate: Decimal,
    weeks: int = TYPICAL_WEEKS,
    days_per_week: int = TYPICAL_DAYS_PER_WEEK,
    instalment: Decimal | None = None,
    instalment_label: str = "",
) -> Estimate:
    """The full cost at the program's day rate, and how many payments a plan would take."""
    if day_rate <= 0:
        raise ValueError("The day rate must be positive.")
    schedule = _schedule_line(day_rate, weeks, days_per_week)
    total = schedule.amount
    notes: tuple[str, ...] = ()
    if instalment is not None and instalment > 0:
        payments = math.ceil(total / instalment)
        last = total - instalment * (payments - 1)
        every = f" {instalment_label}" if instalment_label else ""
        plan = f"{payments} payments of {money(instalment)}{every}"
        if last != instalment:
            plan = (
                f"{payments - 1} payments of {money(instalment)}{every} and a last one of "
                f"{money(last)}"
            )
        notes = (f"Payment plan: {plan} ({money(total)} in all).",)
    return Estimate(_days(weeks, days_per_week), total, (schedule,), total, Decimal(0), notes)
