"""The local realm (deploy/local/keycloak/jingban-realm.json) is what gen_realm.py writes: edit the generator."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "deploy" / "local" / "keycloak" / "gen_realm.py"


def test_the_committed_realm_is_the_generated_one() -> None:
    spec = importlib.util.spec_from_file_location("gen_realm", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    committed = json.loads((ROOT / "deploy" / "local" / "keycloak" / "jingban-realm.json").read_text("utf-8"))
    assert committed == module.realm(), "run `python deploy/local/keycloak/gen_realm.py`"
    users = {u["username"] for u in committed["users"]}
    assert {"hz-p1-clerk", "qz-ci-supervisor", "service-account-jingban-intake"} <= users
