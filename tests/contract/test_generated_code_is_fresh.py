"""proto/ is the contract: the committed bindings in jingban/contracts must be exactly what
`make proto` generates from it today."""

from __future__ import annotations

import filecmp
from pathlib import Path

from scripts.gen_proto import ROOT, generate


def test_generated_bindings_match_proto(tmp_path: Path) -> None:
    generate(tmp_path)
    fresh = sorted(p.relative_to(tmp_path) for p in (tmp_path / "jingban" / "contracts").rglob("*") if p.is_file())
    committed = sorted(p.relative_to(ROOT) for p in (ROOT / "jingban" / "contracts").rglob("*")
                       if p.is_file() and "__pycache__" not in p.parts)
    assert [str(p) for p in fresh] == [str(p) for p in committed], \
        "bindings added or removed: run `make proto`"
    stale = [str(p) for p in fresh if not filecmp.cmp(tmp_path / p, ROOT / p, shallow=False)]
    assert not stale, f"stale generated code, run `make proto`: {stale}"


def test_every_event_in_the_catalogue_has_a_payload_message() -> None:
    from chassis.events import CATALOGUE
    from jingban.contracts.v1 import events_pb2

    for event_type, (_, cls) in CATALOGUE.items():
        assert cls.DESCRIPTOR.file is events_pb2.DESCRIPTOR, event_type
