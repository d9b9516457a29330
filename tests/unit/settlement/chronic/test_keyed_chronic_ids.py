"""Ids chronic settlement derives from a person are keyed (chassis/pii.py, issue 11 item 5): a person's
`benefits.settled` event id and an upload's digest and derived batch id (`b<…>`: the file holds identity numbers)
come from the tenant's keyed pseudonym (`SettlementStore.pseudonym` / `keyed_digest`), not from an unkeyed hash that
trying every number could reverse. Each stays deterministic (a resumed close, a file sent again) and differs across
tenants; a batch stored before digests were keyed is still found under its earlier id and digest."""

from __future__ import annotations

import hashlib

from chassis.events import derived_event_id
from chassis.store.memory import MemoryStore
from services.settlement.chronic.domain.uploads import Upload, upload_of
from services.settlement.chronic.service.settler import keyed_upload
from services.settlement.chronic.service.statements import benefits_settled_event_id
from services.settlement.chronic.store import SettlementStore

T, OTHER = "hz-p1", "xy-c"
PERSON = "330106198001011234"
SID = "H1-2025-06"


def stores() -> tuple[MemoryStore, SettlementStore, SettlementStore]:
    mem = MemoryStore()
    return mem, SettlementStore(mem.database("settlement", T)), SettlementStore(mem.database("settlement", OTHER))


def test_benefits_settled_event_id_is_derived_from_the_pseudonym_not_the_number() -> None:
    mem, store, other = stores()
    event_id = benefits_settled_event_id(store, SID, PERSON)
    assert event_id != derived_event_id(SID, "benefits.settled", PERSON)
    assert event_id == derived_event_id(SID, "benefits.settled", store.pseudonym(PERSON))
    # deterministic: the same on every call and from another handle on the tenant's database (a resumed close)
    assert event_id == benefits_settled_event_id(store, SID, PERSON)
    assert event_id == benefits_settled_event_id(SettlementStore(mem.database("settlement", T)), SID, PERSON)
    assert benefits_settled_event_id(store, SID, "330106198001011242") != event_id  # another person
    assert benefits_settled_event_id(other, SID, PERSON) != event_id  # another tenant, another key


BODY = f"claim_id,person_id,date,disease,amount\nc1,{PERSON},2025-06-03,HTN,100.00\n".encode()


def upload(batch_id: str | None = None) -> tuple[Upload, str]:
    return upload_of("text/csv", "2025-06", "H1", batch_id, BODY, [], [])


async def test_an_uploads_digest_and_derived_batch_id_are_keyed() -> None:
    mem, store, other = stores()
    sent, digest = upload()
    assert sent.batch_id == ""  # named by the service, from the keyed digest
    assert digest == hashlib.sha256(b"text/csv|H1|2025-06|" + BODY).hexdigest()
    named, keyed = await keyed_upload(store, sent, digest)
    assert keyed != digest and named.batch_id != f"b{digest[:32]}"
    assert keyed == store.keyed_digest(digest) and named.batch_id == f"b{keyed[:32]}"
    # the same file again: the same batch (from another handle too); another tenant: another key
    assert await keyed_upload(SettlementStore(mem.database("settlement", T)), upload()[0], digest) == (named, keyed)
    assert (await keyed_upload(other, upload()[0], digest))[0].batch_id != named.batch_id
    # a batch id given is kept; its digest is keyed all the same
    given, given_digest = await keyed_upload(store, upload("bat-7")[0], digest)
    assert given.batch_id == "bat-7" and given_digest == keyed


async def test_a_batch_stored_before_a_rotation_of_the_blind_index_key_is_found_under_its_id() -> None:
    mem, store, _ = stores()
    sent, digest = upload()
    named, keyed = await keyed_upload(store, sent, digest)
    assert await store.start_batch({"_id": named.batch_id, "batch_id": named.batch_id, "status": "done",
                                    "sha256": keyed, "statement_id": SID})
    assert await store.start_batch({"_id": "bat-1", "batch_id": "bat-1", "status": "done", "sha256": keyed,
                                    "statement_id": SID})
    mem._keys.rotate("blind-index", T)
    rotated = SettlementStore(mem.database("settlement", T))
    assert rotated.keyed_digest(digest) != keyed
    assert await keyed_upload(rotated, upload()[0], digest) == (named, keyed)  # the same batch
    assert (await keyed_upload(rotated, upload("bat-1")[0], digest))[1] == keyed  # its stored digest: a replay


async def test_a_batch_stored_before_digests_were_keyed_is_found_under_its_earlier_id() -> None:
    _, store, _ = stores()
    sent, digest = upload()
    earlier = f"b{digest[:32]}"
    assert await store.start_batch({"_id": earlier, "batch_id": earlier, "status": "done", "sha256": digest,
                                    "statement_id": SID})
    named, stored_digest = await keyed_upload(store, sent, digest)
    assert (named.batch_id, stored_digest) == (earlier, digest)  # the stored answer, not a second batch
    assert await store.start_batch({"_id": "bat-1", "batch_id": "bat-1", "status": "done", "sha256": digest,
                                    "statement_id": SID})
    assert await keyed_upload(store, upload("bat-1")[0], digest) == (upload("bat-1")[0], digest)
