"""The review rules as data (审核规则): each rule's code (part of the contract: hits, holds and refusals carry it),
its Chinese term, what it reads from the catalogue and the settings, and the settings themselves with their
defaults — a program's rule set (programs/<program>/review-rules.yaml) chooses the values and the rules enabled.
The checks themselves are in checks.py, one function per rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chassis.errors import InvalidInput
from services.audit.smart_review.domain.reasons import REASONS
from services.audit.smart_review.domain.values import Reader, mapping, refuse, sequence


@dataclass(frozen=True)
class Rule:
    """One rule: `code`, its Chinese `term`, the catalogue fields and settings it reads, and what it flags."""

    code: str
    term: str
    reads: tuple[str, ...]
    hit_on: str

    @property
    def description(self) -> str:
        return REASONS.codes[self.code]

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "term": self.term, "reads": list(self.reads), "hit_on": self.hit_on,
                "description": self.description}


# In the order of the issue; hits are listed in this order.
RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("over_price", "超标准收费", ("catalogue.max_price",), "each line priced above the maximum"),
    Rule("duplicate_charge", "重复收费", (), "every line of the group (one hit per group)"),
    Rule("unbundling", "分解收费", ("catalogue.includes",),
         "the included item's lines of that person, institution and date"),
    Rule("sex_restricted", "限性别", ("catalogue.sex",), "each line"),
    Rule("age_restricted", "限年龄", ("catalogue.min_age", "catalogue.max_age"), "each line"),
    Rule("over_quantity", "超量", ("catalogue.max_daily_quantity",),
         "every line of the person's item on that date (one hit per person, item and date)"),
    Rule("duplicate_medication", "重复用药", ("catalogue.ingredient", "lines.days_supply"),
         "each later line and the earlier supply it overlaps most (one hit per later line)"),
    Rule("split_admission", "分解住院", ("settings.readmission_days",), "the later stay's claim, all its lines"),
    Rule("phantom_bed", "挂床住院", ("catalogue.kind",), "that day's bed lines"),
    Rule("non_medical_goods", "药店销售非医保物品", ("catalogue.kind",), "each line"),
    Rule("card_pooling", "聚敛刷卡", ("settings.pooling_persons", "settings.pooling_minutes"),
         "every claim in a qualifying window, all its lines"),
)}

# setting → (default, lowest, highest)
SETTINGS: dict[str, tuple[int, int, int]] = {
    "readmission_days": (15, 0, 365),
    "pooling_persons": (5, 2, 10000),
    "pooling_minutes": (10, 1, 1440),
}


@dataclass(frozen=True)
class Settings:
    """The rules' parameters, and the rules enabled (all of them unless a rule set says otherwise)."""

    readmission_days: int = SETTINGS["readmission_days"][0]
    pooling_persons: int = SETTINGS["pooling_persons"][0]
    pooling_minutes: int = SETTINGS["pooling_minutes"][0]
    rules: frozenset[str] = field(default_factory=lambda: frozenset(RULES))

    def to_json(self) -> dict[str, Any]:
        return {"readmission_days": self.readmission_days, "pooling_persons": self.pooling_persons,
                "pooling_minutes": self.pooling_minutes, "rules": [r for r in RULES if r in self.rules]}


def parse_settings(data: object, field: str = "settings") -> Settings:
    """Settings from their JSON form: any of readmission_days, pooling_persons, pooling_minutes (whole numbers in
    range) and `rules` (the rule codes enabled); absent ones take their defaults, an unknown name is refused."""
    if data is None:
        return Settings()
    obj: Mapping[str, Any] = mapping(data, field)
    values: dict[str, Any] = {}
    for name, raw in obj.items():
        if name == "rules":
            codes = sequence(raw, f"{field}.rules")
            for j, code in enumerate(codes):
                if code not in RULES:
                    raise refuse(f"{field}.rules[{j}]: {code!r} is not a rule ({', '.join(RULES)})",
                                 f"{field}.rules[{j}]", "unknown_rule")
            values["rules"] = frozenset(codes)
        elif name in SETTINGS:
            _, low, high = SETTINGS[name]
            try:
                values[name] = Reader.integer(raw, f"{field}.{name}", low, high, required=True)
            except InvalidInput as exc:
                raise refuse(f"{field}.{name} must be a whole number from {low} to {high}: {raw!r}",
                             f"{field}.{name}", "invalid_setting") from exc
        else:
            raise refuse(f"{field}.{name} is not a setting of the rules ({', '.join([*SETTINGS, 'rules'])})",
                         f"{field}.{name}", "unknown_setting")
    return Settings(**values)
