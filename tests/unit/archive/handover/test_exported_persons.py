"""Whose data a handover zip holds (for its access records): every person file's id, hashed file names included."""

from __future__ import annotations

import io
import zipfile

from services.archive.handover.domain.accesses import exported_persons
from services.archive.handover.domain.handover import build_export

ENTRY = {"_id": "e1", "kind": "application", "title": "t", "occurred_at": "2026-01-01T00:00:00+00:00",
         "attributes": {}, "source_event_id": "e1"}


def test_the_persons_of_an_export_are_read_from_its_person_files() -> None:
    content, _ = build_export(export_id="x", program="hz-chronic", tenant="hz-p1", produced_at="2026-01-01T00:00:00",
                              produced_by="ops:o1", persons={"610702195803120012": [ENTRY], "not/an id": [ENTRY]})
    assert exported_persons(content) == ["610702195803120012", "not/an id"]


def test_files_that_are_not_person_files_are_skipped() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("manifest.json", '{"person_id": "ignored"}')
        zf.writestr("persons/a.json", "not json")
        zf.writestr("persons/b.json", '["a list"]')
        zf.writestr("persons/c.json", '{"person_id": "61072119620425002X"}')
    assert exported_persons(out.getvalue()) == ["61072119620425002X"]
