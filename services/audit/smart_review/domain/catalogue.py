"""The review catalogue (审核目录): each chargeable item with its kind and the limits the rules check — the maximum
price (最高限价), the sex or ages it is for, the maximum quantity a day, the drug's ingredient (通用名成分) and the
items a package includes (a package billed with its parts is 分解收费)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.audit.smart_review.domain.values import Reader, mapping, refuse, sequence

KINDS = ("drug", "service", "material", "bed", "goods")
SEXES = ("M", "F")
MAX_AGE = 150


@dataclass(frozen=True, slots=True)
class CatalogueItem:
    """One item (项目): `code`, `name`, `kind` (drug|service|material|bed|goods), and the optional limits."""

    code: str
    name: str
    kind: str
    max_price: Decimal | None = None
    sex: str | None = None
    min_age: int | None = None
    max_age: int | None = None
    max_daily_quantity: Decimal | None = None
    ingredient: str | None = None
    includes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "name": self.name, "kind": self.kind}
        for key in ("sex", "min_age", "max_age", "ingredient"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.max_price is not None:
            out["max_price"] = f"{self.max_price:.2f}"
        if self.max_daily_quantity is not None:
            out["max_daily_quantity"] = str(self.max_daily_quantity)
        if self.includes:
            out["includes"] = list(self.includes)
        return out


@dataclass(frozen=True)
class Catalogue:
    """The items by code, and the catalogue's version (recorded with every review made against it)."""

    items: Mapping[str, CatalogueItem]
    version: str = ""
    # code of an included item → the codes of the items that include it (分解收费's index)
    included_by: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.included_by:
            index: dict[str, list[str]] = {}
            for item in self.items.values():
                for part in item.includes:
                    index.setdefault(part, []).append(item.code)
            object.__setattr__(self, "included_by", {k: tuple(v) for k, v in index.items()})

    def get(self, code: str) -> CatalogueItem | None:
        return self.items.get(code)

    def __contains__(self, code: object) -> bool:
        return code in self.items

    def __iter__(self) -> Iterator[CatalogueItem]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    def to_json(self) -> list[dict[str, Any]]:
        return [item.to_json() for item in self.items.values()]


def parse_catalogue(data: object, field: str = "catalogue", *, version: str = "") -> Catalogue:
    """The catalogue from its JSON form (a list of items, as `jingban review` reads it); InvalidInput naming the
    field (`catalogue[3].kind`) for an item without code, name or kind, an unknown kind, a duplicate code, an
    `includes` naming no item of the catalogue, a reversed age range or a bad limit."""
    read = Reader()
    items: dict[str, CatalogueItem] = {}
    for i, raw in enumerate(sequence(data, field)):
        path = f"{field}[{i}]"
        obj = mapping(raw, path)
        code = read.text(obj, "code", path, code="catalogue_item_incomplete")
        name = read.text(obj, "name", path, code="catalogue_item_incomplete")
        if obj.get("kind") in (None, ""):
            raise refuse(f"{path}.kind is required ({'|'.join(KINDS)})", f"{path}.kind", "catalogue_item_incomplete")
        if obj["kind"] not in KINDS:
            raise refuse(f"{path}.kind must be one of {'|'.join(KINDS)}, not {obj['kind']!r}", f"{path}.kind",
                         "item_kind_unknown")
        assert code is not None and name is not None
        if code in items:
            raise refuse(f"{path}.code {code!r} is already in the catalogue", f"{path}.code",
                         "catalogue_code_duplicate")
        max_price = None if obj.get("max_price") in (None, "") else read.money(obj["max_price"], f"{path}.max_price")
        min_age = read.integer(obj.get("min_age"), f"{path}.min_age", 0, MAX_AGE)
        max_age = read.integer(obj.get("max_age"), f"{path}.max_age", 0, MAX_AGE)
        if min_age is not None and max_age is not None and min_age > max_age:
            raise refuse(f"{path}.min_age {min_age} is above max_age {max_age}", f"{path}.min_age",
                         "age_range_reversed")
        includes = tuple(sequence(obj.get("includes") or [], f"{path}.includes"))
        for j, part in enumerate(includes):
            if not isinstance(part, str) or not part:
                raise refuse(f"{path}.includes[{j}] must be an item code", f"{path}.includes[{j}]", "invalid_type")
        items[code] = CatalogueItem(
            code=code, name=name, kind=str(obj["kind"]), max_price=max_price,
            sex=read.choice(obj, "sex", path, SEXES, required=False),
            min_age=min_age, max_age=max_age,
            max_daily_quantity=read.quantity(obj.get("max_daily_quantity"), f"{path}.max_daily_quantity",
                                             required=False),
            ingredient=read.text(obj, "ingredient", path, required=False),
            includes=tuple(dict.fromkeys(includes)))
    # Parts are checked once every item is known: a package may come before its parts.
    for i, item in enumerate(items.values()):
        for j, part in enumerate(item.includes):
            if part not in items or part == item.code:
                raise refuse(f"{field}[{i}].includes[{j}]: {part!r} is not another item of the catalogue",
                             f"{field}[{i}].includes[{j}]", "include_unknown")
    return Catalogue(items, version)
