"""The recovery loop (recovery.py): a pass that meets the store away is tried again until one completes — the
process never stops for it — and work the domain refuses is tried again, then left for a person, by its code."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.errors import ServerSelectionTimeoutError

from chassis.errors import Conflict
from services.settlement.recovery import service as rec
from services.settlement.recovery.service import Pass, Recovery


def recovery(tenant_pass: Any) -> Recovery:
    r = Recovery(("hz-p1", "qz-ci"), settler=None, critical=None, ledger=None)  # type: ignore[arg-type]
    r._tenant = tenant_pass  # type: ignore[method-assign]
    return r


async def run_until_done(r: Recovery) -> None:
    task = asyncio.create_task(r.run())
    try:
        await asyncio.wait_for(r.done.wait(), 10)
        assert not task.done()  # parks rather than return: the host's watchdog would start it again
    finally:
        task.cancel()


async def test_the_store_away_at_start_is_waited_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rec, "RETRY_FIRST_S", 0.0)
    calls: list[str] = []

    async def tenant_pass(tenant: str, result: Pass) -> None:
        calls.append(tenant)
        if len(calls) <= 3:  # the first pass and a half: the store does not answer
            raise ServerSelectionTimeoutError("no servers")
        result.finished.append((tenant, rec.STATEMENT_CLOSED, f"S-{tenant}"))

    r = recovery(tenant_pass)
    await run_until_done(r)
    assert calls == ["hz-p1", "qz-ci", "hz-p1", "qz-ci", "hz-p1", "qz-ci"]
    assert r.finished == [("qz-ci", rec.STATEMENT_CLOSED, "S-qz-ci"), ("hz-p1", rec.STATEMENT_CLOSED, "S-hz-p1"),
                          ("qz-ci", rec.STATEMENT_CLOSED, "S-qz-ci")]
    assert r.left == []


async def test_refused_work_is_tried_again_then_left_for_a_person(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rec, "RETRY_FIRST_S", 0.0)
    monkeypatch.setattr(rec, "REFUSED_HORIZON_S", 0.0)
    r = recovery(None)
    attempts: list[str] = []

    async def refused() -> str | None:
        attempts.append("close")
        raise Conflict("statement S1 changed while closing; try again")

    async def tenant_pass(tenant: str, result: Pass) -> None:
        if tenant == "hz-p1":
            await r._step(result, tenant, "close", "S1", refused)

    r._tenant = tenant_pass  # type: ignore[method-assign]
    await run_until_done(r)
    assert attempts == ["close"]  # the horizon is past at once here: tried once, then left
    assert r.left == [("hz-p1", "close", "S1", "Conflict: statement S1 changed while closing; try again")]


async def test_a_refusal_that_passes_is_finished_on_a_later_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rec, "RETRY_FIRST_S", 0.0)
    r = recovery(None)
    attempts: list[str] = []

    async def close() -> str | None:
        attempts.append("close")
        if len(attempts) < 3:  # e.g. the statement's earlier events not yet published: the broker is away
            raise Conflict("S1: earlier events are not yet published; try again shortly")
        return rec.STATEMENT_CLOSED

    async def tenant_pass(tenant: str, result: Pass) -> None:
        if tenant == "hz-p1":
            await r._step(result, tenant, "close", "S1", close)

    r._tenant = tenant_pass  # type: ignore[method-assign]
    await run_until_done(r)
    assert attempts == ["close"] * 3
    assert r.finished == [("hz-p1", rec.STATEMENT_CLOSED, "S1")] and r.left == []
