"""The violation catalogue (违规行为目录) of the Karamay tender (二(一)2) as data: every item coded (hospitals H01…,
pharmacies P01…, insurance doctors D01…, insured persons I01…, the agency A01…), its Chinese and English name and the
smart-review rules (智能审核) whose hits point at it; and which groups an inspection of each kind of institution checks
(its checklist, 检查清单). A finding's code must be an item of its institution's checklist. Pure, apart from reading
the versioned file from the programs directory."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from services.audit.inspections.domain.settings import KINDS

PROGRAMS_DIR = Path(__file__).resolve().parents[4] / "programs"
PROGRAM = "km-supervision"
CODE = re.compile(r"^[A-Z][0-9]{2}$")
GROUP_PREFIX = {"hospital": "H", "pharmacy": "P", "doctor": "D", "insured": "I", "agency": "A"}


@dataclass(frozen=True)
class Item:
    code: str
    group: str          # hospital | pharmacy | doctor | insured | agency
    group_name: str     # 定点医疗机构, …
    name: str
    en: str
    rules: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "group": self.group, "group_name": self.group_name, "name": self.name,
                "en": self.en, "rules": list(self.rules)}


@dataclass(frozen=True)
class Catalogue:
    version: str
    source: str
    items: Mapping[str, Item]                   # code → item, in the catalogue's order
    checklists: Mapping[str, tuple[str, ...]]   # institution kind → groups checked

    def checklist(self, kind: str) -> list[Item]:
        """The items an inspection of this kind of institution answers, in the catalogue's order."""
        groups = self.checklists.get(kind, ())
        return [i for i in self.items.values() if i.group in groups]

    def valid_for(self, kind: str, code: str) -> bool:
        item = self.items.get(code)
        return item is not None and item.group in self.checklists.get(kind, ())

    def codes_of_rule(self, rule: str) -> list[str]:
        """The items a smart-review rule's hit points at."""
        return [i.code for i in self.items.values() if rule in i.rules]


def parse_catalogue(data: Mapping[str, Any]) -> Catalogue:
    """The catalogue file as data; a malformed one raises ValueError (it is part of the release)."""
    items: dict[str, Item] = {}
    for group, body in dict(data["groups"]).items():
        prefix = GROUP_PREFIX.get(str(group))
        if prefix is None:
            raise ValueError(f"unknown group {group!r}: the groups are {', '.join(GROUP_PREFIX)}")
        for n, raw in enumerate(body["items"], start=1):
            code = str(raw["code"])
            if not CODE.match(code) or code != f"{prefix}{n:02d}":
                raise ValueError(f"{group} item {n} is coded {code!r}, expected {prefix}{n:02d}")
            if code in items:
                raise ValueError(f"code {code} is listed twice")
            if not str(raw.get("name", "")).strip() or not str(raw.get("en", "")).strip():
                raise ValueError(f"{code} needs its Chinese and English name")
            items[code] = Item(code, str(group), str(body["name"]), str(raw["name"]), str(raw["en"]),
                               tuple(str(r) for r in raw.get("rules") or ()))
    checklists = {str(k): tuple(str(g) for g in v) for k, v in dict(data["checklists"]).items()}
    if set(checklists) != set(KINDS):
        raise ValueError(f"checklists are given for exactly {', '.join(KINDS)}")
    unknown = sorted({g for gs in checklists.values() for g in gs} - set(GROUP_PREFIX))
    if unknown:
        raise ValueError(f"checklists name unknown groups {unknown}")
    return Catalogue(str(data["version"]), str(data.get("source", "")), items, checklists)


def load_catalogue(name: str = "violation-catalogue.yaml", program: str = PROGRAM,
                   root: Path = PROGRAMS_DIR) -> Catalogue:
    return parse_catalogue(yaml.safe_load((root / program / name).read_text(encoding="utf-8")))
