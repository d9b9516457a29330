"""A poison message (undecodable bytes on a topic) is parked on the dead-letter topic of each service that reads
it, with a reason naming the problem; after a fix it is replayed by `jingban dlq replay <id> --value-file F`: its
effect shows once, a second replay is refused and a forced one (`--again`) applies nothing twice, and the replay is
in the audit trail (issue 9, "Done means", the poison event)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from kafka import KafkaProducer

from chassis.errors import PoisonMessage
from chassis.events import decode, topic_for
from tests.conftest import REAL_INFRA_DEADLINE
from tests.faults.conftest import (
    TENANT,
    FaultPlatform,
    auth,
    completed_event,
    group_caught_up,
    submitted_application,
    wait_until,
)

PORT_OFFSET = 330

# 'n' (0x6e) opens field 13 with wire type 6, which protobuf does not have: no envelope can be read from these.
POISON = b"not an envelope \xff\xfe\x00"
# application.completed is read by appraisal (opens the case), archive (files it) and audit (records it).
READERS = ("appraisal", "archive", "audit")


def jingban(fp: FaultPlatform, *args: str) -> subprocess.CompletedProcess[str]:
    """The operator's command line, pointed at this platform's Kafka, tenants, topic prefix and audit."""
    exe = Path(sys.executable).with_name("jingban")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "jingban.cli"]
    return subprocess.run([*cmd, *args], env=fp.cli_env(), capture_output=True, text=True, timeout=120, check=False)


def effects(fp: FaultPlatform, app_id: str, person: str, event_id: str) -> dict[str, int]:
    """How often the corrected event's work shows in each store (read-only)."""
    case = fp.db("appraisal").cases.find_one({"application_id": app_id}, {"draws": 1})
    return {
        "cases": fp.db("appraisal").cases.count_documents({"application_id": app_id}),
        "draws": len((case or {}).get("draws") or []),
        "trail": fp.db("audit").trail.count_documents({"event_id": event_id}),
        "archived": fp.db("archive").entries.count_documents({"person_bi": fp.blind_index(person),
                                                              "kind": "application_completed"}),
        "experts_assigned_in_trail": fp.db("audit").trail.count_documents({"business_bi": fp.blind_index(person),
                                                                            "type": "experts.assigned"}),
    }


ONCE = {"cases": 1, "draws": 1, "trail": 1, "archived": 1, "experts_assigned_in_trail": 1}


def test_poison_is_parked_with_its_reason_and_replayed_once_after_a_fix(fault_platform: FaultPlatform,
                                                                        tmp_path: Path) -> None:
    fp = fault_platform
    with pytest.raises(PoisonMessage):
        decode(POISON)  # the premise: no consumer can read these bytes
    app_id, person = submitted_application(fp)
    prefix = fp.local.env["JINGBAN_TOPIC_PREFIX"]
    topic = topic_for(TENANT, "application.completed", prefix)

    producer = KafkaProducer(**fp.infra.kafka_config(), acks="all")
    try:
        producer.send(topic, key=b"poison-test", value=POISON).get(timeout=30)
    finally:
        producer.close(timeout=5)

    # 1. Parked by every reader, with a reason that names the problem.
    def parked() -> tuple[bool, str]:
        got = {d.headers.get("dlq-service"): d for d in fp.dead_letters(READERS) if d.value == POISON}
        return set(got) == set(READERS), f"parked by {sorted(got)}"

    wait_until(parked, REAL_INFRA_DEADLINE, f"the poison on the dead-letter topics of {READERS} (logs {fp.log_dir})")
    letters = {d.headers["dlq-service"]: d for d in fp.dead_letters(READERS) if d.value == POISON}
    for service, letter in letters.items():
        reason = letter.headers.get("dlq-reason", "")
        assert "undecodable" in reason and "envelope" in reason, f"{service} parked it saying {reason!r}"
        assert letter.headers.get("dlq-topic") == topic
    target = letters["appraisal"]
    assert effects(fp, app_id, person, "none")["cases"] == 0

    # 2. The operator sees it (list, show) without the payload.
    listed = jingban(fp, "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    assert target.id in {r["id"] for r in rows}, listed.stdout
    shown = jingban(fp, "dlq", "show", target.id)
    assert shown.returncode == 0, shown.stderr
    detail = json.loads(shown.stdout)
    assert "undecodable" in detail["reason"] and detail["consumable"] is False, detail

    # A replay of the bytes as they are is refused: they would only be parked again.
    as_is = jingban(fp, "dlq", "replay", target.id)
    assert as_is.returncode == 2 and "not_consumable" in as_is.stderr, (as_is.returncode, as_is.stderr)

    # 3. The fix: what the poison should have been, a valid application.completed, replayed from the file.
    event_id, fixed = completed_event(app_id, person)
    value_file = tmp_path / "fixed.bin"
    value_file.write_bytes(fixed)
    replay = jingban(fp, "dlq", "replay", target.id, "--value-file", str(value_file))
    assert replay.returncode == 0, f"exit {replay.returncode}: {replay.stdout} {replay.stderr}"

    def applied() -> tuple[bool, str]:
        now = effects(fp, app_id, person, event_id)
        return now == ONCE, f"{now} (want {ONCE})"

    wait_until(applied, REAL_INFRA_DEADLINE, f"the replayed event's effect (logs {fp.log_dir})")

    # 4. In the audit trail: the replay's own entry, and the listing of replays.
    replays = httpx.get(f"{fp.url('audit')}/v1/dead-letters/replays", params={"id": target.id},
                        headers=auth("ops"), timeout=30)
    assert replays.status_code == 200, replays.text
    [recorded] = replays.json()["replays"]
    assert recorded["event_id"] == event_id and recorded["replaced"] is True and recorded["attempt"] == 1
    trail = httpx.get(f"{fp.url('audit')}/v1/trail", params={"business_key": target.id}, headers=auth("inspector"),
                      timeout=30)
    assert trail.status_code == 200, trail.text
    assert [e["type"] for e in trail.json()["entries"]] == ["dead_letter.replayed"], trail.json()

    # 5. Again: refused as already replayed (here and from the other services' copies of the same poison) ...
    second = jingban(fp, "dlq", "replay", target.id, "--value-file", str(value_file))
    assert second.returncode == 3 and "already_replayed" in second.stderr, (second.returncode, second.stderr)
    sibling = jingban(fp, "dlq", "replay", letters["archive"].id, "--value-file", str(value_file))
    assert sibling.returncode == 3 and "already_replayed" in sibling.stderr, (sibling.returncode, sibling.stderr)
    # ... and forced (--again): republished, recorded as attempt 2, applied nowhere a second time.
    forced = jingban(fp, "dlq", "replay", target.id, "--value-file", str(value_file), "--again")
    assert forced.returncode == 0, f"exit {forced.returncode}: {forced.stdout} {forced.stderr}"
    for service in READERS:
        wait_until(lambda s=service: group_caught_up(fp, s, topic), REAL_INFRA_DEADLINE,
                   f"{service} consuming the second copy")
    assert effects(fp, app_id, person, event_id) == ONCE
    attempts = httpx.get(f"{fp.url('audit')}/v1/dead-letters/replays", params={"id": target.id},
                         headers=auth("ops"), timeout=30).json()["replays"]
    assert sorted(r["attempt"] for r in attempts) == [1, 2]
    # Nothing of the fix was parked (only the three copies of the poison).
    assert [d.id for d in fp.dead_letters() if d.value != POISON] == []
