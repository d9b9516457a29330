"""In-memory bus for embedded mode and unit tests: partitioned logs with committed offsets per group,
so redelivery after a consumer restarts behaves like Kafka's."""

from __future__ import annotations

import asyncio
import zlib
from collections import defaultdict

from chassis.bus.port import BusMessage

PARTITIONS = 3


class MemoryBus:
    def __init__(self) -> None:
        self._logs: dict[tuple[str, int], list[BusMessage]] = defaultdict(list)
        self._committed: dict[tuple[str, str, int], int] = defaultdict(int)
        self._arrivals: dict[str, list[BusMessage]] = defaultdict(list)  # per topic, in publish order
        self._arrived = asyncio.Condition()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def ensure_topics(self, topics: list[str]) -> None:
        for topic in topics:
            for p in range(PARTITIONS):
                self._logs.setdefault((topic, p), [])

    async def publish(self, messages: list[BusMessage]) -> None:
        async with self._arrived:
            for m in messages:
                p = zlib.crc32(m.key.encode()) % PARTITIONS
                log = self._logs[(m.topic, p)]
                log.append(BusMessage(m.topic, m.key, m.value, dict(m.headers), p, len(log)))
                self._arrivals[m.topic].append(log[-1])
            self._arrived.notify_all()

    def consumer(self, group: str, topics: list[str]) -> MemoryConsumer:
        return MemoryConsumer(self, group, topics)

    async def healthy(self) -> bool:
        return True

    def messages(self, topic: str) -> list[BusMessage]:
        """Everything ever published to a topic, in the order it was published (tests and the dead-letter viewer;
        message keys are pseudonyms, so which partition a message lands on says nothing about the order)."""
        return list(self._arrivals.get(topic, []))


class MemoryConsumer:
    def __init__(self, bus: MemoryBus, group: str, topics: list[str]) -> None:
        self._bus, self._group, self._topics = bus, group, topics
        # Position starts at the committed offset, as a new Kafka consumer in the group would.
        self._position = {(t, p): bus._committed[(group, t, p)] for t in topics for p in range(PARTITIONS)}

    def _ready(self, max_records: int) -> list[BusMessage]:
        out: list[BusMessage] = []
        for (t, p), pos in self._position.items():
            log = self._bus._logs.get((t, p), [])
            take = log[pos : pos + max_records - len(out)]
            out.extend(take)
            self._position[(t, p)] = pos + len(take)
            if len(out) >= max_records:
                break
        return out

    async def poll(self, timeout_s: float = 0.5, max_records: int = 200) -> list[BusMessage]:
        out = self._ready(max_records)
        if out:
            return out
        async with self._bus._arrived:
            try:
                await asyncio.wait_for(self._bus._arrived.wait(), timeout_s)
            except TimeoutError:
                return []
        return self._ready(max_records)

    async def commit(self, messages: list[BusMessage]) -> None:
        for m in messages:
            key = (self._group, m.topic, m.partition)
            self._bus._committed[key] = max(self._bus._committed[key], m.offset + 1)

    def generation(self) -> int:
        return 1  # every partition is this consumer's from the start, and stays so

    def lag(self) -> int:
        return sum(len(self._bus._logs.get(tp, [])) - pos for tp, pos in self._position.items())

    def assigned(self) -> bool:
        return True  # one process, one consumer per group: every partition is its own from the start

    async def close(self) -> None:
        return None
