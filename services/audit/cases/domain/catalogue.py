"""The violation catalogue of the Karamay tender (二(一)2, 违规行为目录), as findings read it: each item's code, name
and group (定点医疗机构, 定点零售药店, 医保医师, 参保人员, 医保经办机构), and the catalogue's version — recorded with
every finding and amount that names an item. The file is programs/km-supervision/violation-catalogue.yaml (program.yaml
`supervision.catalogue`); this is a small loader of its codes, not its checklists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from chassis.errors import InvalidInput
from chassis.programs import PROGRAMS_DIR, load_program

PROGRAM = "km-supervision"
DEFAULT_FILE = "violation-catalogue.yaml"


@dataclass(frozen=True)
class Violation:
    """One item of the catalogue: its code (H01, P02, …), name and the group it belongs to."""

    code: str
    name: str
    group: str
    group_name: str


@dataclass(frozen=True)
class ViolationCatalogue:
    version: str
    items: Mapping[str, Violation]

    def item(self, code: str, field: str = "code") -> Violation:
        """The item of `code`; 422 `unknown_violation_code` naming the field when the catalogue has none."""
        found = self.items.get(code)
        if found is None:
            raise InvalidInput(f"{code!r} is not a code of the violation catalogue {self.version}", field,
                               code="unknown_violation_code", params={"catalogue_version": self.version})
        return found


def parse_catalogue(raw: Any) -> ViolationCatalogue:
    """`{version, groups: {group: {name, items: [{code, name}]}}}`; a catalogue without a version, or an item without
    a code or name, or a code twice, is refused naming it."""
    if not isinstance(raw, Mapping) or not raw.get("version") or not isinstance(raw.get("groups"), Mapping):
        raise InvalidInput("a violation catalogue has a version and groups", "catalogue")
    items: dict[str, Violation] = {}
    for group, spec in raw["groups"].items():
        entries = spec.get("items") if isinstance(spec, Mapping) else None
        if not isinstance(entries, list):
            raise InvalidInput(f"group {group} has no items", f"catalogue.groups.{group}")
        for n, item in enumerate(entries):
            where = f"catalogue.groups.{group}.items[{n}]"
            if not isinstance(item, Mapping) or not item.get("code") or not item.get("name"):
                raise InvalidInput("a catalogue item has a code and a name", where)
            code = str(item["code"])
            if code in items:
                raise InvalidInput(f"code {code} appears twice in the catalogue", where)
            items[code] = Violation(code, str(item["name"]), str(group), str(spec.get("name", group)))
    return ViolationCatalogue(str(raw["version"]), items)


@cache
def _read(path: Path) -> ViolationCatalogue:
    return parse_catalogue(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_catalogue(program: str = PROGRAM, root: Path = PROGRAMS_DIR) -> ViolationCatalogue:
    """The program's catalogue in force (program.yaml `supervision.catalogue`, the tender's by default)."""
    name = load_program(program, root).setting("supervision", "catalogue", DEFAULT_FILE)
    return _read(root / program / str(name))
