"""Kafka down for 30 s in the middle of traffic (issue 9, "Done means" (b)): every service says it is not ready
while it lasts and is ready again within 30 s after Kafka is back; all the work completes with no service
restarted, nothing lost, nothing applied twice, no healthy event dead-lettered."""

from __future__ import annotations

from tests.faults.conftest import FaultPlatform, outage_mid_traffic

PORT_OFFSET = 310


def test_kafka_down_30s_mid_traffic_recovers_without_a_restart(fault_platform: FaultPlatform) -> None:
    problems = outage_mid_traffic(fault_platform, "kafka")
    assert problems == [], "\n".join(problems) + f"\n(logs: {fault_platform.log_dir})"
