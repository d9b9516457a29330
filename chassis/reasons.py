"""Reasons as data (理由): why an amount is what it is, why an application was refused — a stable `code` clients
and tests read, a `detail` people read, and the `params` the detail was made from. Each room keeps its catalogue
of codes in `domain/reasons.py`; a code not in the catalogue cannot be given."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    code: str
    detail: str = ""
    params: Mapping[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        """The sentence callers printed before reasons were data: `code: detail`."""
        return f"{self.code}: {self.detail}" if self.detail else self.code

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "detail": self.detail, "params": dict(self.params)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        return cls(str(data["code"]), str(data.get("detail", "")),
                   {str(k): str(v) for k, v in (data.get("params") or {}).items()})


class UnknownReason(ValueError):
    """A programming error: a code that is not in the room's catalogue."""


@dataclass(frozen=True)
class ReasonCatalogue:
    """One program's (or room's) codes, each with what it means: the documentation clients read."""

    name: str
    codes: Mapping[str, str]

    def __post_init__(self) -> None:
        empty = [code for code, text in self.codes.items() if not str(text).strip()]
        if empty:
            raise UnknownReason(f"{self.name}: codes without a description: {empty}")

    def reason(self, code: str, detail: str = "", **params: object) -> Reason:
        if code not in self.codes:
            raise UnknownReason(f"{code!r} is not a reason code of {self.name}")
        return Reason(code, detail, {k: str(v) for k, v in params.items()})

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __iter__(self) -> Any:
        return iter(self.codes)


def sentences(reasons: Iterable[Reason]) -> list[str]:
    return [str(r) for r in reasons]


def as_json(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    return [r.to_json() for r in reasons]
