"""`calculate()` on the issue's JSON shape, and `jingban calc` (calc_cli.main) end to end."""

from __future__ import annotations

import copy
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chassis.errors import InvalidInput
from jingban.calc_cli import main
from services.settlement.calculator.service.calculate import calculate

EXAMPLE: dict[str, Any] = {
    "program": "chronic",
    "policy": {"year": 2025, "monthly_cap_multiple": 3, "second_disease_weight": "0.2", "diseases": [
        {"code": "HTN", "annual_cap": "3600.00", "deductible": "0.00", "ratio": "0.80", "start": "next_month"},
    ]},
    "person": {"qualifications": [{"disease": "HTN", "granted_on": "2025-05-20"}]},
    "claims": [{"id": "c1", "date": "2025-06-03", "lines": [{"disease": "HTN", "amount": "500.00", "covered": True}]}],
}
EXPECTED = {
    "year_cap": "2100.00",
    "monthly_cap": "900.00",
    "claims": [{"id": "c1", "payable": "400.00",
                "lines": [{"payable": "400.00", "reasons": ["ratio: fund pays 80% (patient share 100.00)"],
                           "reason_codes": [{"code": "ratio", "detail": "fund pays 80% (patient share 100.00)",
                                             "params": {"percent": "80", "patient_share": "100.00"}}]}]}],
    "total_payable": "400.00",
}


def case(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    data.update(changes)
    return data


def test_the_issue_example() -> None:
    assert calculate(case()) == EXPECTED


def test_several_diseases_uncapped_and_refused_lines() -> None:
    policy = {"year": 2025, "monthly_cap_multiple": 3, "second_disease_weight": "0.2", "diseases": [
        {"code": "HF", "annual_cap": "8000.00", "deductible": "300.00", "ratio": "0.75", "start": "next_month"},
        {"code": "SCZ", "annual_cap": "5000.00", "deductible": "0.00", "ratio": "0.80", "start": "next_month"},
        {"code": "X2", "annual_cap": "2000.00", "deductible": "0.00", "ratio": "0.80", "start": "next_month"},
        {"code": "DL", "annual_cap": None, "deductible": "300.00", "ratio": "0.90", "start": "immediate"},
    ]}
    person = {"qualifications": [{"disease": c, "granted_on": "2024-02-01"} for c in ("HF", "SCZ", "X2", "DL")]}
    claims = [
        {"id": "b", "date": "2025-03-10", "lines": [{"disease": "DL", "amount": "20000.00", "covered": True}]},
        {"id": "a", "date": "2025-03-01", "lines": [
            {"disease": "HF", "amount": "1300.00", "covered": True},
            {"disease": "HF", "amount": "99.99", "covered": False, "item_code": "Z001"},
        ]},
        {"id": "z", "date": "2024-12-31", "lines": [{"disease": "SCZ", "amount": "10.00", "covered": True}]},
    ]
    out = calculate({"program": "chronic", "policy": policy, "person": person, "claims": claims})
    assert out["year_cap"] == "9200.00" and out["monthly_cap"] == "2300.00"
    assert [c["id"] for c in out["claims"]] == ["b", "a", "z"]
    b, a, z = out["claims"]
    assert b["payable"] == "18000.00"  # deductible already met by claim a (earlier date): 20,000 × 90%, no cap
    assert {k: a["lines"][0][k] for k in ("payable", "reasons")} == {"payable": "750.00", "reasons": [
        "deductible: 300.00 applied to the yearly deductible", "ratio: fund pays 75% (patient share 250.00)"]}
    assert a["lines"][0]["reason_codes"] == [
        {"code": "deductible", "detail": "300.00 applied to the yearly deductible", "params": {"applied": "300.00"}},
        {"code": "ratio", "detail": "fund pays 75% (patient share 250.00)",
         "params": {"percent": "75", "patient_share": "250.00"}}]
    assert a["lines"][1]["payable"] == "0.00" and a["lines"][1]["reason_codes"][0]["code"] == "not_covered"
    assert [r["code"] for r in z["lines"][0]["reason_codes"]] == ["outside_policy_year"]
    assert out["total_payable"] == "18750.00"


def test_only_uncapped_diseases_give_null_caps() -> None:
    data = case()
    data["policy"]["diseases"][0]["annual_cap"] = None
    out = calculate(data)
    assert out["year_cap"] is None and out["monthly_cap"] is None
    assert out["claims"][0]["payable"] == "400.00"


def test_exact_json_numbers_are_accepted() -> None:
    data = json.loads(json.dumps(case(), default=str).replace('"500.00"', "500.10"), parse_float=Decimal)
    assert calculate(data)["claims"][0]["payable"] == "400.08"


def _bad(path: str, value: Any, *, drop: bool = False) -> dict[str, Any]:
    """The example with the value at a dotted path (list indexes as [n]) replaced or removed."""
    data = case()
    keys = path.replace("[", ".").replace("]", "").split(".")
    target: Any = data
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = int(keys[-1]) if keys[-1].isdigit() else keys[-1]
    if drop:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(("data", "field"), [
    (_bad("claims[0].lines[0].amount", "-1.00"), "claims[0].lines[0].amount"),
    (_bad("claims[0].lines[0].amount", "1.005"), "claims[0].lines[0].amount"),
    (_bad("claims[0].lines[0].amount", "abc"), "claims[0].lines[0].amount"),
    (_bad("claims[0].lines[0].amount", "1e40"), "claims[0].lines[0].amount"),
    (_bad("claims[0].lines[0].amount", 10**13), "claims[0].lines[0].amount"),
    (_bad("claims[0].lines[0].amount", True), "claims[0].lines[0].amount"),
    (_bad("claims[0].lines[0].amount", 500.0), "claims[0].lines[0].amount"),
    (_bad("claims[0].lines[0].amount", None, drop=True), "claims[0].lines[0].amount"),
    (_bad("claims[0].lines[0].covered", "yes"), "claims[0].lines[0].covered"),
    (_bad("claims[0].lines[0].disease", None, drop=True), "claims[0].lines[0].disease"),
    (_bad("claims[0].date", "03/06/2025"), "claims[0].date"),
    (_bad("claims[0].date", "2025-02-30"), "claims[0].date"),
    (_bad("claims[0].id", ""), "claims[0].id"),
    (_bad("claims[0].lines", "none"), "claims[0].lines"),
    (_bad("claims", {}), "claims"),
    (_bad("person.qualifications[0].granted_on", "yesterday"), "person.qualifications[0].granted_on"),
    (_bad("person.qualifications[0].disease", "XYZ"), "person.qualifications[0].disease"),
    (_bad("person", None, drop=True), "person"),
    (_bad("policy.year", "2025"), "policy.year"),
    (_bad("policy.monthly_cap_multiple", None, drop=True), "policy.monthly_cap_multiple"),
    (_bad("policy.second_disease_weight", "x"), "policy.second_disease_weight"),
    (_bad("policy.diseases[0].start", "later"), "policy.diseases[0].start"),
    (_bad("policy.diseases[0].ratio", "1.01"), "policy.diseases[0].ratio"),
    (_bad("policy.diseases[0].deductible", "-5"), "policy.diseases[0].deductible"),
    (_bad("policy.diseases[0].annual_cap", "3600.123"), "policy.diseases[0].annual_cap"),
    (_bad("policy.diseases[0].annual_cap", None, drop=True), "policy.diseases[0].annual_cap"),
    (_bad("program", "nursing"), "program"),
    (_bad("program", None, drop=True), "program"),
])
def test_bad_input_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        calculate(data)
    assert err.value.field == field


def test_duplicate_claim_ids_name_the_second() -> None:
    data = case()
    data["claims"] = [*data["claims"], {**data["claims"][0]}, {**data["claims"][0], "id": "c2"},
                      {**data["claims"][0], "id": "c2"}]
    with pytest.raises(InvalidInput) as err:
        calculate(data)
    assert err.value.field == "claims[1].id"


def test_a_case_that_is_not_an_object() -> None:
    with pytest.raises(InvalidInput):
        calculate([])  # type: ignore[arg-type]


# ---- CLI --------------------------------------------------------------------------------------------------------


def test_cli_reads_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    assert main([str(path)]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == EXPECTED and out.err == ""
    assert out.out.startswith('{\n  "year_cap": "2100.00",')  # indent 2, keys in the documented order


def test_cli_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(EXAMPLE)))
    assert main([]) == 0
    assert json.loads(capsys.readouterr().out) == EXPECTED
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(EXAMPLE)))
    assert main(["-"]) == 0
    assert json.loads(capsys.readouterr().out) == EXPECTED


def test_cli_keeps_chinese_readable(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = case()
    data["claims"][0]["id"] = "门诊-1"
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(data)))
    assert main([]) == 0
    assert '"门诊-1"' in capsys.readouterr().out


def _error(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    out = capsys.readouterr()
    assert out.out == ""
    return json.loads(out.err)["error"]


def test_cli_invalid_input_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(_bad("claims[0].lines[0].amount", "1.234"))))
    assert main([]) == 2
    error = _error(capsys)
    assert error["field"] == "claims[0].lines[0].amount" and "two decimals" in error["message"]


@pytest.mark.parametrize("text", ["{not json", '{"program": "chronic", "x": NaN}', ""])
def test_cli_bad_json_exits_2(text: str, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    assert main([]) == 2
    error = _error(capsys)
    assert error["message"].startswith("invalid JSON") and error["field"] is None


def test_cli_missing_file_and_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "absent.json")]) == 2
    assert _error(capsys)["field"] == "file"
    assert main(["a.json", "b.json"]) == 2
    assert _error(capsys)["message"].startswith("usage")
