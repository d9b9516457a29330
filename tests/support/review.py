"""Waiting for smart review (智能审核) in tests: an upload is adjudicated at once but nothing of it is paid before
audit reviewed it (claim_review.completed). These poll the batch's review state with a deadline — event-driven,
never a fixed sleep."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import auth


async def reviewed(http: httpx.AsyncClient, settlement: str, batch_id: str, tenant: str = "hz-p1",
                   timeout: float = 30.0) -> dict[str, Any]:
    """The batch (GET /v1/claims/batches/{id}) once its review is complete: every part answered by audit."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await http.get(f"{settlement}/v1/claims/batches/{batch_id}", headers=auth(tenant, "finance"))
        if r.status_code == 200 and (r.json().get("review") or {}).get("state") in ("reviewed", None):
            if r.json().get("status") == "done":
                return r.json()
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"batch {batch_id} not reviewed after {timeout}s: {r.status_code} {r.text[:300]}")
        await asyncio.sleep(0.05)


async def statement_reviewed(http: httpx.AsyncClient, settlement: str, statement_id: str, tenant: str = "hz-p1",
                             timeout: float = 30.0) -> dict[str, Any]:
    """The statement (GET /v1/statements/{id}) once no batch of it waits for review."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await http.get(f"{settlement}/v1/statements/{statement_id}", headers=auth(tenant, "finance"))
        if r.status_code == 200 and not (r.json().get("review") or {}).get("pending_batches"):
            return r.json()
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"statement {statement_id} still under review after {timeout}s: {r.text[:300]}")
        await asyncio.sleep(0.05)


async def care_statement_reviewed(http: httpx.AsyncClient, settlement: str, statement_id: str, tenant: str,
                                  timeout: float = 30.0) -> dict[str, Any]:
    """A care statement (GET /v1/ltc/statements/{id}) once no upload of its month waits for review."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        r = await http.get(f"{settlement}/v1/ltc/statements/{statement_id}", headers=auth(tenant, "finance"))
        if r.status_code == 200 and not r.json()["review"]["pending_batches"]:
            return r.json()
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"care statement {statement_id} still under review after {timeout}s: "
                                 f"{r.text[:300]}")
        await asyncio.sleep(0.05)
