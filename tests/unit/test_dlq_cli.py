"""`jingban dlq` on a fake bus and a fake audit ledger: parsing, what list/show print (and never print), and how
replay records, republishes, refuses a second time and finishes an interrupted run."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from chassis.events import encode, topic_for
from jingban import dlq
from jingban.cli import main as jingban_main
from tests.support.dead_letters import PERSON, FakeDeadLetterLog, corrected, parked, submitted

ENV = {"JINGBAN_TENANTS": "hz-p1,hz-p2"}
DLQ_TOPIC = "hz-p1.appraisal.dead-letter"
ORIGINAL = topic_for("hz-p1", "application.submitted")


class FakeLedger:
    """audit's replay records: one per (id, attempt); `down` answers as an unreachable audit."""

    def __init__(self, log: FakeDeadLetterLog | None = None) -> None:
        self.records: dict[tuple[str, str, int], dict[str, Any]] = {}
        self.down = False
        self._log = log

    async def replays(self, tenant: str, dlq_id: str | None = None) -> list[dict[str, Any]]:
        if self.down:
            raise dlq.LedgerUnavailable("audit did not answer: ConnectError")
        return [r for (t, i, _), r in sorted(self.records.items()) if t == tenant and dlq_id in (None, i)]

    async def record(self, tenant: str, replay: dict[str, Any]) -> dict[str, Any]:
        if self.down:
            raise dlq.LedgerUnavailable("audit did not answer: ConnectError")
        if self._log is not None:
            self._log.calls.append(f"record {replay['id']} attempt {replay['attempt']}")
        key = (tenant, replay["id"], replay["attempt"])
        return self.records.setdefault(key, {**replay, "recorded_at": datetime.now(UTC).isoformat()})


def run(argv: list[str], log: FakeDeadLetterLog, ledger: FakeLedger) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = dlq.run(dlq.parser().parse_args(argv), env=ENV, log=log, ledger=ledger, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def error_of(stderr: str) -> dict[str, str]:
    return json.loads(stderr.strip().splitlines()[-1])["error"]


# ---- parsing ----

def test_parsing_of_each_command() -> None:
    p = dlq.parser()
    args = p.parse_args(["list", "--tenant", "hz-p1", "--service", "intake", "--json"])
    assert (args.dlq_command, args.tenant, args.service, args.json) == ("list", "hz-p1", "intake", True)
    args = p.parse_args(["replay", f"{DLQ_TOPIC}:2:15", "--value-file", "fixed.bin", "--again"])
    assert (args.id, args.value_file, args.again) == (f"{DLQ_TOPIC}:2:15", "fixed.bin", True)
    with pytest.raises(SystemExit):
        p.parse_args(["list", "--service", "billing"])
    assert dlq.DeadLetterId.parse(f"{DLQ_TOPIC}:2:15") == dlq.DeadLetterId(DLQ_TOPIC, 2, 15)
    for bad in ("hz-p1.appraisal.dead-letter", f"{DLQ_TOPIC}:x:1", f"{DLQ_TOPIC}:1:-3", "a b:1:2"):
        with pytest.raises(dlq.DlqError) as caught:
            dlq.DeadLetterId.parse(bad)
        assert (caught.value.code, caught.value.field) == ("invalid_id", "id")


def test_the_jingban_command_has_dlq_and_refuses_a_bad_id_before_reaching_kafka(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert jingban_main(["dlq", "show", "not-an-id"]) == dlq.BAD_INPUT
    assert error_of(capsys.readouterr().err) == {
        "code": "invalid_id", "field": "id",
        "message": "'not-an-id' is not a parked message id (<dead-letter topic>:<partition>:<offset>)"}


def test_a_topic_of_an_unserved_tenant_or_not_a_dead_letter_topic_is_refused() -> None:
    log = FakeDeadLetterLog()
    code, _, err = run(["show", "qz-ci.appraisal.dead-letter:0:0"], log, FakeLedger())
    assert code == dlq.BAD_INPUT and error_of(err)["code"] == "not_a_dead_letter_topic"
    code, _, err = run(["replay", f"{ORIGINAL}:0:0"], log, FakeLedger())
    assert code == dlq.BAD_INPUT and error_of(err)["field"] == "id"
    code, _, err = run(["list", "--tenant", "qz-ci"], log, FakeLedger())
    assert code == dlq.BAD_INPUT and error_of(err) == {
        "code": "tenant_not_served", "field": "tenant", "message": "tenant qz-ci is not served here (JINGBAN_TENANTS)"}


# ---- list and show: what they print, and what they never print ----

def test_list_prints_one_line_per_parked_message_without_personal_data() -> None:
    ev = submitted()
    log = FakeDeadLetterLog(parked(encode(ev)), parked(b"\xff\x00not an envelope", offset=1, reason="undecodable"),
                            parked(encode(submitted("hz-p2")), tenant="hz-p2", service="intake"))
    ledger = FakeLedger()
    ledger.records[("hz-p1", f"{DLQ_TOPIC}:0:0", 1)] = {"id": f"{DLQ_TOPIC}:0:0", "attempt": 1}
    code, out, _ = run(["list"], log, ledger)
    assert code == dlq.OK
    header, first, second, third = out.splitlines()
    assert header.split()[:2] == ["ID", "ORIGINAL"] and header.endswith("REASON")
    digest = hashlib.sha256(PERSON.encode()).hexdigest()[:12]
    assert first.split()[:7] == [f"{DLQ_TOPIC}:0:0", ORIGINAL, "application.submitted", ev["event_id"], digest,
                                 "2026-01-05T02:03:04", "yes"]
    assert first.endswith("InvalidInput: disease_code is not in the table")
    assert second.split()[:7] == [f"{DLQ_TOPIC}:0:1", ORIGINAL, "-", "-", digest, "2026-01-05T02:03:04", "no"]
    assert third.startswith("hz-p2.intake.dead-letter:0:0")
    assert PERSON not in out and "张建国" not in out and "APP-1" not in out

    code, out, _ = run(["list", "--tenant", "hz-p1", "--service", "appraisal", "--json"], log, ledger)
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["replayed"], r["parked_by"]) for r in rows] == [(f"{DLQ_TOPIC}:0:0", 1, "appraisal"),
                                                                        (f"{DLQ_TOPIC}:0:1", 0, "appraisal")]
    assert code == dlq.OK and PERSON not in out
    code, out, _ = run(["list", "--service", "archive"], log, ledger)
    assert code == dlq.OK and out.startswith("no parked messages on 0 dead-letter topic(s)")


def test_list_still_lists_when_audit_is_away_and_says_it_cannot_tell() -> None:
    log = FakeDeadLetterLog(parked(encode(submitted())))
    ledger = FakeLedger()
    ledger.down = True
    code, out, err = run(["list", "--json"], log, ledger)
    assert code == dlq.OK and json.loads(out)["replayed"] is None
    assert "cannot tell which of hz-p1's messages were replayed" in err
    code, out, _ = run(["list"], log, ledger)
    assert out.splitlines()[1].split()[6] == "?"


def test_show_gives_headers_reason_and_envelope_metadata_but_no_payload() -> None:
    ev = submitted()
    value = encode(ev)
    log = FakeDeadLetterLog(parked(value))
    code, out, _ = run(["show", f"{DLQ_TOPIC}:0:0"], log, FakeLedger())
    assert code == dlq.OK
    shown = json.loads(out)
    assert shown["reason"] == "InvalidInput: disease_code is not in the table"
    assert (shown["tenant"], shown["parked_by"], shown["original_topic"], shown["original_offset"]) == (
        "hz-p1", "appraisal", ORIGINAL, "41")
    assert shown["headers"]["dlq-service"] == "appraisal" and "traceparent" in shown["headers"]
    assert (shown["value_bytes"], shown["value_sha256"]) == (len(value), hashlib.sha256(value).hexdigest())
    env = shown["envelope"]
    assert (env["type"], env["event_id"], env["tenant"], env["source"]) == (
        "application.submitted", ev["event_id"], "hz-p1", "intake")
    assert env["occurred_at"].startswith(ev["occurred_at"][:19]) and env["payload_bytes"] > 0
    assert env["business_key_sha256"] == hashlib.sha256(PERSON.encode()).hexdigest()[:12]
    assert shown["consumable"] is True and shown["replays"] == []
    assert PERSON not in out and "张建国" not in out

    log = FakeDeadLetterLog(parked(b"\xff\x00garbage"))
    code, out, _ = run(["show", f"{DLQ_TOPIC}:0:0"], log, FakeLedger())
    shown = json.loads(out)
    assert code == dlq.OK and shown["envelope"] is None and shown["consumable"] is False
    assert shown["problem"].startswith("undecodable envelope")
    code, _, err = run(["show", f"{DLQ_TOPIC}:0:9"], log, FakeLedger())
    assert code == dlq.BAD_INPUT and error_of(err)["code"] == "not_found"


# ---- replay ----

def test_replay_records_first_then_republishes_with_the_header_and_refuses_a_second_time() -> None:
    ev = submitted()
    log = FakeDeadLetterLog(parked(encode(ev)))
    ledger = FakeLedger(log)
    code, out, _ = run(["replay", f"{DLQ_TOPIC}:0:0"], log, ledger)
    assert code == dlq.OK and out.startswith(f"replayed {DLQ_TOPIC}:0:0 to {ORIGINAL}:0:0 (attempt 1")
    assert log.calls == [f"record {DLQ_TOPIC}:0:0 attempt 1", f"publish {ORIGINAL}"]
    [copy] = log.topics[ORIGINAL]
    assert copy.value == encode(ev) and copy.key == PERSON.encode()
    assert copy.headers[dlq.REPLAYED_FROM] == f"{DLQ_TOPIC}:0:0" and copy.headers[dlq.REPLAY_ATTEMPT] == "1"
    assert copy.headers["traceparent"] and not any(k in copy.headers for k in ("dlq-reason", "dlq-topic"))
    [(_, record)] = ledger.records.items()
    assert {k: record[k] for k in ("original_topic", "event_id", "reason", "value_sha256", "replaced")} == {
        "original_topic": ORIGINAL, "event_id": ev["event_id"], "reason": "InvalidInput: disease_code is not in "
        "the table", "value_sha256": hashlib.sha256(encode(ev)).hexdigest(), "replaced": False}

    code, _, err = run(["replay", f"{DLQ_TOPIC}:0:0"], log, ledger)
    assert code == dlq.REFUSED and error_of(err)["code"] == "already_replayed"
    assert len(log.topics[ORIGINAL]) == 1 and len(ledger.records) == 1

    code, out, _ = run(["replay", f"{DLQ_TOPIC}:0:0", "--again"], log, ledger)
    assert code == dlq.OK and "(attempt 2" in out
    assert [m.headers[dlq.REPLAY_ATTEMPT] for m in log.topics[ORIGINAL]] == ["1", "2"]
    assert sorted(a for (_, _, a) in ledger.records) == [1, 2]
    # The same event both times: consumers dedupe by its id, so it is applied once.
    assert {m.value for m in log.topics[ORIGINAL]} == {encode(ev)}


def test_an_interrupted_replay_is_finished_under_its_record_and_audit_away_publishes_nothing() -> None:
    log = FakeDeadLetterLog(parked(encode(submitted())))
    ledger = FakeLedger(log)
    log.fail_publish = True
    code, _, err = run(["replay", f"{DLQ_TOPIC}:0:0"], log, ledger)
    assert code == dlq.FAILED and error_of(err)["code"] == "not_republished"
    assert "recorded in the audit trail but was not republished" in error_of(err)["message"]
    assert ORIGINAL not in log.topics and len(ledger.records) == 1

    log.fail_publish = False
    code, out, err = run(["replay", f"{DLQ_TOPIC}:0:0"], log, ledger)  # no --again needed: nothing was applied
    assert code == dlq.OK and "recorded but not republished; finishing it" in err and "(attempt 1" in out
    assert len(log.topics[ORIGINAL]) == 1 and len(ledger.records) == 1

    other = FakeDeadLetterLog(parked(encode(submitted())))
    away = FakeLedger(other)
    away.down = True
    code, _, err = run(["replay", f"{DLQ_TOPIC}:0:0"], other, away)
    assert code == dlq.FAILED and error_of(err)["code"] == "audit_unavailable"
    assert ORIGINAL not in other.topics  # never republished unrecorded


def test_undecodable_poison_is_replayed_as_a_corrected_message(tmp_path: Path) -> None:
    log = FakeDeadLetterLog(parked(b"\xff\x00garbage", reason="undecodable envelope: Error parsing message"))
    ledger = FakeLedger(log)
    code, _, err = run(["replay", f"{DLQ_TOPIC}:0:0"], log, ledger)
    assert code == dlq.BAD_INPUT and error_of(err)["field"] == "id" and "--value-file" in error_of(err)["message"]
    assert not ledger.records

    wrong_tenant = tmp_path / "wrong.bin"
    wrong_tenant.write_bytes(corrected("hz-p2"))
    code, _, err = run(["replay", f"{DLQ_TOPIC}:0:0", "--value-file", str(wrong_tenant)], log, ledger)
    assert code == dlq.BAD_INPUT and error_of(err)["field"] == "value_file"
    assert "is not the topic's tenant" in error_of(err)["message"] and not ledger.records
    code, _, err = run(["replay", f"{DLQ_TOPIC}:0:0", "--value-file", str(tmp_path / "absent.bin")], log, ledger)
    assert code == dlq.BAD_INPUT and error_of(err)["code"] == "unreadable_value_file"

    fixed = tmp_path / "fixed.bin"
    fixed.write_bytes(corrected())
    code, out, _ = run(["replay", f"{DLQ_TOPIC}:0:0", "--value-file", str(fixed)], log, ledger)
    assert code == dlq.OK and "corrected message" in out
    [copy] = log.topics[ORIGINAL]
    assert copy.value == corrected() and copy.headers[dlq.REPLAYED_FROM] == f"{DLQ_TOPIC}:0:0"
    [record] = ledger.records.values()
    assert record["replaced"] is True and record["event_id"] == "0b7c6f0e-4a8e-4c39-9b7a-0c7d5f2e9a11"
    assert record["value_sha256"] == hashlib.sha256(corrected()).hexdigest()


def test_the_table_format_shortens_the_reason_to_one_line() -> None:
    m = parked(encode(submitted()), reason="failed 5 times:\n" + "x" * 400)
    line = dlq.format_table([dlq.listing(m, [])]).splitlines()[1]
    assert "\n" not in line and line.endswith("…") and "failed 5 times: xxx" in line


def test_run_turns_a_bad_setting_into_a_precise_error() -> None:
    err = io.StringIO()
    code = dlq.run(argparse.Namespace(dlq_command="list", tenant=None, service=None, json=False),
                   env={"JINGBAN_TENANTS": "HZ P1"}, log=FakeDeadLetterLog(), ledger=FakeLedger(), err=err)
    assert code == dlq.BAD_INPUT and "invalid tenant ids" in error_of(err.getvalue())["message"]


def test_a_reason_quoting_the_key_or_an_identity_number_is_masked_everywhere_it_is_shown() -> None:
    other_person = "61072119620425002X"
    reason = f"failed 5 times: DuplicateKeyError: dup key {{ person_id: \"{PERSON}\" }} and {other_person}"
    log = FakeDeadLetterLog(parked(encode(submitted()), reason=reason))
    ledger = FakeLedger(log)
    for argv in (["list"], ["list", "--json"], ["show", f"{DLQ_TOPIC}:0:0"]):
        code, out, _ = run(argv, log, ledger)
        assert code == dlq.OK and PERSON not in out and other_person not in out, argv
        assert f"<key {hashlib.sha256(PERSON.encode()).hexdigest()[:12]}>" in out and "610721********002X" in out
    assert run(["replay", f"{DLQ_TOPIC}:0:0"], log, ledger)[0] == dlq.OK
    [record] = ledger.records.values()
    assert PERSON not in record["reason"] and other_person not in record["reason"]


def test_one_replay_serves_every_service_that_parked_the_same_message(tmp_path: Path) -> None:
    """Undecodable bytes are parked by each service reading the topic; one corrected copy reaches them all."""
    poison = b"\xff\x00garbage"
    log = FakeDeadLetterLog(parked(poison, service="appraisal"), parked(poison, service="audit"),
                            parked(poison, service="archive", offset=0, original=ORIGINAL))
    ledger = FakeLedger(log)
    code, out, _ = run(["show", f"{DLQ_TOPIC}:0:0"], log, ledger)
    assert code == dlq.OK and json.loads(out)["same_origin"] == ["hz-p1.audit.dead-letter:0:0",
                                                                  "hz-p1.archive.dead-letter:0:0"]
    fixed = tmp_path / "fixed.bin"
    fixed.write_bytes(corrected())
    assert run(["replay", f"{DLQ_TOPIC}:0:0", "--value-file", str(fixed)], log, ledger)[0] == dlq.OK
    code, _, err = run(["replay", "hz-p1.audit.dead-letter:0:0", "--value-file", str(fixed)], log, ledger)
    assert code == dlq.REFUSED and f"was replayed from {DLQ_TOPIC}:0:0" in error_of(err)["message"]
    assert len(log.topics[ORIGINAL]) == 1
    code, _, _ = run(["replay", "hz-p1.audit.dead-letter:0:0", "--value-file", str(fixed), "--again"], log, ledger)
    assert code == dlq.OK and len(log.topics[ORIGINAL]) == 2
