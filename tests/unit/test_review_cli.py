"""`jingban review` as a user runs it: a file or stdin, the hits as JSON, exit 2 with the field for bad input; and the
README's example exactly as shown."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from jingban import cli, review_cli

JINGBAN = [sys.executable, "-m", "jingban.cli"]
README = Path(__file__).resolve().parents[2] / "README.md"

# The example, its placeholders filled in: one inpatient claim, one line above the item's maximum price.
EXAMPLE: dict[str, Any] = {
    "settings": {"readmission_days": 15, "pooling_persons": 5, "pooling_minutes": 10},
    "catalogue": [{"code": "D001", "name": "二甲双胍片", "kind": "drug", "max_price": "12.50", "sex": "F",
                   "min_age": 0, "max_age": 14, "max_daily_quantity": "3", "ingredient": "metformin",
                   "includes": ["S010"]},
                  {"code": "S010", "name": "血红蛋白测定", "kind": "service"}],
    "claims": [{"claim_id": "c1", "institution": "H01", "institution_kind": "hospital", "person_id": "p1", "sex": "M",
                "birth_date": "1950-03-01", "kind": "inpatient", "admitted_on": "2025-03-01",
                "discharged_on": "2025-03-09", "settled_at": "2025-03-09T10:22:00",
                "lines": [{"line_id": "c1-1", "item_code": "D001", "date": "2025-03-02", "quantity": "2",
                           "unit_price": "13.00", "amount": "26.00", "days_supply": 30}]}]}


def _check_shape(out: dict[str, Any]) -> None:
    assert set(out) == {"hits", "summary"}
    for hit in out["hits"]:
        assert {"rule", "claim_id", "line_ids", "amount", "reason"} <= set(hit)
        assert re.fullmatch(r"[0-9]+\.[0-9]{2}", hit["amount"])
        assert hit["reason"]["code"] == hit["rule"] and hit["reason"]["detail"]
        assert hit["hit_id"].startswith(hit["rule"] + "-")


def test_review_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(EXAMPLE, ensure_ascii=False), encoding="utf-8")
    by_file = subprocess.run([*JINGBAN, "review", str(path)], capture_output=True, text=True, check=True)
    by_stdin = subprocess.run([*JINGBAN, "review"], input=json.dumps(EXAMPLE), capture_output=True, text=True,
                              check=True)
    assert by_file.stdout == by_stdin.stdout and by_file.stderr == ""
    out = json.loads(by_file.stdout)
    _check_shape(out)
    # a man of 75 given an item for girls up to 14, at 13.00 against 12.50
    assert [(h["rule"], h["claim_id"], h["line_ids"], h["amount"]) for h in out["hits"]] == [
        ("over_price", "c1", ["c1-1"], "1.00"), ("sex_restricted", "c1", ["c1-1"], "26.00"),
        ("age_restricted", "c1", ["c1-1"], "26.00")]
    assert out["summary"]["over_price"] == 1 and out["summary"]["card_pooling"] == 0 and len(out["summary"]) == 11


def test_main_reads_stdin_and_writes_the_result(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(EXAMPLE)))
    assert cli.main(["review"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["hits"]) == 3
    sink = io.StringIO()
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({**EXAMPLE, "claims": []})))
    assert review_cli.main([], out=sink) == 0
    assert json.loads(sink.getvalue()) == {"hits": [], "summary": {r: 0 for r in out["summary"]}}


@pytest.mark.parametrize(("text", "field", "code"), [
    ("{not json", None, "invalid_json"),
    ('{"catalogue": [], "claims": [], "amount": NaN}', None, "invalid_json"),
    (json.dumps({**EXAMPLE, "settings": {"readmission_days": 15, "pooling_window": 10}}), "settings.pooling_window",
     "unknown_setting"),
    (json.dumps({**EXAMPLE, "catalogue": [{"name": "x", "kind": "drug"}]}), "catalogue[0].code",
     "catalogue_item_incomplete"),
    (json.dumps(EXAMPLE).replace('"26.00"', '"25.00"'), "claims[0].lines[0].amount", "amount_mismatch"),
    (json.dumps(EXAMPLE).replace('"discharged_on": "2025-03-09"', '"discharged_on": "2025-02-09"'),
     "claims[0].discharged_on", "stay_reversed"),
    (json.dumps(EXAMPLE).replace('"13.00"', "13.001"), "claims[0].lines[0].unit_price", "invalid_amount"),
])
def test_bad_input_exits_2_with_the_field_and_code(text: str, field: str | None, code: str) -> None:
    r = subprocess.run([*JINGBAN, "review"], input=text, capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == ""
    error = json.loads(r.stderr)["error"]
    assert (error["field"], error["code"]) == (field, code) and error["message"]


def test_a_json_number_is_read_as_a_decimal_never_a_float(capsys: Any, tmp_path: Path) -> None:
    text = json.dumps(EXAMPLE).replace('"13.00"', "13.00").replace('"26.00"', "26.00")
    path = tmp_path / "numbers.json"
    path.write_text(text, encoding="utf-8")
    assert review_cli.main([str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["hits"][0]["amount"] == "1.00"


def test_an_unreadable_file_and_bad_arguments_exit_2(tmp_path: Path, capsys: Any) -> None:
    assert review_cli.main([str(tmp_path / "missing.json")]) == 2
    assert json.loads(capsys.readouterr().err)["error"]["field"] == "file"
    assert review_cli.main(["a.json", "b.json"]) == 2
    assert "usage" in json.loads(capsys.readouterr().err)["error"]["message"]


def test_an_error_never_quotes_the_person(capsys: Any, tmp_path: Path) -> None:
    person = "610702195803120012"
    data = json.loads(json.dumps(EXAMPLE))
    data["claims"][0].update(person_id=person, birth_date="1958-03-12")
    data["claims"][0]["lines"][0]["date"] = "1950-01-01"  # before the birth date
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert review_cli.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert json.loads(err)["error"]["code"] == "line_before_birth" and person not in err


def test_the_readme_example_prints_what_the_readme_shows(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## `jingban review`", 1)[1].split("\n## ", 1)[0]
    given = re.search(r"cat > review\.json <<'EOF'\n(.*?)\nEOF\n", section, re.S)
    shown = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert given and shown
    path = tmp_path / "review.json"
    path.write_text(given.group(1), encoding="utf-8")
    console = Path(sys.executable).with_name("jingban")  # the installed entry point, as the README runs it
    run = subprocess.run([str(console), "review", str(path)], capture_output=True, text=True, check=True)
    assert run.stdout.rstrip("\n") == shown.group(1)
    _check_shape(json.loads(run.stdout))
