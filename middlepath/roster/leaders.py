"""Who leads each session of a roster, chosen again for the patients' preferred counselors.

With a roster's sessions and members fixed, who leads them is a small assignment: each
session a counselor of its location who facilitates its type and works its slot, one session
per counselor per slot, none over their weekly cap. Chosen for the format's third criterion
(met patients whose process sessions are all led by the counselor they asked for), it is
proven in a fraction of a second, where the searches of the whole roster, seats and leaders
together, often leave leaders that a few swaps improve (12 x 150 in 60 s: 57 patients with
their preferred counselor, 131 with the leaders chosen again; 6 x 150: 20, 56). The patients
met and the sessions stay as they are, so the first two criteria do too.

The same choice brings the tracks' rosters, searched apart with whole caps, within the caps
where changing who leads is enough, or proves at once that it is not (`solver.py`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ortools.sat.python import cp_model

from middlepath.roster.cpsat_run import Budget, run
from middlepath.roster.instance import PROCESS, Instance
from middlepath.roster.location_model import SOLVED

# Most of the time the choice may take (it is proven in 10-40 ms for 150 patients), and no
# more than this share of the time given for what it ends.
SECONDS_LEADERS = 0.2
SHARE_LEADERS = 0.05


def time_for_leaders(allowance: float) -> float:
    """How much of `allowance` the choice of leaders may take."""
    return min(SECONDS_LEADERS, SHARE_LEADERS * allowance)


def preferred_leaders(
    instance: Instance,
    location: str,
    sessions: list[dict[str, Any]],
    *,
    limit: float,
    budget: Budget,
) -> list[dict[str, Any]] | None:
    """`sessions`, a roster of `location` that keeps every rule but perhaps the counselors'
    caps, with their leaders chosen within the caps for the most patients with their
    preferred counselor (the leaders they have are the hint); None if no leaders keep the
    caps, or none were found within `limit`."""
    staff = [g for g in instance.staff if g.location == location and g.max_sessions > 0]
    model = cp_model.CpModel()
    leads: dict[tuple[int, str], cp_model.IntVar] = {}
    by_counselor: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    by_counselor_slot: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for n, session in enumerate(sessions):
        able = [
            g.id for g in staff if session["type"] in g.facilitates and session["slot"] in g.slots
        ]
        if not able:  # not a roster that keeps the rules: nothing to choose from
            return None
        for g in able:
            lead = leads[n, g] = model.new_bool_var("")
            model.add_hint(lead, g == session["facilitator"])
            by_counselor[g].append(lead)
            by_counselor_slot[g, session["slot"]].append(lead)
        model.add_exactly_one(leads[n, g] for g in able)
    for g in staff:
        model.add(sum(by_counselor[g.id]) <= g.max_sessions)
    for together in by_counselor_slot.values():
        model.add_at_most_one(together)

    process_sessions: dict[str, list[int]] = defaultdict(list)
    for n, session in enumerate(sessions):
        if session["type"] == PROCESS:
            for member in session["members"]:
                process_sessions[member].append(n)
    with_preferred = []
    for p in instance.patients:
        wanted, mine = p.prefer_facilitator, process_sessions.get(p.id)
        # Only those whose every process session their counselor could lead.
        if wanted is None or not mine or any((n, wanted) not in leads for n in mine):
            continue
        preferred = model.new_bool_var("")
        for n in mine:
            model.add_implication(preferred, leads[n, wanted])
        with_preferred.append(preferred)
    if with_preferred:
        model.maximize(sum(with_preferred))

    solver, status = run(model, limit=limit, budget=budget, may_be_infeasible=True)
    if status not in SOLVED:
        return None
    chosen = {n: g for (n, g), lead in leads.items() if solver.value(lead)}
    return [{**session, "facilitator": chosen[n]} for n, session in enumerate(sessions)]
