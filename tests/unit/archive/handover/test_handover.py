"""The handover archive (移交): built deterministically, verified file by file; any tampering is refused
with a precise reason."""

import hashlib
import io
import json
import zipfile
from functools import cache

import pytest

from services.archive.handover.domain.handover import (
    CHECKSUMS,
    FORMAT,
    MANIFEST,
    build_export,
    person_path,
    stored_entries,
    verify_export,
)
from services.archive.person_files.domain.person_file import entries_for
from tests.unit.archive.person_files.test_person_file import person_history
from tests.unit.audit.builders import PERSON_B, build, submitted

PRODUCED = "2026-11-24T08:00:00+00:00"


@cache
def persons() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for ev in [*person_history(), build(submitted("b1", PERSON_B, "HTN", "2025-06-09T01:00:00+00:00",
                                                  name="李梅"))]:
        for e in entries_for(ev):
            out.setdefault(e["person_id"], []).append(e)
    return out


def export() -> tuple[bytes, dict]:
    return build_export(export_id="x1", program="hz-chronic", tenant="hz-p1", produced_at=PRODUCED,
                        produced_by="ops:u1", persons=persons())


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


def test_export_layout_manifest_and_checksums() -> None:
    content, manifest = export()
    files = members(content)
    assert list(files) == [MANIFEST, "persons/610702195803120012.json", f"persons/{PERSON_B}.json", CHECKSUMS]
    assert manifest["format"] == FORMAT and manifest["program"] == "hz-chronic" and manifest["tenant"] == "hz-p1"
    assert manifest["counts"]["persons"] == 2
    assert manifest["counts"]["entries"] == sum(len(v) for v in persons().values())
    for f in manifest["files"]:
        assert f["sha256"] == hashlib.sha256(files[f["path"]]).hexdigest() and f["size"] == len(files[f["path"]])
    # sha256sum format: `sha256sum -c checksums.sha256` accepts it.
    lines = files[CHECKSUMS].decode().splitlines()
    assert f"{hashlib.sha256(files[MANIFEST]).hexdigest()}  {MANIFEST}" in lines and len(lines) == 3
    doc = json.loads(files[f"persons/{PERSON_B}.json"])
    assert doc["summary"]["identity"]["person_name"] == "李梅"
    assert export()[0] == content  # deterministic


def test_a_clean_export_verifies_and_yields_its_entries() -> None:
    content, _ = export()
    checked = verify_export(content)
    assert checked.valid, checked.errors
    assert set(checked.persons) == {"610702195803120012", PERSON_B}
    assert checked.as_report()["entries"] == sum(len(v) for v in persons().values())
    stored = stored_entries(checked.persons[PERSON_B], "hz-p3", {"export_id": "x1", "tenant": "hz-p1"})
    original = persons()[PERSON_B]
    assert {s["_id"] for s in stored} == {e["_id"] for e in original}
    assert all(s["tenant"] == "hz-p3" and s["imported_from"]["tenant"] == "hz-p1" for s in stored)


def test_one_changed_byte_in_a_person_file_is_refused() -> None:
    files = members(export()[0])
    path = f"persons/{PERSON_B}.json"
    files[path] = files[path].replace("李梅".encode(), "李海".encode(), 1)
    checked = verify_export(rezip(files))
    assert not checked.valid and not checked.persons
    assert any(e.startswith(f"{path}: sha256 mismatch ({CHECKSUMS}") for e in checked.errors)
    assert any(e.startswith(f"{path}: sha256 mismatch ({MANIFEST}") for e in checked.errors)


def test_recomputed_checksums_do_not_hide_a_change_from_the_manifest() -> None:
    files = members(export()[0])
    path = f"persons/{PERSON_B}.json"
    files[path] = files[path].replace(b"HTN", b"DL ", 1)
    files[CHECKSUMS] = "".join(f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in files.items()
                               if n != CHECKSUMS).encode()
    errors = verify_export(rezip(files)).errors
    assert errors == [f"{path}: sha256 mismatch ({MANIFEST} says "
                      f"{hashlib.sha256(members(export()[0])[path]).hexdigest()}, content is "
                      f"{hashlib.sha256(files[path]).hexdigest()})"]


def test_a_flipped_byte_in_the_zip_itself_is_refused() -> None:
    content = bytearray(export()[0])
    content[len(content) // 3] ^= 0xFF
    checked = verify_export(bytes(content))
    assert not checked.valid and checked.errors


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda f: f.pop(CHECKSUMS), f"{CHECKSUMS}: missing"),
    (lambda f: f.pop(MANIFEST), f"{MANIFEST}: missing"),
    (lambda f: f.pop(f"persons/{PERSON_B}.json"), f"persons/{PERSON_B}.json: listed in {CHECKSUMS} but not in the"),
    (lambda f: f.__setitem__("persons/evil.json", b"{}"), "persons/evil.json: not listed in"),
    (lambda f: f.__setitem__("../etc/passwd", b"x"), "../etc/passwd: unexpected file"),
])
def test_missing_and_extra_files_are_named(mutate, expected: str) -> None:
    files = members(export()[0])
    mutate(files)
    errors = verify_export(rezip(files)).errors
    assert any(e.startswith(expected) for e in errors), errors


def test_manifest_counts_must_match() -> None:
    files = members(export()[0])
    manifest = json.loads(files[MANIFEST])
    manifest["counts"]["entries"] += 1
    files[MANIFEST] = json.dumps(manifest).encode()
    files[CHECKSUMS] = "".join(f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in files.items()
                               if n != CHECKSUMS).encode()
    errors = verify_export(rezip(files)).errors
    assert len(errors) == 1 and errors[0].startswith(f"{MANIFEST}: counts.entries is")


def test_not_a_zip() -> None:
    assert verify_export(b"PK\x03\x04 nope").errors[0].startswith("not a zip archive")
    assert not verify_export(b"").valid


def test_unsafe_person_ids_get_hashed_names() -> None:
    assert person_path("610702195803120012") == "persons/610702195803120012.json"
    assert person_path("../../x").startswith("persons/x-") and "/" not in person_path("../../x")[8:]
