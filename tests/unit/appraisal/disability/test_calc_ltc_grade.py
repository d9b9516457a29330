"""`jingban calc ltc_grade`: item scores in, indicator levels and the grade with the table version out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chassis.errors import InvalidInput
from services.appraisal.disability.service import grade_case
from tests.unit.appraisal.disability.test_grading import scores

ROOT = Path(__file__).resolve().parents[4]


def test_grade_case_answers_levels_grade_and_version() -> None:
    out = grade_case({"program": "ltc_grade", "scores": scores(adl=40, cognition=7)})
    assert (out["grade"], out["grade_name"], out["severe"]) == (5, "重度失能III级", True)
    assert out["indicators"]["adl"] == {"sum": 40, "level": 3, "level_name": "重度受损"}
    assert out["version"] == "wz-ltc-assessment-sample-2021.1" and out["sample"] is True
    assert [r["code"] for r in out["reason_codes"]] == ["indicator_level"] * 3 + ["combined_grade", "sample_scale"]


@pytest.mark.parametrize("scale", ["../hz-chronic/program.yaml", "assessment-none.yaml", 7])
def test_a_scale_outside_the_program_s_tables_is_refused(scale: object) -> None:
    with pytest.raises(InvalidInput) as err:
        grade_case({"program": "ltc_grade", "scale": scale, "scores": scores()})
    assert err.value.field == "scale"


def test_the_cli_prints_the_grade_and_names_a_missing_item() -> None:
    case = {"program": "ltc_grade", "scores": scores(adl=60)}
    ok = subprocess.run([sys.executable, "-m", "jingban.cli", "calc"], input=json.dumps(case), text=True,
                        capture_output=True, cwd=ROOT, check=False)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["grade_name"] == "中度失能"
    del case["scores"]["adl"]["bathing"]
    bad = subprocess.run([sys.executable, "-m", "jingban.cli", "calc"], input=json.dumps(case), text=True,
                         capture_output=True, cwd=ROOT, check=False)
    assert bad.returncode == 2 and json.loads(bad.stderr)["error"]["field"] == "scores.adl.bathing"
