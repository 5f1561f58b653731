from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from middlepath.roster.cli import main
from middlepath.roster.generate import generate_instance


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


@pytest.fixture
def instance_file(tmp_path: Path) -> str:
    return write(
        tmp_path / "week.json", generate_instance(locations=1, patients_per_location=40, seed=1)
    )


class TestSolveCommand:
    def test_it_writes_a_solution_that_check_accepts(self, instance_file: str, tmp_path: Path):
        output = tmp_path / "roster.json"
        code, out, err = run(
            "solve", instance_file, "-o", str(output), "--seconds", "3", "--deterministic"
        )
        assert code == 0, err
        solution = json.loads(output.read_text(encoding="utf-8"))
        assert solution["format"] == "middlepath-roster-solution/1"
        assert out.count("\n") == 1
        assert f"met {solution['objective']['met']}/40" in out
        assert f"bound {solution['bound']['met']}" in out
        assert "roster: loc0:" in err

        code, out, err = run("check", instance_file, str(output))
        assert code == 0, out
        assert out.splitlines()[-1] == "valid: keeps every hard rule"
        assert f"met {solution['objective']['met']}/40" in out

    def test_it_writes_json_with_stable_key_order(self, instance_file: str, tmp_path: Path):
        output = tmp_path / "roster.json"
        assert (
            run("solve", instance_file, "-o", str(output), "--seconds", "1", "--deterministic")[0]
            == 0
        )
        text = output.read_text(encoding="utf-8")
        assert text.startswith('{\n  "format": "middlepath-roster-solution/1",\n  "status"')
        assert text.endswith("}\n")

    @pytest.mark.parametrize(
        ("content", "words"),
        [
            (None, "cannot read instance"),
            ("{not json", "is not valid JSON (line 1, column 2"),
            ({"format": "middlepath-roster/0"}, "'format' must be 'middlepath-roster/1'"),
        ],
    )
    def test_it_rejects_unusable_files_in_one_line(self, tmp_path: Path, content: Any, words: str):
        path = tmp_path / "week.json"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif content is not None:
            write(path, content)
        code, out, err = run("solve", str(path), "-o", str(tmp_path / "out.json"))
        assert code == 2
        assert out == ""
        assert err.count("\n") == 1
        assert words in err
        assert "Traceback" not in err
        assert not (tmp_path / "out.json").exists()

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            (lambda d: d["patients"][0].update(blocks=["loc0-sun-day"]), "unknown block"),
            (lambda d: d["rooms"][0].update(capacity=-12), "'capacity' must be positive"),
            (lambda d: d["staff"][0].update(slots=["nowhere-1"]), "unknown slot 'nowhere-1'"),
        ],
    )
    def test_it_names_the_bad_id_or_size(self, tmp_path: Path, change: Any, words: str):
        data = generate_instance(locations=1, patients_per_location=10, seed=1)
        change(data)
        path = write(tmp_path / "week.json", data)
        code, _, err = run("solve", path, "-o", str(tmp_path / "out.json"))
        assert code == 2
        assert words in err
        assert err.startswith(f"roster: {path}: ")

    def test_it_rejects_bad_options(self, instance_file: str, tmp_path: Path):
        out = str(tmp_path / "out.json")
        assert run("solve", instance_file, "-o", out, "--seconds", "0")[0] == 2
        assert run("solve", instance_file, "-o", out, "--workers", "0")[0] == 2
        code, _, err = run("solve", instance_file)
        assert code == 2
        assert "-o/--output" in err
        code, _, err = run("solve", instance_file, "-o", str(tmp_path / "no" / "dir" / "x.json"))
        assert code == 2
        assert "cannot write" in err


class TestCheckCommand:
    def test_it_lists_each_broken_rule_and_exits_1(self, make_week, nine_early_roster, tmp_path):
        instance = write(tmp_path / "week.json", make_week(stages=["early"] * 9))
        nine_early_roster["sessions"][0]["members"] = nine_early_roster["sessions"][0]["members"][
            :5
        ]
        solution = write(tmp_path / "roster.json", nine_early_roster)
        code, out, _ = run("check", instance, solution)
        assert code == 1
        assert "rule 4: session 'x1': 5 members, fewer than process min_size 8" in out
        assert "rule 2: patient 'p06' comes to part of block 'eve-mon'" in out
        assert out.splitlines()[-1].startswith("INVALID: ")

    def test_it_points_out_a_claimed_objective_that_the_roster_does_not_reach(
        self, make_week, nine_early_roster, tmp_path
    ):
        instance = write(tmp_path / "week.json", make_week(stages=["early"] * 9))
        nine_early_roster["objective"]["met"] = 12
        solution = write(tmp_path / "roster.json", nine_early_roster)
        code, out, _ = run("check", instance, solution)
        assert code == 0
        assert "note: the file claims met 12, the roster gives 9" in out

    def test_it_rejects_a_solution_file_of_the_wrong_format(self, instance_file: str):
        code, _, err = run("check", instance_file, instance_file)
        assert code == 2
        assert "'format' must be 'middlepath-roster-solution/1'" in err

    def test_it_needs_both_files(self, instance_file: str):
        code, _, err = run("check", instance_file)
        assert code == 2
        assert "usage:" in err
