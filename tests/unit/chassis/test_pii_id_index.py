"""The pseudonyms ids are built on (chassis/pii.py `id_index`) and lookups across blind-index key versions
(`blind_indexes`, `id_indexes`): the number as given, equal to the blind index once normalised, newest key first,
every version held."""

from __future__ import annotations

from chassis.keys import MemoryKeyProvider
from chassis.pii import Sealer

PERSON = "61070219731205008X"


def test_the_id_index_is_the_blind_index_of_the_number_as_given() -> None:
    pii = Sealer(MemoryKeyProvider(), "hz-p1")
    assert pii.id_index(PERSON) == pii.blind_index(PERSON) == pii.blind_index(PERSON.lower())
    assert pii.id_index(PERSON.lower()) != pii.id_index(PERSON)  # two strings, two documents
    assert Sealer(MemoryKeyProvider(), "hz-p1").id_index(PERSON) != pii.id_index(PERSON)  # another key


def test_lookups_ask_under_every_key_version_held_newest_first() -> None:
    keys = MemoryKeyProvider()
    before = Sealer(keys, "hz-p1")
    old_bi, old_id = before.blind_index(PERSON), before.id_index(PERSON)
    keys.rotate("blind-index", "hz-p1")
    after = Sealer(keys, "hz-p1")
    assert after.blind_indexes(PERSON) == [after.blind_index(PERSON), old_bi] and old_bi != after.blind_index(PERSON)
    assert after.id_indexes(PERSON) == [after.id_index(PERSON), old_id]
    assert Sealer(keys, "hz-p2").blind_indexes(PERSON) == [Sealer(keys, "hz-p2").blind_index(PERSON)]
