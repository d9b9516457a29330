"""The exported case file (services/audit/cases/domain/casefile.py): a zip with manifest.json, case.json, the documents
and checksums.sha256 — every member's sha256 right, the same case giving the same bytes, and any change to a member,
the manifest or the checksums found by the verification."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from services.audit.cases.domain.casefile import CHECKSUMS, MANIFEST, build_case_file, verify_zip

CASE = {"case_id": "c-1", "institution_id": "KM-H001", "state": "closed", "version": 7,
        "findings": [{"code": "H03", "amount": "100.00"}], "decisions": [], "recoveries": []}
DOCS = {"evidence-0123456789abcdef": ("application/pdf", b"%PDF-1.4 evidence"),
        "receipt-fedcba9876543210": ("image/png", b"\x89PNG\r\n\x1a\nreceipt")}
AT = "2024-09-10T08:00:00+00:00"


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return out.getvalue()


def test_the_manifest_and_checksums_cover_every_member() -> None:
    content, manifest = build_case_file(CASE, DOCS, "km-sv", AT)
    files = members(content)
    assert list(files) == [MANIFEST, "case.json", "documents/evidence-0123456789abcdef.pdf",
                           "documents/receipt-fedcba9876543210.png", CHECKSUMS]
    assert manifest["counts"] == {"documents": 2, "findings": 1, "decisions": 0, "recoveries": 0}
    assert (manifest["case_id"], manifest["tenant"], manifest["version"]) == ("c-1", "km-sv", 7)
    for f in manifest["files"]:
        assert f["sha256"] == hashlib.sha256(files[f["path"]]).hexdigest() and f["size"] == len(files[f["path"]])
    lines = dict(reversed(line.split("  ")) for line in files[CHECKSUMS].decode().splitlines())
    assert set(lines) == set(files) - {CHECKSUMS}
    assert all(lines[p] == hashlib.sha256(files[p]).hexdigest() for p in lines)
    assert json.loads(files["case.json"])["case_id"] == "c-1"
    assert verify_zip(content) == ([], manifest)
    # Deterministic: the same case at the same version gives the same bytes.
    assert build_case_file(CASE, DOCS, "km-sv", AT)[0] == content


def test_any_change_is_found() -> None:
    content, _ = build_case_file(CASE, DOCS, "km-sv", AT)
    files = members(content)
    altered = {**files, "documents/receipt-fedcba9876543210.png": b"\x89PNG\r\n\x1a\nforged"}
    errors, _ = verify_zip(rezip(altered))
    assert any("receipt" in e and "sha256 mismatch" in e for e in errors)
    assert any("receipt" in e and "differs from manifest.json" in e for e in errors)
    dropped = {k: v for k, v in files.items() if not k.startswith("documents/evidence")}
    errors, _ = verify_zip(rezip(dropped))
    assert any("listed in checksums.sha256 but not in the archive" in e for e in errors)
    extra = {**files, "documents/extra.pdf": b"%PDF-"}
    errors, _ = verify_zip(rezip(extra))
    assert "documents/extra.pdf: not listed in checksums.sha256" in errors
    assert verify_zip(b"not a zip")[0][0].startswith("not a zip archive")
    assert verify_zip(rezip({k: v for k, v in files.items() if k != MANIFEST}))[0] == ["manifest.json: missing"]
