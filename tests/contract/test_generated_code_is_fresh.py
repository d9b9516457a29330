"""proto/ is the contract: the committed bindings in contracts must be exactly what
`make proto` generates from it today."""

from __future__ import annotations

import filecmp
from pathlib import Path

from scripts.gen_proto import ROOT, generate


def test_generated_bindings_match_proto(tmp_path: Path) -> None:
    generate(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in (tmp_path / "contracts").rglob("*") if p.is_file())
    committed = sorted(p.relative_to(ROOT) for p in (ROOT / "contracts").rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts)
    assert [str(p) for p in fresh] == [str(p) for p in committed], \
        "bindings added or removed: run `make proto`"
    stale = [str(p) for p in fresh if not filecmp.cmp(tmp_path / p, ROOT / p, shallow=False)]
    assert not stale, f"stale generated code, run `make proto`: {stale}"


def test_every_event_in_the_catalogue_has_a_payload_message() -> None:
    from chassis.events import CATALOGUE
    from contracts.v1 import events_pb2

    for event_type, (_, cls) in CATALOGUE.items():
        assert cls.DESCRIPTOR.file is events_pb2.DESCRIPTOR, event_type


def test_the_catalogue_is_data_and_chassis_names_no_publisher() -> None:
    """The catalogue lives beside the protos; chassis reads it and holds no service's name itself."""
    from chassis.events import CATALOGUE, dead_letter_topic, topic_for

    assert (ROOT / "proto" / "contracts" / "v1" / "catalogue.yaml").is_file()
    assert CATALOGUE["qualification.granted"][0] == "appraisal"
    assert topic_for("hz-p1", "statement.closed", "x.") == "x.hz-p1.settlement.statement.closed"
    assert dead_letter_topic("hz-p1", "audit") == "hz-p1.audit.dead-letter"
    source = (ROOT / "chassis" / "events.py").read_text(encoding="utf-8")
    for service in ("intake", "appraisal", "settlement", "audit", "archive"):
        assert f'"{service}"' not in source, service
