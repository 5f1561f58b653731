"""The cost estimate's arithmetic, worked by hand for each rule."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from middlepath.intake.estimate import estimate_insured, estimate_self_pay


class TestInsured:
    def test_deductible_then_coinsurance(self):
        # 24 days x $250 = $6,000; $750 deductible left; 20% of $5,250 = $1,050.
        estimate = estimate_insured(
            day_rate=D("250"), deductible_remaining=D("750"), coinsurance_percent=D("20")
        )
        assert estimate.days == 24
        assert estimate.total_allowed == D("6000.00")
        assert [line.amount for line in estimate.lines] == [D("6000.00"), D("750.00"), D("1050.00")]
        assert estimate.patient_pays == D("1800.00")
        assert estimate.plan_pays == D("4200.00")
        assert estimate.lines[0].arithmetic == "8 weeks × 3 days = 24 days × $250.00 = $6,000.00"
        assert estimate.lines[2].arithmetic == "20% × $5,250.00 = $1,050.00"

    def test_the_out_of_pocket_maximum_caps_it(self):
        estimate = estimate_insured(
            day_rate=D("250"),
            deductible_remaining=D("750"),
            coinsurance_percent=D("20"),
            out_of_pocket_remaining=D("1500"),
        )
        assert estimate.patient_pays == D("1500.00")
        assert estimate.lines[-1].label == "Out-of-pocket maximum"
        assert estimate.lines[-1].amount == D("-300.00")
        assert estimate.lines[-1].shown == "−$300.00"

    def test_copay_days_start_after_the_deductible_is_met(self):
        # $600 deductible at $250 a day is met on day 3; days 4-24 pay a $40 copay.
        estimate = estimate_insured(
            day_rate=D("250"), deductible_remaining=D("600"), copay_per_day=D("40")
        )
        assert estimate.patient_pays == D("600.00") + 21 * D("40")
        assert "× 21 days" in estimate.lines[-1].arithmetic

    def test_copay_without_deductible(self):
        estimate = estimate_insured(
            day_rate=D("180"), weeks=10, days_per_week=4, copay_per_day=D("25")
        )
        assert estimate.days == 40
        assert estimate.patient_pays == D("1000.00")

    def test_a_copay_above_the_days_cost_is_the_days_cost(self):
        estimate = estimate_insured(day_rate=D("30"), weeks=1, copay_per_day=D("50"))
        assert estimate.patient_pays == D("90.00")

    def test_a_deductible_larger_than_the_course_is_the_course(self):
        estimate = estimate_insured(
            day_rate=D("100"), weeks=1, deductible_remaining=D("5000"), coinsurance_percent=D("10")
        )
        assert estimate.patient_pays == D("300.00")
        assert estimate.plan_pays == D("0")

    def test_nothing_to_pay_says_so(self):
        estimate = estimate_insured(day_rate=D("250"))
        assert estimate.patient_pays == D("0")
        assert estimate.notes == ("The plan pays the whole course at these figures.",)

    def test_not_covered_means_the_whole_amount(self):
        estimate = estimate_insured(day_rate=D("250"), covered=False, coinsurance_percent=D("20"))
        assert estimate.patient_pays == D("6000.00")
        assert estimate.plan_pays == D("0")

    def test_coinsurance_rounds_to_cents_half_up(self):
        estimate = estimate_insured(
            day_rate=D("100.05"), weeks=1, days_per_week=1, coinsurance_percent=D("12.5")
        )
        # 12.5% of $100.05 = $12.50625 -> $12.51
        assert estimate.patient_pays == D("12.51")

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"day_rate": D("0")},
            {"day_rate": D("100"), "weeks": 0},
            {"day_rate": D("100"), "days_per_week": 8},
            {"day_rate": D("100"), "coinsurance_percent": D("20"), "copay_per_day": D("10")},
        ],
    )
    def test_impossible_figures_are_refused(self, kwargs):
        with pytest.raises(ValueError, match=r"\w"):
            estimate_insured(**kwargs)


class TestSelfPay:
    def test_the_full_cost_and_the_plan(self):
        estimate = estimate_self_pay(
            day_rate=D("150"), instalment=D("400"), instalment_label="weekly"
        )
        # 24 x $150 = $3,600 = 9 payments of $400.
        assert estimate.patient_pays == D("3600.00")
        assert estimate.notes == ("Payment plan: 9 payments of $400.00 weekly ($3,600.00 in all).",)

    def test_an_uneven_plan_has_a_smaller_last_payment(self):
        estimate = estimate_self_pay(
            day_rate=D("150"), instalment=D("500"), instalment_label="monthly"
        )
        assert estimate.notes == (
            "Payment plan: 7 payments of $500.00 monthly and a last one of $100.00 "
            "($3,600.00 in all).",
        )

    def test_without_a_plan(self):
        estimate = estimate_self_pay(day_rate=D("150"), weeks=4, days_per_week=5)
        assert (estimate.days, estimate.patient_pays, estimate.notes) == (20, D("3000.00"), ())
