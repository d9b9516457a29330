"""Shared test helpers: tokens, tiny valid documents, waiting for eventual consistency."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from tests.support import tokens

T = TypeVar("T")

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PERSON_A = "610702195803120012"
PERSON_B = "61072119620425002X"


def auth(tenant: str, role: str, subject: str = "u1", program: str = "") -> dict[str, str]:
    """HTTP headers with a user's token from the issuer the services under test trust (tests/support/tokens.py)."""
    return tokens.auth(tenant, role, subject, program)


def application_form(person_id: str = PERSON_A, disease: str = "HTN", **extra: Any) -> dict[str, Any]:
    body = {"person_id": person_id, "person_name": "张建国", "disease_code": disease, "channel": "online", **extra}
    return {
        "application": (None, json.dumps(body)),
        "application_form": ("form.pdf", PDF, "application/pdf"),
        "medical_record": ("record.png", PNG, "image/png"),
        "id_card": ("id.png", PNG, "image/png"),
        "insurance_card": ("card.pdf", PDF, "application/pdf"),
    }


def embedded_port_offset() -> int:
    """A port offset for an embedded platform in a component test (HTTP 8101+, gRPC 9101+, simulators 8190 and 8191
    + offset: the provincial platform's and the agency's long-term care system's).

    Drawn from 2,000–6,990: the local-mode e2e platforms, which run beside the component tests in `make test`, use
    offsets below 200 (ports up to ~9,330), and Kafka / FerretDB listen on 19,092 / 27,018 — so the two tiers never
    reach for the same port, and a module's random draw keeps reruns from meeting sockets still in TIME_WAIT."""
    return random.randint(200, 699) * 10


# The business date of the tests whose data belong to fund year 2025 (statements of 2025 paid "today"): the fund
# year's books take value dates through the end of the next year, so these tests pin the date they were written on
# rather than fail from 1 January 2027. Tests of the calendar itself and of the deadlines use the real date.
FIXTURE_BUSINESS_DATE = "2026-11-30"


@pytest.fixture(scope="module")
def fixture_business_date() -> Iterator[str]:
    """Pin `today_cn()` (chassis.calendar) for a module, in process and in the service processes it starts."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JINGBAN_BUSINESS_DATE", FIXTURE_BUSINESS_DATE)
        yield FIXTURE_BUSINESS_DATE


# The deadline of one eventually-consistent step on real infrastructure (events crossing Kafka between service
# processes). Generous on purpose: CI runs the tiers side by side on two cores, often with another process busy;
# a step that holds returns the moment it does, so only a broken step ever waits this long.
REAL_INFRA_DEADLINE = 300.0


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 20.0, what: str = "") -> T:
    """Poll until `probe` returns something truthy: events are eventually consistent by design."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or probe}")
        await asyncio.sleep(0.1)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
