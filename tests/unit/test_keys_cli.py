"""`jingban keys rotate|reseal` (jingban/keys_cli.py): a rotation adds a version and prints only its id; a reseal
moves every sealed value (and what was stored clear, and archive's export zips) to the newest key, re-indexes, and
changes nothing the second time. The MongoDB store is stood in for by the in-memory one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chassis.keys import KeyProvider
from chassis.pii import Sealer, key_id_of, sealer_of, with_sealer
from chassis.store.memory import MemoryStore
from jingban import keys_cli
from jingban.cli import main
from services.archive.person_files.store import EntryStore
from services.intake.applications.store import ApplicationStore

TENANT, PERSON = "hz-p1", "61072119620425002X"


class _Mongo:
    """What reseal opens (chassis.store.mongo.MongoStore), over one in-memory store."""

    memory = MemoryStore()

    def __init__(self, uri: str, prefix: str = "jb") -> None:
        pass

    def database(self, service: str, tenant: str) -> Any:
        return self.memory.database(service, tenant)

    async def close(self) -> None:
        return None


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("JINGBAN_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("JINGBAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MONGODB_URI", "mongodb://stand-in")
    monkeypatch.setenv("JINGBAN_TENANTS", TENANT)
    monkeypatch.setattr("chassis.store.mongo.MongoStore", _Mongo)
    _Mongo.memory = MemoryStore()
    return tmp_path


def test_rotate_prints_the_new_key_id_only(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    KeyProvider(env / "keys").current("pii", TENANT)
    assert main(["keys", "rotate", "--purpose", "pii", "--tenant", TENANT]) == 0
    assert json.loads(capsys.readouterr().out) == {"rotated": "pii/hz-p1/v2"}
    assert (env / "keys" / "pii" / TENANT / "v2.key").is_file()
    assert main(["keys", "rotate", "--purpose", "pii", "--tenant", "Not A Tenant"]) == 2


async def test_reseal_moves_everything_to_the_newest_key(env: Path) -> None:
    keys = KeyProvider(env / "keys")
    intake = with_sealer(_Mongo.memory.database("intake", TENANT), Sealer(keys, TENANT))
    archive = with_sealer(_Mongo.memory.database("archive", TENANT), Sealer(keys, TENANT))
    await ApplicationStore(intake).add_application({"_id": "a1", "person_id": PERSON, "person_name": "张建国",
                                                    "status": "submitted", "timeline": [], "documents": []}, [])
    await intake.applications.insert_one({"_id": "a0", "person_id": PERSON, "person_name": "张建国"})  # clear
    await EntryStore(archive).file([{"_id": "e1", "person_id": PERSON, "kind": "application", "title": "t",
                                     "occurred_at": "2025-06-01T00:00:00+00:00", "attributes": {"a": "b"}}])
    folder = env / "data" / "exports" / TENANT
    folder.mkdir(parents=True)
    (folder / "x1.zip").write_bytes(sealer_of(archive).seal_bytes(b"PK zip"))
    keys.rotate("pii", TENANT)

    counts = await keys_cli.reseal(["intake", "archive"], None)
    assert counts["intake/hz-p1/applications"] == 2 and counts["archive/hz-p1/entries"] == 1
    assert counts["archive/hz-p1/exports"] == 1
    assert set((await keys_cli.reseal(["intake", "archive"], None)).values()) == {0}  # nothing left to do

    fresh = Sealer(keys, TENANT)
    for raw in await intake.applications.find({}).to_list(None):
        assert key_id_of(raw["person_name"]) == "pii/hz-p1/v2"
    found = await ApplicationStore(with_sealer(intake, fresh)).applications(None, PERSON, 10)
    assert {a["_id"] for a in found} == {"a0", "a1"} and {a["person_name"] for a in found} == {"张建国"}
    zipped = (folder / "x1.zip").read_bytes()
    assert key_id_of(zipped) == "pii/hz-p1/v2" and fresh.open(zipped) == b"PK zip"


def test_reseal_refuses_without_a_mongodb_store(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MONGODB_URI")
    assert main(["keys", "reseal", "--service", "intake"]) == 2
