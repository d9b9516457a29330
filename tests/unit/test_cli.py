"""`jingban calc` as a user runs it: the installed console script, file argument and stdin."""

import json
import subprocess
import sys
from pathlib import Path

CASE = {"program": "chronic",
        "policy": {"year": 2025, "monthly_cap_multiple": 3, "second_disease_weight": "0.2",
                   "diseases": [{"code": "HTN", "annual_cap": "3600.00", "deductible": "0.00", "ratio": "0.80",
                                 "start": "next_month"}]},
        "person": {"qualifications": [{"disease": "HTN", "granted_on": "2025-05-20"}]},
        "claims": [{"id": "c1", "date": "2025-06-03", "lines": [{"disease": "HTN", "amount": "500.00",
                                                                  "covered": True}]},
                   {"id": "c0", "date": "2025-05-25", "lines": [{"disease": "HTN", "amount": "80.00",
                                                                  "covered": True}]}]}
JINGBAN = [sys.executable, "-m", "jingban.cli"]


def test_calc_from_file_and_stdin(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(CASE))
    by_file = subprocess.run([*JINGBAN, "calc", str(path)], capture_output=True, text=True, check=True)
    by_stdin = subprocess.run([*JINGBAN, "calc"], input=json.dumps(CASE), capture_output=True, text=True, check=True)
    assert by_file.stdout == by_stdin.stdout
    out = json.loads(by_file.stdout)
    assert out["year_cap"] == "2100.00" and out["monthly_cap"] == "900.00"
    assert [c["id"] for c in out["claims"]] == ["c1", "c0"]  # input order
    assert out["claims"][0]["payable"] == "400.00"
    assert out["claims"][1]["payable"] == "0.00" and out["claims"][1]["lines"][0]["reasons"][0].startswith(
        "before_benefit_start")
    assert out["total_payable"] == "400.00"


def test_calc_bad_input_exits_2_with_a_precise_error() -> None:
    bad = {**CASE, "claims": [CASE["claims"][0], CASE["claims"][0]]}
    r = subprocess.run([*JINGBAN, "calc"], input=json.dumps(bad), capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == ""
    assert json.loads(r.stderr)["error"]["field"] == "claims[1].id"
