"""Embedded mode: all five services in one process on the in-memory bus and store, each on its own
HTTP and gRPC port exactly as in local mode. Starts in seconds with nothing else installed."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from typing import Any

import uvicorn

from chassis.bus.memory import MemoryBus
from chassis.config import Settings
from chassis.dev_issuer import DEV_ISSUER, DEV_ISSUER_PORT, dev_issuer, token_endpoint_app
from chassis.host import ServiceHost
from chassis.store.memory import MemoryStore
from jingban.services import all_specs
from jingban.tokens import DevTokens

SIMULATOR_PORT = 8190
AGENCY_SIMULATOR_PORT = 8191  # the agency's long-term care system (agency/simulator.py)


class EmbeddedPlatform:
    def __init__(self, env: Mapping[str, str] | None = None, port_offset: int = 0, serve_issuer: bool = False) -> None:
        """`serve_issuer`: also serve the development issuer's discovery, JWKS and token endpoint over HTTP (`make
        run`; in-process tests mint with it directly)."""
        self.bus = MemoryBus()
        self.store = MemoryStore()
        self.hosts: dict[str, ServiceHost] = {}
        base = dict(env) if env is not None else None
        self._settings = {}
        self.simulator_port = SIMULATOR_PORT + port_offset
        self.simulator: uvicorn.Server | None = None
        self._simulator_task: asyncio.Task[None] | None = None
        self.agency_simulator_port = AGENCY_SIMULATOR_PORT + port_offset
        self.agency_simulator: uvicorn.Server | None = None
        self._agency_simulator_task: asyncio.Task[None] | None = None
        self.agency_state: Any = None  # the agency simulator's memory (agency.simulator.AgencyState), once started
        self._serve_issuer = serve_issuer
        self._issuer: uvicorn.Server | None = None
        self._issuer_task: asyncio.Task[None] | None = None
        for spec in all_specs():
            s = Settings.from_env(spec.name, base)
            s = dataclasses.replace(
                s, mode="embedded", http_port=s.http_port + port_offset, grpc_port=s.grpc_port + port_offset,
                peers={k: f"127.0.0.1:{int(v.rsplit(':', 1)[1]) + port_offset}" for k, v in s.peers.items()},
                provincial_url=f"http://127.0.0.1:{self.simulator_port}/",
                agency_url=f"http://127.0.0.1:{self.agency_simulator_port}/",
            )
            self._settings[spec.name] = s
            self.hosts[spec.name] = ServiceHost(spec, s, self.bus, self.store)

    def url(self, service: str) -> str:
        s = self._settings[service]
        return f"http://{s.http_host}:{s.http_port}"

    def grpc_target(self, service: str) -> str:
        s = self._settings[service]
        return f"{s.http_host}:{s.grpc_port}"

    @property
    def tokens(self) -> DevTokens:
        """Tokens the embedded services trust: the development issuer's."""
        return DevTokens()

    @property
    def issuer_url(self) -> str:
        return DEV_ISSUER

    @property
    def simulator_url(self) -> str:
        return f"http://127.0.0.1:{self.simulator_port}/"

    @property
    def agency_simulator_url(self) -> str:
        return f"http://127.0.0.1:{self.agency_simulator_port}/"

    async def start(self) -> None:
        # The provincial platform's simulator, in-process: the services reach it over real HTTP.
        from provincial.simulator.app import create_app

        self.simulator = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=self.simulator_port,
                                                       log_config=None, lifespan="off", access_log=False))
        self.simulator.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._simulator_task = asyncio.create_task(self.simulator.serve())
        while not self.simulator.started:
            await asyncio.sleep(0.02)
            if self._simulator_task.done():
                self._simulator_task.result()
        # The agency's long-term care system's simulator, in-process the same way.
        from agency.simulator import AgencyState
        from agency.simulator import create_app as create_agency_app

        self.agency_state = AgencyState()
        self.agency_simulator = uvicorn.Server(uvicorn.Config(
            create_agency_app(self.agency_state), host="127.0.0.1", port=self.agency_simulator_port, log_config=None,
            lifespan="off", access_log=False))
        self.agency_simulator.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._agency_simulator_task = asyncio.create_task(self.agency_simulator.serve())
        while not self.agency_simulator.started:
            await asyncio.sleep(0.02)
            if self._agency_simulator_task.done():
                self._agency_simulator_task.result()
        if self._serve_issuer:
            tenants = next(iter(self._settings.values())).tenants
            self._issuer = uvicorn.Server(uvicorn.Config(token_endpoint_app(dev_issuer(), tenants), host="127.0.0.1",
                                                         port=DEV_ISSUER_PORT, log_config=None, lifespan="off",
                                                         access_log=False))
            self._issuer.install_signal_handlers = lambda: None  # type: ignore[method-assign]
            self._issuer_task = asyncio.create_task(self._issuer.serve())
        for host in self.hosts.values():
            await host.start()

    async def stop(self) -> None:
        for host in reversed(list(self.hosts.values())):
            await host.stop()
        if self.simulator and self._simulator_task:
            self.simulator.should_exit = True
            await self._simulator_task
        if self.agency_simulator and self._agency_simulator_task:
            self.agency_simulator.should_exit = True
            await self._agency_simulator_task
        if self._issuer and self._issuer_task:
            self._issuer.should_exit = True
            await self._issuer_task
