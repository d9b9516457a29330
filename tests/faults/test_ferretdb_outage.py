"""FerretDB down for 30 s in the middle of traffic (issue 9, "Done means" (c)): every service says it is not
ready while it lasts (answering within a second) and is ready again within 30 s after FerretDB is back; all the
work completes with no service restarted, nothing lost, nothing applied twice, no healthy event dead-lettered
(a store outage is transient, not poison)."""

from __future__ import annotations

from tests.faults.conftest import FaultPlatform, outage_mid_traffic

PORT_OFFSET = 320


def test_ferretdb_down_30s_mid_traffic_recovers_without_a_restart(fault_platform: FaultPlatform) -> None:
    problems = outage_mid_traffic(fault_platform, "mongo")
    assert problems == [], "\n".join(problems) + f"\n(logs: {fault_platform.log_dir})"
