"""The exported case file (案卷导出): one zip holding `manifest.json`, `case.json` (the case as recorded: lead and
verification, findings, decisions, recoveries, closing), every document under `documents/` and `checksums.sha256`
(sha256sum format, so `sha256sum -c` checks it too) — the approach of archive's handover (services/archive/handover/
domain/handover.py: canonical JSON, a manifest listing each file with its sha256 and size, fixed member order and
times so the same case gives the same bytes). Its generic part (build_zip, verify_zip) is a small copy kept here: a
service never imports another's code. Pure."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from datetime import datetime
from typing import Any

FORMAT = "jingban-case-file/1"
MANIFEST = "manifest.json"
CHECKSUMS = "checksums.sha256"
CASE = "case.json"
_CHECKSUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](\S.*)$")
_SAFE = re.compile(r"[^0-9A-Za-z_.-]+")
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "text/csv": ".csv",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}
MAX_MEMBERS = 1000                 # a case file holds its documents (tens), the case and the manifest
MAX_BYTES = 512 * 1024 * 1024      # once decompressed: refused before reading more


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")


def document_path(document_id: str, content_type: str) -> str:
    """`documents/<document id><ext>`: the id is the kind and the sha256's head, safe as a file name."""
    return f"documents/{_SAFE.sub('_', document_id)}{EXTENSIONS.get(content_type, '')}"


def build_zip(head: Mapping[str, Any], files: Mapping[str, bytes], produced_at: str) -> tuple[bytes, dict[str, Any]]:
    """The zip's bytes and its manifest: `head` (what the manifest says of the whole) plus `files`, each listed with
    its sha256 and size; `checksums.sha256` covers the manifest and every file. Deterministic for the same inputs."""
    manifest = {"format": FORMAT, **dict(head), "produced_at": produced_at,
                "files": [{"path": p, "sha256": sha256(c), "size": len(c)} for p, c in files.items()]}
    manifest_bytes = canonical(manifest)
    members = [(MANIFEST, manifest_bytes), *files.items()]
    checksums = "".join(f"{sha256(c)}  {p}\n" for p, c in members).encode()
    stamp = max(datetime.fromisoformat(produced_at).timetuple()[:6], (1980, 1, 1, 0, 0, 0))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, content in [*members, (CHECKSUMS, checksums)]:
            info = zipfile.ZipInfo(path, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return out.getvalue(), manifest


def build_case_file(case: Mapping[str, Any], documents: Mapping[str, tuple[str, bytes]], tenant: str,
                    produced_at: str) -> tuple[bytes, dict[str, Any]]:
    """The case file of `case` (its view) with its documents (document id → (content type, bytes))."""
    files: dict[str, bytes] = {CASE: canonical(dict(case))}
    for document_id in sorted(documents):
        content_type, content = documents[document_id]
        files[document_path(document_id, content_type)] = content
    head = {"case_id": case["case_id"], "tenant": tenant, "institution_id": case["institution_id"],
            "state": case["state"], "version": case["version"],
            "counts": {"documents": len(documents), "findings": len(case.get("findings") or []),
                       "decisions": len(case.get("decisions") or []),
                       "recoveries": len(case.get("recoveries") or [])}}
    return build_zip(head, files, produced_at)


def verify_zip(content: bytes) -> tuple[list[str], dict[str, Any] | None]:
    """Every check a receiver runs, each failure named: a zip, members once, the checksums file listing every other
    member with its sha256, the manifest listing every file (not itself, not the checksums) with sha256 and size.
    Returns (errors, manifest)."""
    errors: list[str] = []
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        return [f"not a zip archive: {exc}"], None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_BYTES:
            return [f"the archive declares more than {MAX_MEMBERS} members or {MAX_BYTES} bytes"], None
        names = [i.filename for i in infos]
        errors += [f"{n}: appears more than once" for n in sorted({n for n in names if names.count(n) > 1})]
        contents = {i.filename: zf.read(i) for i in infos}
    for required in (MANIFEST, CHECKSUMS):
        if required not in contents:
            errors.append(f"{required}: missing")
    if errors:
        return errors, None
    listed: dict[str, str] = {}
    for n, line in enumerate(contents[CHECKSUMS].decode("utf-8", "replace").splitlines(), 1):
        m = _CHECKSUM_LINE.match(line)
        if not m:
            errors.append(f"{CHECKSUMS} line {n}: not '<sha256>  <path>'")
            continue
        listed[m[2]] = m[1]
    for name in sorted(set(contents) - {CHECKSUMS}):
        if name not in listed:
            errors.append(f"{name}: not listed in {CHECKSUMS}")
        elif listed[name] != sha256(contents[name]):
            errors.append(f"{name}: sha256 mismatch ({CHECKSUMS} says {listed[name]})")
    errors += [f"{name}: listed in {CHECKSUMS} but not in the archive" for name in sorted(set(listed) - set(contents))]
    try:
        manifest = json.loads(contents[MANIFEST])
    except ValueError as exc:
        return [*errors, f"{MANIFEST}: not valid JSON ({exc})"], None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        return [*errors, f"{MANIFEST}: format is not {FORMAT!r}"], None
    described = {f.get("path"): f for f in manifest.get("files") or [] if isinstance(f, dict)}
    files = set(contents) - {MANIFEST, CHECKSUMS}
    for path in sorted(files | set(described)):
        if path not in described:
            errors.append(f"{path}: in the archive but not in {MANIFEST}")
        elif path not in files:
            errors.append(f"{path}: in {MANIFEST} but not in the archive")
        elif described[path].get("sha256") != sha256(contents[path]) or described[path].get("size") != len(
                contents[path]):
            errors.append(f"{path}: sha256 or size differs from {MANIFEST}")
    return errors, manifest
