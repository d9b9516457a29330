"""Handover (移交) of a program's archive at contract end: one zip holding `manifest.json`, one JSON file per
person (`persons/<person_id>.json`) and `checksums.sha256` (sha256sum format, so `sha256sum -c` checks it
too); and the verification an importer runs before taking anything in."""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chassis.errors import InvalidInput
from services.archive.person_files.domain.person_file import summarize

FORMAT = "jingban-archive-handover/1"
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"
_SAFE = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_PERSON_PATH = re.compile(r"^persons/[0-9A-Za-z_-]{1,66}\.json$")
_CHECKSUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](\S.*)$")
MAX_MEMBER_BYTES = 64 * 1024 * 1024  # one person's file; more means a damaged or hostile archive
# Zip bombs: an archive is refused before anything in it is decompressed when it holds more members (a program's
# persons, plus the manifest and the checksums) or more bytes once decompressed than any real handover.
MAX_MEMBERS = 500_000 + 2
MAX_UNCOMPRESSED_BYTES = 2 * 1024 * 1024 * 1024
# Their codes (domain/reasons.py ERRORS).
ARCHIVE_TOO_MANY_MEMBERS = "archive_too_many_members"
ARCHIVE_MEMBER_TOO_LARGE = "archive_member_too_large"
ARCHIVE_TOO_LARGE = "archive_too_large"
ENTRY_FIELDS = ("entry_id", "kind", "title", "occurred_at", "attributes", "source_event_id")


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def person_path(person_id: str) -> str:
    """Resident ID numbers are file-name safe; any other key is named by its hash (the file says whose it is)."""
    name = person_id if _SAFE.match(person_id) else "x-" + sha256(person_id.encode())[:32]
    return f"persons/{name}.json"


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def entry_record(e: Mapping[str, Any]) -> dict[str, Any]:
    return {"entry_id": e["_id"], "kind": e["kind"], "title": e["title"], "occurred_at": e["occurred_at"],
            "attributes": dict(e["attributes"]), "source_event_id": e["source_event_id"]}


def person_document(person_id: str, entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    ordered = sorted(entries, key=lambda e: (e["occurred_at"], e["_id"]))
    return {"person_id": person_id, "summary": summarize(person_id, ordered),
            "entries": [entry_record(e) for e in ordered]}


def build_export(*, export_id: str, program: str, tenant: str, produced_at: str, produced_by: str,
                 persons: Mapping[str, Iterable[Mapping[str, Any]]], selection: Mapping[str, str] | None = None
                 ) -> tuple[bytes, dict[str, Any]]:
    """The zip's bytes and its manifest. Deterministic for the same inputs (fixed member order and times).
    `selection` (scope, period) says which persons a partial handover holds (approved applicants)."""
    files: dict[str, bytes] = {}
    by_kind: Counter[str] = Counter()
    entries = 0
    for person_id in sorted(persons):
        doc = person_document(person_id, persons[person_id])
        entries += len(doc["entries"])
        by_kind.update(e["kind"] for e in doc["entries"])
        files[person_path(person_id)] = canonical(doc)
    manifest = {
        "format": FORMAT, "export_id": export_id, "program": program, "tenant": tenant, "produced_at": produced_at,
        "produced_by": produced_by,
        "counts": {"persons": len(files), "entries": entries, "by_kind": dict(sorted(by_kind.items()))},
        "files": [{"path": path, "sha256": sha256(content), "size": len(content)} for path, content in files.items()],
        **({"selection": dict(selection)} if selection else {}),
    }
    manifest_bytes = canonical(manifest)
    checksums = "".join(f"{sha256(c)}  {p}\n" for p, c in [(MANIFEST, manifest_bytes), *files.items()])
    stamp = datetime.fromisoformat(produced_at).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, content in [(MANIFEST, manifest_bytes), *files.items(), (CHECKSUMS, checksums.encode())]:
            info = zipfile.ZipInfo(path, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return out.getvalue(), manifest


@dataclass
class Verification:
    errors: list[str] = field(default_factory=list)
    manifest: dict[str, Any] | None = None
    persons: dict[str, dict[str, Any]] = field(default_factory=dict)  # person id -> person document
    entries: int = 0

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_report(self) -> dict[str, Any]:
        m = self.manifest or {}
        return {"valid": self.valid, "errors": self.errors, "export_id": m.get("export_id"),
                "program": m.get("program"), "tenant": m.get("tenant"), "produced_at": m.get("produced_at"),
                "persons": len(self.persons), "entries": self.entries}


_EOCD, _EOCD64_LOCATOR, _EOCD64, _CENTRAL = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06", b"PK\x01\x02"


def central_directory_members(zip_bytes: bytes, stop_after: int) -> int | None:
    """How many members the archive's central directory lists, counted header by header (nothing built, nothing
    decompressed), stopping at `stop_after + 1`; None when there is no directory to count (zipfile then says what
    is wrong). The directory is where the end record puts it, whatever count the end record claims."""
    end = zip_bytes.rfind(_EOCD, max(0, len(zip_bytes) - 22 - 65535))
    if end < 0 or len(zip_bytes) < end + 22:
        return None
    size_cd = struct.unpack("<L", zip_bytes[end + 12:end + 16])[0]
    location = end
    locator = end - 20
    if locator >= 0 and zip_bytes[locator:locator + 4] == _EOCD64_LOCATOR:  # zip64: the real size is there
        record = struct.unpack("<Q", zip_bytes[locator + 8:locator + 16])[0]
        location = locator - 56
        at = location if location >= 0 and zip_bytes[location:location + 4] == _EOCD64 else record  # as zipfile
        if 0 <= at < len(zip_bytes) and zip_bytes[at:at + 4] == _EOCD64:
            size_cd = struct.unpack("<Q", zip_bytes[at + 40:at + 48])[0]
    start = location - size_cd
    if start < 0:
        return None
    count, i, stop = 0, start, location
    while i + 46 <= stop and zip_bytes[i:i + 4] == _CENTRAL:
        count += 1
        if count > stop_after:
            break
        name, extra, comment = struct.unpack("<3H", zip_bytes[i + 28:i + 34])
        i += 46 + name + extra + comment
    return count


def check_caps(zip_bytes: bytes, zf: zipfile.ZipFile | None = None, *, max_members: int = MAX_MEMBERS,
               max_member_bytes: int = MAX_MEMBER_BYTES, max_total_bytes: int = MAX_UNCOMPRESSED_BYTES) -> None:
    """Refuse a zip bomb before anything in it is decompressed (422, field `export`, a precise code): too many
    members (counted in the raw directory before zipfile reads it), a member or the whole declaring more bytes than
    a handover holds. zipfile never decompresses a member past its declared size, so these bound the work."""
    counted = central_directory_members(zip_bytes, max_members) if zf is None else len(zf.infolist())
    if counted is not None and counted > max_members:
        raise InvalidInput(f"the archive holds more than {max_members} members; a handover holds one per person "
                           "and two more", "export", code=ARCHIVE_TOO_MANY_MEMBERS,
                           params={"limit": str(max_members)})
    if zf is None:
        return
    total = 0
    for info in zf.infolist():
        if info.file_size > max_member_bytes:
            raise InvalidInput(f"{info.filename}: declares {info.file_size} bytes, over the {max_member_bytes} "
                               "limit of one member", "export", code=ARCHIVE_MEMBER_TOO_LARGE,
                               params={"member": info.filename, "limit": str(max_member_bytes)})
        total += info.file_size
    if total > max_total_bytes:
        raise InvalidInput(f"the archive declares {total} bytes once decompressed, over the {max_total_bytes} limit",
                           "export", code=ARCHIVE_TOO_LARGE,
                           params={"declared": str(total), "limit": str(max_total_bytes)})


def verify_export(zip_bytes: bytes, **caps: int) -> Verification:
    """Every check an importer needs, each failure named precisely; nothing is trusted until all pass. An archive
    over the caps (`check_caps`; `caps` overrides them) is refused with its own code before anything is read."""
    report = Verification()
    err = report.errors.append
    check_caps(zip_bytes, **caps)
    try:
        zf = zipfile.ZipFile(io.BytesIO(zip_bytes))
    except zipfile.BadZipFile as exc:
        err(f"not a zip archive: {exc}")
        return report
    with zf:
        check_caps(zip_bytes, zf, **caps)
        names = [i.filename for i in zf.infolist()]
        for name, n in Counter(names).items():
            if n > 1:
                err(f"{name}: appears {n} times in the archive")
        contents: dict[str, bytes] = {}
        for info in zf.infolist():
            name = info.filename
            if name not in (MANIFEST, CHECKSUMS) and not _PERSON_PATH.match(name):
                err(f"{name}: unexpected file in a handover archive")
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                err(f"{name}: declares {info.file_size} bytes, over the {MAX_MEMBER_BYTES} limit")
                continue
            try:
                contents[name] = zf.read(info)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
                err(f"{name}: unreadable ({exc})")
    for required in (MANIFEST, CHECKSUMS):
        if required not in names:
            err(f"{required}: missing")
    if report.errors:
        return report

    listed: dict[str, str] = {}
    for n, line in enumerate(contents[CHECKSUMS].decode("utf-8", "replace").splitlines(), 1):
        if not line.strip():
            continue
        m = _CHECKSUM_LINE.match(line)
        if not m:
            err(f"{CHECKSUMS} line {n}: not '<sha256>  <path>'")
            continue
        listed[m[2]] = m[1]
    for name in sorted(set(contents) - {CHECKSUMS}):
        actual = sha256(contents[name])
        if name not in listed:
            err(f"{name}: not listed in {CHECKSUMS}")
        elif listed[name] != actual:
            err(f"{name}: sha256 mismatch ({CHECKSUMS} says {listed[name]}, content is {actual})")
    for name in sorted(set(listed) - set(contents)):
        err(f"{name}: listed in {CHECKSUMS} but not in the archive")

    try:
        manifest = json.loads(contents[MANIFEST])
        if not isinstance(manifest, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        err(f"{MANIFEST}: not valid JSON ({exc})")
        return report
    report.manifest = manifest
    if manifest.get("format") != FORMAT:
        err(f"{MANIFEST}: format {manifest.get('format')!r} is not {FORMAT!r}")
    missing = [k for k in ("export_id", "program", "tenant", "produced_at", "counts", "files") if k not in manifest]
    if missing:
        err(f"{MANIFEST}: lacks {', '.join(missing)}")
        return report
    person_files = {n: c for n, c in contents.items() if n.startswith("persons/")}
    described: dict[str, Mapping[str, Any]] = {}
    for f in manifest["files"] if isinstance(manifest["files"], list) else []:
        if isinstance(f, dict) and isinstance(f.get("path"), str):
            described[f["path"]] = f
    if not isinstance(manifest["files"], list) or len(described) != len(manifest["files"]):
        err(f"{MANIFEST}: `files` must list each file once as {{path, sha256, size}}")
    for path in sorted(set(person_files) | set(described)):
        if path not in described:
            err(f"{path}: in the archive but not in {MANIFEST}")
        elif path not in person_files:
            err(f"{path}: in {MANIFEST} but not in the archive")
        else:
            content, f = person_files[path], described[path]
            if f.get("sha256") != sha256(content):
                err(f"{path}: sha256 mismatch ({MANIFEST} says {f.get('sha256')}, content is {sha256(content)})")
            if f.get("size") != len(content):
                err(f"{path}: size mismatch ({MANIFEST} says {f.get('size')}, content is {len(content)} bytes)")

    by_kind: Counter[str] = Counter()
    seen_entries: set[str] = set()
    for path, content in sorted(person_files.items()):
        problem = _check_person(path, content)
        if isinstance(problem, str):
            err(problem)
            continue
        for e in problem["entries"]:
            if e["entry_id"] in seen_entries:
                err(f"{path}: entry {e['entry_id']} appears in more than one place")
            seen_entries.add(e["entry_id"])
            by_kind[e["kind"]] += 1
        report.persons[problem["person_id"]] = problem
        report.entries += len(problem["entries"])
    counts = manifest["counts"] if isinstance(manifest["counts"], dict) else {}
    expected = {"persons": len(person_files), "entries": sum(by_kind.values()),
                "by_kind": dict(sorted(by_kind.items()))}
    for key, value in expected.items():
        if counts.get(key) != value:
            err(f"{MANIFEST}: counts.{key} is {counts.get(key)!r} but the archive holds {value!r}")
    if report.errors:
        report.persons.clear()
        report.entries = 0
    return report


def _check_person(path: str, content: bytes) -> dict[str, Any] | str:
    try:
        doc = json.loads(content)
    except ValueError as exc:
        return f"{path}: not valid JSON ({exc})"
    if not isinstance(doc, dict) or not isinstance(doc.get("person_id"), str) or not isinstance(doc.get("entries"),
                                                                                                list):
        return f"{path}: must be an object with person_id and entries"
    if person_path(doc["person_id"]) != path:
        return f"{path}: holds person {doc['person_id']!r}, whose file would be {person_path(doc['person_id'])}"
    for i, e in enumerate(doc["entries"]):
        if not isinstance(e, dict) or any(not isinstance(e.get(k), str) for k in ENTRY_FIELDS if k != "attributes"):
            return f"{path}: entry {i} lacks one of {', '.join(ENTRY_FIELDS)}"
        attrs = e.get("attributes")
        if not isinstance(attrs, dict) or any(not isinstance(v, str) for v in attrs.values()):
            return f"{path}: entry {i} attributes must map names to strings"
    return doc


def stored_entries(doc: Mapping[str, Any], tenant: str, origin: Mapping[str, str]) -> list[dict[str, Any]]:
    """A verified person document's entries as archive stores them, in the importing tenant, with where
    they came from."""
    return [{"_id": e["entry_id"], "person_id": doc["person_id"], "kind": e["kind"], "title": e["title"],
             "occurred_at": e["occurred_at"], "attributes": dict(e["attributes"]),
             "source_event_id": e["source_event_id"], "tenant": tenant, "imported_from": dict(origin)}
            for e in doc["entries"]]
