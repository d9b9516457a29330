"""The host's watchdog: a background loop that fails or returns while the service runs is started again, and
`/readyz` lists each loop; a stop ends them all within the stop deadline."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.host import STOP_DEADLINE_S, ServiceContext, ServiceHost, ServiceParts, ServiceSpec
from chassis.http import create_app
from chassis.store.memory import MemoryStore
from tests.conftest import embedded_port_offset, eventually


async def test_a_loop_that_dies_is_restarted_and_a_stop_ends_it() -> None:
    runs = {"n": 0}
    third_run = asyncio.Event()

    def build(ctx: ServiceContext) -> ServiceParts:
        async def scanner() -> None:
            runs["n"] += 1
            if runs["n"] == 1:
                raise RuntimeError("a bug on the first pass")
            if runs["n"] == 2:
                return  # a loop that ends by itself is a loop that stopped working
            third_run.set()
            await asyncio.Event().wait()  # runs until cancelled

        return ServiceParts(app=create_app("intake", "t", ctx.ready), background=[scanner])

    offset = embedded_port_offset()
    settings = dataclasses.replace(Settings.from_env("intake", {}), http_port=8101 + offset, grpc_port=9101 + offset)
    host = ServiceHost(ServiceSpec("intake", [], build), settings, MemoryBus(), MemoryStore())
    await host.start()
    try:
        await asyncio.wait_for(third_run.wait(), 30)
        assert runs["n"] == 3
        async with httpx.AsyncClient(timeout=30) as http:
            async def ready() -> dict | None:
                body = (await http.get(f"http://127.0.0.1:{settings.http_port}/readyz")).json()
                return body if body["ready"] else None

            body = await eventually(ready, 30, "ready")
        assert body["loops"]["intake-scanner"] == "running"
    finally:
        started = asyncio.get_running_loop().time()
        await host.stop()
        assert asyncio.get_running_loop().time() - started < STOP_DEADLINE_S
