"""Graceful stop (issue 9, item 5 and "Done means"): SIGTERM to settlement while it adjudicates a large claim upload
→ the process exits by itself within 10 s with status 0 (no SIGKILL needed); started again, the same upload sent
again is taken at once (no 409 "being processed" for a lease nobody holds) and completes, nothing doubled: every
claim line stored once, the statement's totals the sum of its lines."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from decimal import Decimal
from typing import Any

import httpx

from chassis.calendar import today_cn
from tests.conftest import REAL_INFRA_DEADLINE
from tests.faults.conftest import (
    FaultPlatform,
    auth,
    claim_batch,
    dead_letter_ids,
    healthy_dead_letters,
    wait_until,
)

PORT_OFFSET = 340
GRACE_S = 10.0  # the Kubernetes grace period in the manifests
LINES = 60_000  # more than settlement adjudicates within the grace period here: the work is handed back
CLAIMS_PER_PERSON = 20


def test_sigterm_during_an_upload_exits_cleanly_and_the_upload_completes_once(fault_platform: FaultPlatform) -> None:
    fp = fault_platform
    parked_before = dead_letter_ids(fp)
    institution = f"HG{fp.run_id[1:7].upper()}"  # a statement of its own: its totals are this batch's alone
    month = today_cn().strftime("%Y-%m")
    batch_id = f"{fp.run_id}-big"
    body, batch = claim_batch(fp, batch_id, month, LINES, institution, CLAIMS_PER_PERSON)
    url = f"{fp.url('settlement')}/v1/claims/batches"
    headers = {**auth("institution", institution), "content-type": "application/json"}

    first: dict[str, Any] = {}

    def upload() -> None:
        t = time.monotonic()
        try:
            r = httpx.post(url, content=body, headers=headers, timeout=REAL_INFRA_DEADLINE)
            first["answer"] = (r.status_code, r.text[:120], f"after {time.monotonic() - t:.1f}s")
        except httpx.HTTPError as exc:
            first["answer"] = (0, f"{type(exc).__name__}: {exc}")

    sender = threading.Thread(target=upload, name="big-upload", daemon=True)
    sender.start()

    # In the middle of it: settlement has taken the batch and is adjudicating its lines.
    def processing() -> tuple[bool, str]:
        doc = fp.db("settlement").batches.find_one({"_id": batch_id}, {"status": 1})
        return doc is not None or bool(first), f"batch {batch_id}: {doc}"

    wait_until(processing, REAL_INFRA_DEADLINE, "settlement to start processing the upload", every=0.05)
    assert not first, f"the upload was answered before SIGTERM could interrupt it: {first}"
    state_at_stop = fp.db("settlement").batches.find_one({"_id": batch_id}, {"status": 1})
    proc = fp.local.procs["settlement"]
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        raise AssertionError(f"settlement ignored SIGTERM for {GRACE_S:.0f}s and had to be killed "
                             f"(logs: {fp.log_dir}):\n{fp.log_tail('settlement')}") from None
    took = time.monotonic() - t0
    assert code == 0, f"settlement exited with {code} after SIGTERM:\n{fp.log_tail('settlement')}"
    sender.join(REAL_INFRA_DEADLINE)
    print(f"SIGTERM with the batch {state_at_stop}: exited 0 in {took:.1f}s; the upload was answered {first}")
    # The caller is told the truth: handed back, send it again (or it finished within the stop's grace).
    status, text = first["answer"][0], first["answer"][1]
    assert status in (201, 503), f"the interrupted upload was answered {first['answer']}"
    if status == 503:
        assert '"interrupted"' in text, first["answer"]

    # Started again, the same upload (same batch id, same bytes) is taken at once and completes.
    fp.local.start(("settlement",), timeout_s=REAL_INFRA_DEADLINE)
    t1 = time.monotonic()
    r = httpx.post(url, content=body, headers=headers, timeout=REAL_INFRA_DEADLINE)
    print(f"re-sent after the restart: {r.status_code} in {time.monotonic() - t1:.1f}s")
    assert r.status_code in (200, 201), f"re-sent after the restart: {r.status_code} {r.text[:500]}"
    assert r.json()["status"] == "done", r.json()

    stored = list(fp.db("settlement")[f"claims_{batch.statement_id}"].find(
        {}, {"amount_fen": 1, "payable_fen": 1, "batch_id": 1}))
    assert len(stored) == LINES and {d["batch_id"] for d in stored} == {batch_id}, \
        f"{len(stored)} lines stored for {LINES} sent"
    assert fp.db("settlement").batches.find_one({"_id": batch_id}, {"status": 1})["status"] == "done"
    statement = httpx.get(f"{fp.url('settlement')}/v1/statements/{batch.statement_id}", headers=auth("finance"),
                          timeout=60).json()
    fen, payable = sum(d["amount_fen"] for d in stored), sum(d["payable_fen"] for d in stored)
    assert fen == batch.claimed_fen
    assert statement["lines"] == LINES and statement["claims"] == batch.claims, statement
    assert statement["unapplied_claims"] == 0 and statement["active_batches"] == [], statement
    assert Decimal(statement["claimed"]) == Decimal(fen) / 100, statement
    assert Decimal(statement["payable"]) == Decimal(payable) / 100, statement

    # A third send is a replay of the result, not a second application.
    again = httpx.post(url, content=body, headers=headers, timeout=REAL_INFRA_DEADLINE)
    assert again.status_code == 200 and again.json().get("replayed") is True, again.text[:300]
    assert fp.db("settlement")[f"claims_{batch.statement_id}"].count_documents({}) == LINES
    assert healthy_dead_letters(fp, parked_before) == []
