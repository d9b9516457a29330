"""Every JSON error and every benefit line carries a stable code from a catalogue (issue 10): this walks the
catalogues — chassis.errors.ERRORS, provincial.errors.ERRORS, agency.errors.ERRORS and each room's
`domain/reasons.py` (REASONS, a ReasonCatalogue, and ERRORS) — and checks that each code is documented (has a
description), is used somewhere outside its catalogue, and that every code the code base can answer with is in one."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import services
from agency import errors as agency_errors
from chassis import errors as chassis_errors
from chassis.errors import JingbanError
from chassis.reasons import ReasonCatalogue
from provincial import errors as provincial_errors

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("services", "chassis", "provincial", "agency", "jingban")


def _all_modules() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(services.__path__, "services."):
        yield importlib.import_module(info.name)


def _catalogue_modules() -> list[ModuleType]:
    return [importlib.import_module(".".join(p.relative_to(ROOT).with_suffix("").parts))
            for p in sorted((ROOT / "services").rglob("domain/reasons.py"))]


def catalogues() -> dict[str, tuple[Path, dict[str, str]]]:
    """name → (file, {code: description})."""
    out: dict[str, tuple[Path, dict[str, str]]] = {
        "chassis errors": (ROOT / "chassis" / "errors.py", chassis_errors.ERRORS),
        "provincial errors": (ROOT / "provincial" / "errors.py", provincial_errors.ERRORS),
        "agency errors": (ROOT / "agency" / "errors.py", agency_errors.ERRORS),
    }
    for module in _catalogue_modules():
        path = Path(module.__file__ or "")
        reasons = getattr(module, "REASONS", None)
        if reasons is not None:
            assert isinstance(reasons, ReasonCatalogue), module.__name__
            out[f"{module.__name__} REASONS"] = (path, dict(reasons.codes))
        for name, value in vars(module).items():
            if isinstance(value, ReasonCatalogue) and value is not reasons:
                out[f"{module.__name__} {name}"] = (path, dict(value.codes))
        out[f"{module.__name__} ERRORS"] = (path, dict(getattr(module, "ERRORS", {}) or {}))
    return out


def _sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for d in SOURCES for p in (ROOT / d).rglob("*.py")
            if "__pycache__" not in p.parts}


def _error_classes() -> set[type[JingbanError]]:
    for _ in _all_modules():
        pass
    importlib.import_module("provincial.client") if (ROOT / "provincial" / "client.py").exists() else None
    importlib.import_module("agency.client") if (ROOT / "agency" / "client.py").exists() else None
    seen: set[type[JingbanError]] = set()
    todo = [JingbanError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub not in seen and sub.__module__.split(".")[0] in SOURCES:
                seen.add(sub)
                todo.append(sub)
    return seen


def test_every_room_with_reasons_keeps_a_catalogue() -> None:
    assert _catalogue_modules(), "no domain/reasons.py anywhere"
    for service in ("intake", "appraisal", "settlement"):
        assert any(m.__name__.startswith(f"services.{service}.") for m in _catalogue_modules()), service


def test_every_code_is_documented_and_used() -> None:
    sources = _sources()
    classes = _error_classes()
    class_codes = {cls.code for cls in classes} | {JingbanError.code}
    undocumented, unused = [], []
    for name, (path, codes) in catalogues().items():
        # A vocabulary the caller chooses from (e.g. an inspector's carrier_reason) is used whole: validated
        # against the catalogue's codes by a module that imports it.
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        vocabulary = any(module in text and re.search(r"\bREASONS\.codes\b", text)
                         for p, text in sources.items() if p != path)
        for code, description in codes.items():
            assert re.fullmatch(r"[a-z][a-z0-9_]*", code), f"{name}: {code!r} is not a stable snake_case code"
            if not str(description).strip():
                undocumented.append(f"{name}: {code}")
            if code in class_codes or (vocabulary and name.endswith("REASONS")):
                continue
            literal = re.compile(rf"""["']{re.escape(code)}["']""")
            if not any(literal.search(text) for p, text in sources.items() if p != path):
                unused.append(f"{name}: {code}")
    assert undocumented == [], undocumented
    assert unused == [], f"codes in a catalogue that nothing gives: {unused}"


def test_every_error_code_answered_is_in_a_catalogue() -> None:
    known = {code for _, codes in catalogues().values() for code in codes}
    missing = sorted({f"{cls.__module__}.{cls.__name__} → {cls.code}" for cls in _error_classes()
                      if cls.code not in known})
    assert missing == [], f"error classes whose code no catalogue documents: {missing}"
    given = re.compile(r"""\bcode=["']([a-z_0-9]+)["']""")
    stray = sorted({f"{p.relative_to(ROOT)}: {m}" for p, text in _sources().items() for m in given.findall(text)
                    if m not in known})
    assert stray == [], f"code=... given but in no catalogue: {stray}"


@pytest.mark.parametrize("answer", ["interrupted", "unavailable"])
def test_the_chassis_answers_outside_exceptions_are_catalogued(answer: str) -> None:
    assert answer in chassis_errors.ERRORS
