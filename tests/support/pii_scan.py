"""The raw walk behind the "nothing personal at rest" tests: every stored document of the given services and tenants,
searched for clear personal values (strings, and bytes as UTF-8), keys included."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def clear_in(value: Any, where: str, needles: Sequence[str], found: list[str]) -> None:
    """Every place one of `needles` occurs in `value`, appended to `found` as `<where>: <needle>`."""
    if isinstance(value, dict):
        for k, v in value.items():
            clear_in(k, f"{where}.{k}<key>", needles, found)
            clear_in(v, f"{where}.{k}", needles, found)
    elif isinstance(value, list | tuple):
        for i, v in enumerate(value):
            clear_in(v, f"{where}[{i}]", needles, found)
    elif isinstance(value, bytes | bytearray):
        found += [f"{where}: {needle!r} (bytes)" for needle in needles if needle.encode() in value]
    else:
        text = value if isinstance(value, str) else str(value)
        found += [f"{where}: {needle!r}" for needle in needles if needle in text]


async def scan_stores(store: Any, services: Sequence[str], tenants: Sequence[str],
                      needles: Sequence[str]) -> tuple[list[str], int]:
    """(where each needle was found, how many documents were read) over every collection of each database."""
    found: list[str] = []
    docs = 0
    for service in services:
        for tenant in tenants:
            db = store.database(service, tenant)
            for name in sorted(await db.list_collection_names()):
                for doc in await db[name].find({}).to_list(None):
                    docs += 1
                    clear_in(doc, f"{service}/{tenant}.{name}[{doc.get('_id')}]", needles, found)
    return found, docs
