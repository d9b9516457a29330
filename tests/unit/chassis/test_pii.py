"""Personal data sealed per tenant (chassis/pii.py): a round trip, another tenant's value does not open, rotation
keeps old values readable and `reseal` moves them to the newest key, tampering is caught, and the blind index is
deterministic per tenant and different across tenants."""

from __future__ import annotations

from pathlib import Path

import pytest

from chassis.keys import KeyProvider, MemoryKeyProvider
from chassis.pii import (
    NoSealer,
    SealBroken,
    Sealed,
    Sealer,
    blind_index,
    is_sealed,
    key_id_of,
    reseal_collection,
    sealer_of,
    with_sealer,
)
from chassis.store.memory import MemoryStore

ID = "61072119620425002x"


@pytest.fixture
def keys(tmp_path: Path) -> KeyProvider:
    return KeyProvider(tmp_path / "keys")


def test_text_and_bytes_round_trip(keys: KeyProvider) -> None:
    s = Sealer(keys, "hz-p1")
    sealed = s.seal("张建国")
    assert isinstance(sealed, str) and sealed.startswith("pii:1:pii/hz-p1/v1:") and "张建国" not in sealed
    assert s.open(sealed) == "张建国"
    assert s.seal("张建国") != sealed  # a fresh nonce each time
    scan = b"\x89PNG\r\n\x1a\n" + b"id card" * 100
    boxed = s.seal_bytes(scan)
    assert isinstance(boxed, bytes) and b"id card" not in boxed and s.open(boxed) == scan
    assert s.open_json(s.seal_json({"name": "李四", "phone": "13800000000"})) == {"name": "李四",
                                                                                "phone": "13800000000"}


def test_clear_empty_and_none_pass_through(keys: KeyProvider) -> None:
    s = Sealer(keys, "hz-p1")
    assert s.seal(None) is None and s.seal("") == ""
    assert s.open("stored before sealing") == "stored before sealing" and s.open(7) == 7
    sealed = s.seal("x")
    assert s.seal(sealed) == sealed  # sealing twice does not wrap


def test_another_tenants_value_does_not_open(keys: KeyProvider) -> None:
    sealed = Sealer(keys, "hz-p1").seal("张建国")
    with pytest.raises(SealBroken) as caught:
        Sealer(keys, "hz-p2").open(sealed)
    assert "张建国" not in str(caught.value)
    # even renamed to the other tenant's key id, the tenant bound as associated data refuses it
    forged = sealed.replace("pii/hz-p1/v1", "pii/hz-p2/v1")
    Sealer(keys, "hz-p2").seal("make hz-p2's key")
    with pytest.raises(SealBroken):
        Sealer(keys, "hz-p2").open(forged)


def test_tampering_fails(keys: KeyProvider) -> None:
    s = Sealer(keys, "hz-p1")
    sealed = s.seal("13800000000")
    assert sealed is not None
    head, body = sealed.rsplit(":", 1)
    flipped = body[:-3] + ("A" if body[-3] != "A" else "B") + body[-2:]
    with pytest.raises(SealBroken):
        s.open(f"{head}:{flipped}")
    boxed = bytearray(s.seal_bytes(b"medical record"))
    boxed[-1] ^= 1
    with pytest.raises(SealBroken):
        s.open(bytes(boxed))


def test_rotation_new_writes_use_the_newest_old_ones_still_open_and_reseal(keys: KeyProvider) -> None:
    old = Sealer(keys, "hz-p1").seal("张建国")
    assert keys.rotate("pii", "hz-p1") == "pii/hz-p1/v2"
    s = Sealer(keys, "hz-p1")
    new = s.seal("王芳")
    assert key_id_of(old) == "pii/hz-p1/v1" and key_id_of(new) == "pii/hz-p1/v2"
    assert s.open(old) == "张建国"
    moved = s.reseal(old)
    assert key_id_of(moved) == "pii/hz-p1/v2" and s.open(moved) == "张建国"
    assert s.reseal(moved) == moved  # already under the newest: untouched
    assert key_id_of(s.reseal(b"clear bytes")) == "pii/hz-p1/v2"


def test_blind_index_deterministic_per_tenant_different_across() -> None:
    keys = MemoryKeyProvider()
    a = blind_index(keys, "hz-p1", ID)
    assert a == blind_index(keys, "hz-p1", " 61072119620425002X ") == Sealer(keys, "hz-p1").blind_index(ID)
    assert len(a) == 64 and int(a, 16) >= 0 and ID.upper() not in a
    assert a != blind_index(keys, "hz-p2", ID)
    assert a != blind_index(keys, "hz-p1", "610702195803120012")


PERSON = Sealed(text=("person_name", "documents.*.filename"), json=("agent",), data=("content",),
                persons={"person_id": "person_bi"})


def test_a_collections_fields_sealed_and_opened() -> None:
    s = Sealer(MemoryKeyProvider(), "hz-p1")
    doc = {"_id": "a1", "person_id": ID, "person_name": "张建国", "status": "submitted", "agent": {"name": "李四"},
           "documents": [{"kind": "id_card", "filename": "张建国身份证.png"}], "content": b"scan"}
    stored = PERSON.seal(s, doc)
    assert stored["person_bi"] == s.blind_index(ID) and stored["status"] == "submitted"
    assert all(is_sealed(stored[k]) for k in ("person_id", "person_name", "agent", "content"))
    assert is_sealed(stored["documents"][0]["filename"]) and stored["documents"][0]["kind"] == "id_card"
    assert doc["person_name"] == "张建国"  # the caller's document is not changed
    assert PERSON.open(s, stored) == doc  # and the blind index is not shown
    assert PERSON.seal(s, {"status": "complete"}) == {"status": "complete"}  # a $set without personal data


async def test_reseal_collection_moves_everything_to_the_newest_key() -> None:
    keys = MemoryKeyProvider()
    db = MemoryStore().database("intake", "hz-p1")
    s = Sealer(keys, "hz-p1")
    await db.people.insert_one(PERSON.seal(s, {"_id": "a", "person_id": ID, "person_name": "张建国"}))
    await db.people.insert_one({"_id": "b", "person_id": "610702195803120012", "person_name": "王芳"})  # clear
    keys.rotate("pii", "hz-p1")
    s2 = Sealer(keys, "hz-p1")
    assert await reseal_collection(db.people, PERSON, s2) == 2
    assert await reseal_collection(db.people, PERSON, s2) == 0  # idempotent
    for raw in await db.people.find({}).to_list(None):
        assert key_id_of(raw["person_name"]) == "pii/hz-p1/v2" and raw["person_bi"]
    b = await db.people.find_one({"person_bi": s2.blind_index("610702195803120012")})
    assert PERSON.open(s2, b) == {"_id": "b", "person_id": "610702195803120012", "person_name": "王芳"}


def test_a_database_carries_its_tenants_sealer() -> None:
    db = MemoryStore().database("intake", "hz-p1")
    assert sealer_of(db).tenant == "hz-p1"
    s = Sealer(MemoryKeyProvider(), "hz-p2")
    assert sealer_of(with_sealer(db, s)) is s
    with pytest.raises(NoSealer):
        sealer_of(object())


def test_processes_racing_to_make_the_first_key_agree_on_one(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = KeyProvider(tmp_path / "keys"), KeyProvider(tmp_path / "keys")
    made = first.current("pii", "hz-p1")
    # the second looked before the first wrote (local mode runs five processes on one key directory)
    monkeypatch.setattr(second, "_versions", lambda purpose, tenant: [])
    assert second.current("pii", "hz-p1") == made
    assert sorted(p.name for p in (tmp_path / "keys" / "pii" / "hz-p1").iterdir()) == ["v1.key"]


def test_input_that_only_looks_sealed_is_sealed_like_any_other(keys: KeyProvider) -> None:
    s = Sealer(keys, "hz-p1")
    typed = "pii:1:pii/hz-p1/v1:AAAA"  # a name or note someone typed
    sealed = s.seal(typed)
    assert sealed != typed and s.open(sealed) == typed
    assert s.open_json(s.seal_json(typed)) == typed
    assert PERSON.open(s, PERSON.seal(s, {"person_name": typed})) == {"person_name": typed}
