"""`jingban calc` as a user runs it: the installed console script, file argument and stdin."""

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from chassis.reasons import Reason

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
    refused = out["claims"][1]["lines"][0]
    assert out["claims"][1]["payable"] == "0.00" and [r["code"] for r in refused["reason_codes"]] == [
        "before_benefit_start"]
    assert refused["reasons"] == [str(Reason.from_json(r)) for r in refused["reason_codes"]]  # the sentences kept
    assert out["total_payable"] == "400.00"


def test_calc_bad_input_exits_2_with_a_precise_error() -> None:
    bad = {**CASE, "claims": [CASE["claims"][0], CASE["claims"][0]]}
    r = subprocess.run([*JINGBAN, "calc"], input=json.dumps(bad), capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == ""
    assert json.loads(r.stderr)["error"]["field"] == "claims[1].id"


# ---- the README's worked examples of the finance and critical illness kinds, through the console script --------

README = Path(__file__).resolve().parents[2] / "README.md"
CONSOLE = Path(sys.executable).with_name("jingban")  # the installed entry point, as the README runs it


def readme_cases() -> dict[str, str]:
    """Every `echo '<case>' | .venv/bin/jingban calc` of the README, by its program (the text exactly as shown)."""
    found = re.findall(r"echo '(.*?)' \\?\s*\|\s*\.venv/bin/jingban calc", README.read_text(encoding="utf-8"), re.S)
    return {json.loads(text)["program"]: text for text in found}


def console_calc(text: str) -> subprocess.CompletedProcess[str]:
    command = [str(CONSOLE)] if CONSOLE.exists() else JINGBAN
    return subprocess.run([*command, "calc"], input=text, capture_output=True, text=True, timeout=60)


def test_readme_examples_of_each_new_kind() -> None:
    cases = readme_cases()
    assert {"critical", "corridor", "service_fee", "year_end", "premium", "ltc_fee"} <= set(cases)
    assert cases["critical"] == (  # the case, verbatim
        '{"program":"critical","policy":{"deductible":"18000","ratio":"0.70","cap":"250000","assistance":'
        '{"deductible":"9000","ratio":"0.80","cap":null}},"person":{"assistance_recipient":false},"claims":'
        '[{"id":"h1","date":"2025-02-01","self_pay":"12000.00"},{"id":"h2","date":"2025-05-10","self_pay":"20000.00"}]}')
    out = {}
    for kind in ("critical", "corridor", "service_fee", "year_end", "premium", "ltc_fee"):
        r = console_calc(cases[kind])
        assert r.returncode == 0 and r.stderr == "", (kind, r.stderr)
        out[kind] = json.loads(r.stdout)
    critical = out["critical"]
    assert [(c["id"], c["payable"]) for c in critical["claims"]] == [("h1", "0.00"), ("h2", "9800.00")]
    assert critical["total_payable"] == "9800.00" and critical["claims"][1]["cumulative_self_pay"] == "32000.00"
    corridor = out["corridor"]
    assert json.loads(cases["corridor"])["premium"] == "10000000.00"
    assert (corridor["result"], corridor["carrier"], corridor["fund"]) == ("700000.00", "450000.00", "250000.00")
    assert cases["premium"] == '{"program":"premium","bid":"142.50","years":[2025,2026]}'  # the issue's, verbatim
    assert out["premium"]["ceilings"] == {"2025": "149.00", "2026": "153.47"}
    assert out["premium"]["premiums"] == {"2025": "142.50", "2026": "146.78"}
    fee = out["service_fee"]
    assert (fee["uncapped"], fee["fee"]) == ("1440000.00", "1200000.00")  # capped at the year's maximum
    assert any("capped at 1200000.00" in reason for reason in fee["reasons"])
    assert cases["ltc_fee"] == ('{"program":"ltc_fee","unit_price":"3.31","insured":853900,"first_year":true,'
                                '"score":"85"}')  # the issue's, verbatim
    assert (out["ltc_fee"]["fee"], out["ltc_fee"]["performance_paid"], out["ltc_fee"]["grade"]) == (
        "2119806.75", "169584.54", "good")
    year_end = out["year_end"]
    assert (year_end["outcome"], year_end["result"], year_end["fund_part"]) == ("deficit", "-6000000.00", "1200000.00")
    assert [a["settlement"] for a in year_end["accounts"]] == ["11020000.00", "5180000.00"]


def _critical_bad(case: dict[str, Any]) -> None:
    case["claims"][1]["self_pay"] = "20000.001"


def _corridor_bad(case: dict[str, Any]) -> None:
    del case["admin_cost"]


def _service_fee_bad(case: dict[str, Any]) -> None:
    case["bid_rate"] = "0.02"  # above the 1% ceiling of the bid


def _year_end_bad(case: dict[str, Any]) -> None:
    case["accounts"][0]["paid"] = "65000000.001"  # more than two decimals is refused, never rounded


def _premium_bad(case: dict[str, Any]) -> None:
    case["years"] = [2025, 2026, 2028]


def _premium_bid_above_the_ceiling(case: dict[str, Any]) -> None:
    case["bid"] = "149.01"


@pytest.mark.parametrize(("kind", "spoil", "field"), [
    ("critical", _critical_bad, "claims[1].self_pay"),
    ("corridor", _corridor_bad, "admin_cost"),
    ("service_fee", _service_fee_bad, "bid_rate"),
    ("year_end", _year_end_bad, "accounts[0].paid"),
    ("premium", _premium_bad, "years[2]"),
    ("premium", _premium_bid_above_the_ceiling, "bid"),
])
def test_bad_input_of_each_new_kind_exits_2_with_the_field(kind: str, spoil: Callable[[dict[str, Any]], None],
                                                            field: str) -> None:
    case = json.loads(readme_cases()[kind])
    spoil(case)
    r = console_calc(json.dumps(case))
    assert r.returncode == 2 and r.stdout == "", (kind, r.stdout)
    assert json.loads(r.stderr)["error"]["field"] == field
