"""`kill -9` of each service in turn in the middle of traffic, then the process is started again (a crash and a
restart, as a supervisor would do it): every piece of work completes, nothing is lost, nothing is applied twice
and no healthy event is dead-lettered (issue 9, "Done means" (a)). Settlement is killed while it adjudicates a
large upload: sent again after the restart, the upload is taken at once (the lease died with the process) and
completes with every line stored once."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from chassis.calendar import today_cn
from chassis.config import SERVICES
from tests.conftest import REAL_INFRA_DEADLINE
from tests.faults.conftest import (
    FaultPlatform,
    Traffic,
    auth,
    batch_problems,
    claim_batch,
    dead_letter_ids,
    healthy_dead_letters,
    pids,
    running,
    settled,
    wait_until,
)

PORT_OFFSET = 300
BIG_UPLOAD_LINES = 20_000


@pytest.mark.parametrize("service", SERVICES)
def test_kill_9_mid_traffic_loses_nothing_and_applies_nothing_twice(fault_platform: FaultPlatform,
                                                                     service: str) -> None:
    fp = fault_platform
    parked_before = dead_letter_ids(fp)
    others_before = {s: pid for s, pid in pids(fp).items() if s != service}
    big = BigUpload(fp) if service == "settlement" else None
    traffic = Traffic(fp, applications=9, conclude_every=3, uploads=3, pace_s=0.4).start()
    try:
        traffic.wait_sent(3)  # work in every stage: cases opening, conclusions, uploads
        if big is not None:
            big.start_and_wait_processing()
        fp.local.kill(service)  # SIGKILL: a crash, nothing flushed
        sent_at_kill = len(traffic.sent)
        fp.local.start((service,), timeout_s=REAL_INFRA_DEADLINE)
        if big is not None:
            big.send_again()
        traffic.join()
    finally:
        traffic.halt()

    counts = settled(fp, traffic)
    print(f"killed {service}: {traffic.summary()}")
    assert not counts.doubled, f"applied twice after killing {service}: {counts}"
    assert len(traffic.sent) == 9 and len(traffic.batches) == 3
    assert sent_at_kill < 9, "the traffic was over before the kill: not a crash mid-traffic"
    if big is not None:
        assert batch_problems(fp, big.batch) == []
    others = {s: pid for s, pid in pids(fp).items() if s != service}
    assert others == others_before and all(running(fp).values()), \
        f"another service restarted or died: {others_before} → {others}, running {running(fp)}"
    parked = healthy_dead_letters(fp, parked_before)
    assert parked == [], f"healthy events dead-lettered after killing {service}: {parked} (logs: {fp.log_dir})"


class BigUpload:
    """A claim upload large enough to be in the middle of its adjudication when settlement is killed."""

    def __init__(self, fp: FaultPlatform) -> None:
        self.fp = fp
        self.institution = f"HK{fp.run_id[1:7].upper()}"
        self.body, self.batch = claim_batch(fp, f"{fp.run_id}-kill", today_cn().strftime("%Y-%m"), BIG_UPLOAD_LINES,
                                            self.institution, claims_per_person=20)
        self.url = f"{fp.url('settlement')}/v1/claims/batches"
        self.headers = {**auth("institution", self.institution), "content-type": "application/json"}
        self.first: list[str] = []

    def _send_first(self) -> None:
        try:
            r = httpx.post(self.url, content=self.body, headers=self.headers, timeout=REAL_INFRA_DEADLINE)
            self.first.append(f"{r.status_code} {r.text[:120]}")
        except httpx.HTTPError as exc:  # the process died under it: expected
            self.first.append(type(exc).__name__)

    def start_and_wait_processing(self) -> None:
        threading.Thread(target=self._send_first, name="big-upload", daemon=True).start()

        def processing() -> tuple[bool, str]:
            doc = self.fp.db("settlement").batches.find_one({"_id": self.batch.batch_id}, {"status": 1})
            return doc is not None or bool(self.first), f"batch {self.batch.batch_id}: {doc}; answered {self.first}"

        wait_until(processing, REAL_INFRA_DEADLINE, "settlement to start adjudicating the big upload", every=0.05)
        assert not self.first, f"the big upload was over before the kill: {self.first}"

    def send_again(self) -> None:
        """The institution sends the interrupted upload again: taken at once, not 409 for a dead lease."""
        deadline = time.monotonic() + REAL_INFRA_DEADLINE
        while True:
            try:
                r = httpx.post(self.url, content=self.body, headers=self.headers, timeout=REAL_INFRA_DEADLINE)
                break
            except httpx.TransportError:  # the connection dropped: the same bytes again, as the institution would
                if time.monotonic() > deadline:
                    raise
                threading.Event().wait(0.5)  # retry backoff
        assert r.status_code in (200, 201), (f"the interrupted upload sent again after the restart: {r.status_code} "
                                             f"{r.text[:400]} (first answer: {self.first})")
        assert r.json()["status"] == "done", r.json()
