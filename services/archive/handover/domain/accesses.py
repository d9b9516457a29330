"""Whose data a handover archive holds (for its access records, 查阅记录): every person file's `person_id`, read from
the zip as it is handed over. Pure: bytes in, ids out."""

from __future__ import annotations

import io
import json
import zipfile

PERSONS_DIR = "persons/"


def exported_persons(zip_bytes: bytes) -> list[str]:
    """The person ids of the person files a handover zip holds (sorted, each once); files that do not read as a
    person file are skipped (the zip was verified when it was made and is checked against its sha256 on reading)."""
    found: set[str] = set()
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        for info in zf.infolist():
            if not (info.filename.startswith(PERSONS_DIR) and info.filename.endswith(".json")):
                continue
            try:
                doc = json.loads(zf.read(info))
            except (ValueError, zipfile.BadZipFile, OSError):
                continue
            if isinstance(doc, dict) and isinstance(doc.get("person_id"), str) and doc["person_id"]:
                found.add(doc["person_id"])
    return sorted(found)
