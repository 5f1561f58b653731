from __future__ import annotations

from collections import Counter

from middlepath.roster.generate import generate_instance
from middlepath.roster.instance import parse_instance


class TestGenerateInstance:
    def test_it_makes_a_well_formed_instance(self):
        instance = parse_instance(generate_instance(locations=2, patients_per_location=50, seed=1))
        assert len(instance.patients) == 100
        assert instance.locations == ("loc0", "loc1")
        assert len(instance.blocks) == 20
        assert all(len(b.slots) == 2 and b.minutes == 180 for b in instance.blocks)
        assert all(
            2 <= sum(r.location == loc for r in instance.rooms) <= 4 for loc in ("loc0", "loc1")
        )
        assert all(10 <= r.capacity <= 15 for r in instance.rooms)
        assert all(3 <= len(p.blocks) <= 5 for p in instance.patients)

    def test_it_draws_a_realistic_mix_of_plans_and_stages(self):
        instance = parse_instance(generate_instance(locations=1, patients_per_location=300, seed=2))
        targets = Counter(p.target_minutes for p in instance.patients)
        assert targets.most_common(1)[0][0] == 540
        assert set(targets) <= {360, 540, 720}
        assert {p.stage for p in instance.patients} == {"early", "middle", "late"}
        assert any(p.prefer_facilitator for p in instance.patients)
        assert any(p.prefer_facilitator is None for p in instance.patients)

    def test_it_is_the_same_for_the_same_seed(self):
        first = generate_instance(locations=3, patients_per_location=20, seed=7)
        assert first == generate_instance(locations=3, patients_per_location=20, seed=7)
        assert first != generate_instance(locations=3, patients_per_location=20, seed=8)

    def test_its_first_location_does_not_depend_on_how_many_there_are(self):
        one = generate_instance(locations=1, patients_per_location=30, seed=3)
        three = generate_instance(locations=3, patients_per_location=30, seed=3)
        assert one["patients"] == [p for p in three["patients"] if p["location"] == "loc0"]
