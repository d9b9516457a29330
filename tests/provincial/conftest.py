"""Fixtures: a fresh simulator per test, and a client talking to it in-process (httpx.ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from provincial import ProvincialClient
from provincial.simulator import SimulatorState, create_app

INSTITUTION = "H61070200001"  # 12 characters, as the platform registers institutions
INSTITUTION_NAME = "汉中市经办服务中心"
PERSON = "610702195803120012"  # valid GB 11643 check character
OTHER = "61072119620425002X"


def make_client(state: SimulatorState, *, retries: int = 3, timeout: float = 2.0,
                code: str = INSTITUTION) -> ProvincialClient:
    transport = httpx.ASGITransport(app=create_app(state))
    return ProvincialClient("http://simulator/", code, INSTITUTION_NAME, "op001", transport=transport,
                            retries=retries, timeout=timeout, backoff=0.001, operator_name="王经办")


@pytest.fixture
def state() -> SimulatorState:
    return SimulatorState()


@pytest.fixture
async def client(state: SimulatorState) -> AsyncIterator[ProvincialClient]:
    async with make_client(state) as c:
        yield c
