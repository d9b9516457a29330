"""The tree shows the design (issue 10): the import contracts themselves run as `lint-imports` in `make lint` and
`make test` (pyproject.toml [tool.importlinter]); what an import graph cannot see is checked here — collections and
Mongo operators appear only in a room's store, every service is main.py plus rooms, and tests mirror the tree."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "appraisal", "settlement", "audit", "archive")
# A Mongo operator as a string literal ("$set", '$in', "$inc" ...) or a collection reached by subscript.
_OPERATOR = re.compile(r"""["']\$[a-zA-Z]+["']""")
_COLLECTION = re.compile(r"(\bdb|\bdb\([^)]*\)|_db_for\([^)]*\)|_db)\[")


def _is_store(path: Path) -> bool:
    return path.stem == "store" or "store" in path.relative_to(ROOT).parts


def _modules() -> list[Path]:
    return sorted(p for s in SERVICES for p in (ROOT / "services" / s).rglob("*.py") if "__pycache__" not in p.parts)


def test_only_stores_touch_collections_and_mongo_operators() -> None:
    offenders = []
    for path in _modules():
        if _is_store(path):
            continue
        text = path.read_text(encoding="utf-8")
        for n, line in enumerate(text.splitlines(), 1):
            if _OPERATOR.search(line) or _COLLECTION.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == [], "collections and Mongo operators belong in a store.py:\n" + "\n".join(offenders)


def test_the_check_does_catch_a_collection_outside_a_store() -> None:
    assert _OPERATOR.search('await coll.update_one({"_id": x}, {"$set": doc})')
    assert _COLLECTION.search('await ctx.db(caller.tenant)["statements"].find_one()')


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_is_main_plus_capability_rooms(service: str) -> None:
    """Only main.py and __init__.py (and a README) at a service's top; every other module sits in a room, and every
    room says what it is in its docstring."""
    top = ROOT / "services" / service
    loose = sorted(p.name for p in top.glob("*.py") if p.name not in {"main.py", "__init__.py"})
    assert loose == [], f"{service}: modules outside a room: {loose}"
    rooms = [d for d in top.iterdir() if d.is_dir() and d.name != "__pycache__"]
    assert rooms, service
    for room in rooms:
        doc = (room / "__init__.py").read_text(encoding="utf-8").strip()
        assert doc.startswith('"""') and len(doc) > 20, f"{room.relative_to(ROOT)}/__init__.py says nothing"


def test_unit_tests_mirror_the_services() -> None:
    """tests/unit/<service>/<room>/: a unit test of a service's room lives under that room's folder."""
    loose = sorted(p.name for p in (ROOT / "tests" / "unit").glob("test_*.py")
                   if any(s in p.name for s in SERVICES))
    assert loose == [], f"unit tests of a service outside tests/unit/<service>/<room>/: {loose}"
    for service in SERVICES:
        folder = ROOT / "tests" / "unit" / service
        if not folder.exists():
            continue
        rooms = {d.name for d in (ROOT / "services" / service).iterdir() if d.is_dir() and d.name != "__pycache__"}
        for test in folder.rglob("test_*.py"):
            room = test.relative_to(folder).parts[0]
            assert room in rooms, f"{test.relative_to(ROOT)} is not under one of {service}'s rooms {sorted(rooms)}"


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:]
    assert "BROKEN" not in done.stdout and done.stdout.count("KEPT") >= 5


_DOORS = ("api.py", "rpc.py", "handlers.py")


def test_doors_open_a_tenant_only_through_its_scope() -> None:
    """HTTP, gRPC and event doors open a tenant's database through the TenantScope (chassis/scope.py), never
    `ctx.db(...)` with a tenant they picked themselves."""
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in _modules() if p.name in _DOORS
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "ctx.db(" in line]
    assert offenders == [], offenders


def test_one_of_each_workbook_and_money_parser() -> None:
    """Excel goes through chassis/workbook.py; amounts are parsed by chassis.money.parse_amount only."""
    sources = {p: p.read_text(encoding="utf-8") for d in ("services", "chassis", "jingban")
               for p in (ROOT / d).rglob("*.py") if "__pycache__" not in p.parts}
    workbooks = sorted(str(p.relative_to(ROOT)) for p, text in sources.items()
                       if re.search(r"from openpyxl import Workbook|openpyxl\.Workbook\(", text))
    assert workbooks == ["chassis/workbook.py"], workbooks
    parsers = re.compile(r"^def (_?parse_amount|_money|_amount|_yaml_money|_fen|_dec|_decimal|parse_yuan)\(", re.M)
    local = sorted(f"{p.relative_to(ROOT)}: {m}" for p, text in sources.items() if p.name != "money.py"
                   for m in parsers.findall(text))
    assert local == [], f"amount parsers besides chassis.money: {local}"
