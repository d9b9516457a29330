"""What a service needs from a message bus, whatever carries the messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class BusMessage:
    topic: str
    key: str
    value: bytes
    headers: dict[str, str] = field(default_factory=dict)
    partition: int = 0
    offset: int = 0


class BusConsumer(Protocol):
    async def poll(self, timeout_s: float = 0.5, max_records: int = 200) -> list[BusMessage]: ...

    async def commit(self, messages: list[BusMessage]) -> None:
        """Commit past the last of `messages` on each partition: called only after their work is stored."""

    async def close(self) -> None: ...

    def generation(self) -> int:
        """Changes whenever the group hands this consumer a different set of partitions."""

    def lag(self) -> int | None:
        """Messages on the assigned partitions not yet read, when known."""

    def assigned(self) -> bool:
        """Whether the group has given this consumer its partitions (it has joined): until then nothing is read."""


class Bus(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def ensure_topics(self, topics: list[str]) -> None: ...

    async def publish(self, messages: list[BusMessage]) -> None:
        """Publish and wait until every message is acknowledged (acks=all)."""

    def consumer(self, group: str, topics: list[str]) -> BusConsumer: ...

    async def healthy(self) -> bool: ...
