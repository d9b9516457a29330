"""What a service needs from its store. Collections follow PyMongo's async collection API
(insert_one, find_one, find(...).to_list, update_one, find_one_and_update, create_index),
which both adapters provide; domain code never sees either."""

from __future__ import annotations

from typing import Any, Protocol


def database_name(prefix: str, service: str, tenant: str) -> str:
    """`jb_<service>_<tenant>`: a service's own database for one tenant; nobody else opens it."""
    return f"{prefix}_{service}_{tenant.replace('-', '_')}"


class Store(Protocol):
    def database(self, service: str, tenant: str) -> Any:
        """The tenant's database of this service."""

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...
