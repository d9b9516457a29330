"""Breach-handling suggestions (违约处理建议) for what a patrol finds: a data table, finding code → name, suggestion and
actions (programs/wz-ltc/patrol-findings-*.yaml, a labelled SAMPLE until the agency's rules are loaded). A patrol
shows each finding's suggestion and, per institution, the actions of all its findings together, the gravest last."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput

PROGRAMS_DIR = Path(__file__).resolve().parents[4] / "programs"
DEFAULT_TABLE = "patrol-findings-sample.yaml"


@dataclass(frozen=True)
class FindingKind:
    code: str
    name: str
    suggestion: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class SuggestionTable:
    version: str
    label: str
    actions: Mapping[str, str]  # action → its name, in order of gravity (mildest first)
    findings: Mapping[str, FindingKind]

    def kind(self, code: str, field: str) -> FindingKind:
        found = self.findings.get(code)
        if found is None:
            raise InvalidInput(f"unknown finding code {code!r}; one of {', '.join(sorted(self.findings))}", field,
                               code="unknown_finding_code")
        return found

    def gravity(self, action: str) -> int:
        return list(self.actions).index(action)


def parse_table(raw: Any) -> SuggestionTable:
    if not isinstance(raw, Mapping) or not raw.get("version") or not isinstance(raw.get("findings"), Mapping) \
            or not isinstance(raw.get("actions"), Mapping):
        raise InvalidInput("a breach-handling table has a version, actions and findings", "patrol_findings")
    actions = {str(k): str(v) for k, v in raw["actions"].items()}
    findings = {}
    for code, spec in raw["findings"].items():
        listed = tuple(str(a) for a in (spec or {}).get("actions") or ())
        if not listed or any(a not in actions for a in listed) or not (spec or {}).get("suggestion"):
            raise InvalidInput(f"finding {code} needs a suggestion and known actions", f"findings.{code}")
        findings[str(code)] = FindingKind(str(code), str(spec.get("name", code)), str(spec["suggestion"]), listed)
    return SuggestionTable(str(raw["version"]), str(raw.get("label", "")), actions, findings)


@cache
def load_table(name: str = DEFAULT_TABLE, root: Path = PROGRAMS_DIR) -> SuggestionTable:
    return parse_table(yaml.safe_load((root / "wz-ltc" / name).read_text(encoding="utf-8")))


def finding_view(table: SuggestionTable, finding: Mapping[str, Any]) -> dict[str, Any]:
    kind = table.findings.get(str(finding["code"]))
    return {**finding, "name": kind.name if kind else finding["code"],
            "suggestion": kind.suggestion if kind else "", "actions": list(kind.actions) if kind else []}


def suggestions(table: SuggestionTable, findings: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """处理建议 per institution: its findings' codes and every action they call for (each once, mildest first), with
    the table's version."""
    by_institution: dict[str, list[Mapping[str, Any]]] = {}
    for f in findings:
        by_institution.setdefault(str(f["institution_id"]), []).append(f)
    out = []
    for institution, found in sorted(by_institution.items()):
        kinds = [table.findings[str(f["code"])] for f in found if str(f["code"]) in table.findings]
        actions = sorted({a for k in kinds for a in k.actions}, key=table.gravity)
        out.append({"institution_id": institution, "findings": [k.code for k in kinds],
                    "actions": [{"action": a, "name": table.actions[a]} for a in actions],
                    "suggestion": "; ".join(dict.fromkeys(k.suggestion for k in kinds)),
                    "table_version": table.version, "table_label": table.label})
    return out
