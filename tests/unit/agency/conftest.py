"""Fixtures: a fresh simulator of the agency's system per test, and a carrier's client talking to it in-process
(httpx.ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from agency import AgencyClient
from agency.simulator import AgencyState, create_app

SENDER = "H33030000002"  # wz-b's registered code (programs/wz-ltc/program.yaml)
SENDER_NAME = "长护险B片区经办机构"
PERSON = "33030319580312001X"  # valid GB 11643 check character (龙湾区), the check letter X
OTHER = "330303196204250028"
BAD = "330303196204250027"  # the check character is wrong


def make_client(state: AgencyState, *, retries: int = 3, timeout: float = 2.0, lot: str = "B") -> AgencyClient:
    transport = httpx.ASGITransport(app=create_app(state))
    return AgencyClient("http://agency/", SENDER, SENDER_NAME, lot, transport=transport, retries=retries,
                        timeout=timeout, backoff=0.001, operator="settlement-wz-b")


@pytest.fixture
def state() -> AgencyState:
    return AgencyState()


@pytest.fixture
async def client(state: AgencyState) -> AsyncIterator[AgencyClient]:
    async with make_client(state) as c:
        yield c
