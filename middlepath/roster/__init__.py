"""The weekly roster and calendars.

Pure Python, no Django (reusable, easy to test and benchmark): `instance.py` (the
`middlepath-roster/1` format), `solver.py` (the search, by location and by track, with
OR-Tools CP-SAT), `location_search.py` (the steps of one location's search),
`shared_caps.py` (the tracks' rosters brought within the counselors' caps),
`cpsat_run.py` (one CP-SAT run and its time budget) and the models they search:
`location_model.py` (one location's week), `days_model.py` (the days relaxation) and
`class_model.py` (patients counted by class); `validate.py` (the hard rules),
`baseline.py` (a hand schedule, its days in `baseline_days.py`), `explain.py` (why a
patient was not placed), `matching.py` (items to places, by augmenting paths),
`generate.py` (benchmark weeks), `cli.py` (`roster solve` / `roster check`).

Django: `adapter.py` (the database to the format and back), `availability.py`,
`proposal.py`, `runner.py` (background builds), `views.py`, `calendars.py` (weekly
schedules and .ics feeds), `models.py`.
"""
