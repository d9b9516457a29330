"""archive on the embedded platform: every event about a person filed and summarised (一人一档), the
handover export (移交) with its manifest and checksums, and the import into an empty tenant that refuses
anything tampered with."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest

from chassis.masking import mask
from chassis.pii import sealer_of
from contracts.v1 import archive_pb2, archive_pb2_grpc, events_pb2
from jingban.embedded import EmbeddedPlatform
from services.archive.handover.domain.handover import verify_export
from tests.conftest import PERSON_A, application_form, auth, embedded_port_offset, eventually
from tests.support import tokens
from tests.unit.audit.builders import (
    PERSON_B,
    build_stored,
    filed,
    finding,
    granted,
    publish,
    qualification,
    revoked,
    settled,
    stored,
)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.fixture(scope="module")
async def platform(data_dir: Path) -> AsyncIterator[EmbeddedPlatform]:
    # hz-p3 serves no program: an empty tenant to hand the archive over to.
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(data_dir), "JINGBAN_TENANTS": "hz-p1,hz-p2,hz-p3"},
                         port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def archive(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('archive')}/v1{path}"


KINDS = {"application", "document", "documents_requested", "complaint", "complaint_resolved", "experts_assigned",
         "conclusion", "qualification", "qualification_filed", "review_due", "benefits", "finding",
         "qualification_revoked", "qualification_renewed"}


@pytest.fixture(scope="module")
async def person_file(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict:
    # The application through intake's real door; what follows as the other services would publish it.
    r = await http.post(f"{platform.url('intake')}/v1/applications", files=application_form(PERSON_A, "DL"),
                        headers=auth("hz-p1", "clerk"))
    assert r.status_code == 201, r.text
    app_id = r.json()["application_id"]
    q = qualification("qa", PERSON_A, "DL", "2025-06-05")
    q.application_id = app_id
    later = [
        stored("application.documents_requested", events_pb2.ApplicationDocumentsRequested(
            application_id=app_id, person_id=PERSON_A, missing=["id_card"], requested_at="2025-06-02T03:00:00Z"),
            key=PERSON_A),
        stored("complaint.filed", events_pb2.ComplaintFiled(complaint_id="c1", person_id=PERSON_A, kind="complaint",
                                                           subject="slow review", due_on="2025-06-10"), key=PERSON_A),
        stored("complaint.resolved", events_pb2.ComplaintResolved(complaint_id="c1", person_id=PERSON_A,
                                                                 resolution="explained"), key=PERSON_A),
        stored("experts.assigned", events_pb2.ExpertsAssigned(case_id=app_id, application_id=app_id,
                                                             person_id=PERSON_A, expert_ids=["e1", "e2"],
                                                             candidates=["e1", "e2", "e3"], draw_seed="s1"),
               key=PERSON_A),
        stored("appraisal.concluded", events_pb2.AppraisalConcluded(case_id=app_id, application_id=app_id,
                                                                   person_id=PERSON_A, disease_code="DL",
                                                                   outcome="approved", reason="records"),
               key=PERSON_A),
        stored("qualification.granted", events_pb2.QualificationGranted(qualification=q), key=PERSON_A),
        build_stored(filed("qa", PERSON_A, "DL", "2025-06-05", "SN-0001")),
        stored("qualification.review_due", events_pb2.QualificationReviewDue(qualification=q, due_on="2026-06-05"),
               key=PERSON_A),
        build_stored(settled(PERSON_A, "H610702001", "2025-06", "1200.00", "1080.00")),
        build_stored(settled(PERSON_A, "H610702001", "2025-07", "300.00", "270.40")),
        build_stored(finding("f1", PERSON_A, "callback_unconfirmed", "0.00", "2025-08-01T02:00:00Z")),
        # A re-review (复审) concluded "continue" (appraisal publishes both): the review date moves on a year.
        stored("appraisal.concluded", events_pb2.AppraisalConcluded(
            case_id="rv-1", application_id="app-rv-1", person_id=PERSON_A, disease_code="DL", outcome="continue",
            reason="still on dialysis", kind="review", qualification_id="qa"), key=PERSON_A),
        stored("qualification.renewed", events_pb2.QualificationRenewed(
            qualification=qualification("qa", PERSON_A, "DL", "2025-06-05", review_due="2027-06-05"),
            previous_review_due="2026-06-05", renewed_on="2026-05-20", review_case_id="rv-1",
            application_id="app-rv-1"), key=PERSON_A),
        build_stored(revoked("qa", PERSON_A, "DL", "2025-06-05", "2025-09-01")),
        build_stored(granted("qb", PERSON_B, "HTN", "2025-06-07")),
    ]
    await publish(platform.bus, *later)

    async def complete() -> dict | None:
        r = await http.get(archive(platform, f"/persons/{PERSON_A}/file"), headers=auth("hz-p1", "clerk"))
        return r.json() if r.status_code == 200 and KINDS <= set(r.json()["groups"]) and \
            len(r.json()["groups"]["benefits"]) == 2 and len(r.json()["groups"]["conclusion"]) == 2 else None

    return await eventually(complete, what="every kind of entry in the person's file")


async def test_the_file_holds_every_event_grouped_with_a_summary(person_file: dict) -> None:
    groups, summary = person_file["groups"], person_file["summary"]
    assert summary["identity"]["person_name"] == "张建国" and summary["identity"]["person_id"] == PERSON_A
    assert summary["benefits_received"] == {"claimed": "1500.00", "payable": "1350.40", "settlements": 2}
    (q,) = summary["qualifications"]
    assert (q["disease_code"], q["status"], q["filing_serial"], q["revoked_on"]) == ("DL", "revoked", "SN-0001",
                                                                                      "2025-09-01")
    # qualification.renewed: the file shows the renewed review date and the re-review in the history.
    assert q["review_due"] == "2027-06-05"
    assert [(r["review_case_id"], r["outcome"], r["renewed_on"], r["previous_review_due"], r["review_due"])
            for r in q["reviews"]] == [("rv-1", "continue", "2026-05-20", "2026-06-05", "2027-06-05")]
    (renewal,) = groups["qualification_renewed"]
    assert renewal["attributes"]["review_application_id"] == "app-rv-1"
    assert len(groups["document"]) >= 2 and groups["finding"][0]["attributes"]["finding_kind"] == \
        "callback_unconfirmed"
    # The flat list other readers depend on keeps its shape.
    assert sum(len(v) for v in groups.values()) == len(person_file["entries"])
    for e in person_file["entries"]:
        assert set(e) == {"entry_id", "kind", "title", "occurred_at", "attributes", "source_event_id"}


async def test_audit_keeps_the_renewal_in_its_trail_and_read_model(platform: EmbeddedPlatform,
                                                                    http: httpx.AsyncClient, person_file: dict) -> None:
    async def trailed() -> bool:
        trail = (await http.get(f"{platform.url('audit')}/v1/trail", params={"business_key": PERSON_A},
                                headers=auth("hz-p1", "inspector"))).json()["entries"]
        return "qualification.renewed" in [e["type"] for e in trail]

    await eventually(trailed, what="qualification.renewed in audit's trail")
    cases = (await http.get(f"{platform.url('audit')}/v1/cases", params={"person_id": PERSON_A},
                            headers=auth("hz-p1", "inspector"))).json()["cases"]
    (qa,) = [c for c in cases if c["case_id"] == "qa"]
    assert (qa["renewed_on"], qa["review_due_on"]) == ("2026-05-20", "2027-06-05")


async def test_the_file_over_grpc_carries_the_new_kinds(platform: EmbeddedPlatform, person_file: dict) -> None:
    md = tokens.user_metadata("hz-p1", "clerk")
    async with grpc.aio.insecure_channel(platform.grpc_target("archive")) as ch:
        got = await archive_pb2_grpc.ArchiveServiceStub(ch).GetPersonFile(
            archive_pb2.GetPersonFileRequest(person_id=PERSON_A), metadata=md)
    assert {e.kind for e in got.entries} == {e["kind"] for e in person_file["entries"]}


@pytest.fixture(scope="module")
async def export(platform: EmbeddedPlatform, http: httpx.AsyncClient, person_file: dict) -> dict:
    async def both() -> bool:
        r = await http.get(archive(platform, f"/persons/{PERSON_B}/file"), headers=auth("hz-p1", "clerk"))
        return r.status_code == 200

    await eventually(both, what="second person filed")
    r = await http.post(archive(platform, "/exports"), headers=auth("hz-p1", "clerk", "clerk-1"), json={})
    assert r.status_code == 201, r.text
    return r.json()


async def test_export_metadata_download_and_contents(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                     export: dict, person_file: dict, data_dir: Path) -> None:
    assert export["program"] == "hz-chronic" and export["tenant"] == "hz-p1" and export["persons"] == 2
    assert export["entries"] == len(person_file["entries"]) + 1
    meta = (await http.get(archive(platform, f"/exports/{export['export_id']}"), headers=auth("hz-p1", "ops"))).json()
    assert meta == export
    r = await http.get(archive(platform, f"/exports/{export['export_id']}/download"),
                       headers=auth("hz-p1", "supervisor"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert hashlib.sha256(r.content).hexdigest() == export["sha256"] == r.headers["x-content-sha256"]
    # kept on disk sealed with the tenant's key (it holds every person's file: chassis/pii.py), handed over opened
    kept = (data_dir / "exports" / "hz-p1" / f"{export['export_id']}.zip").read_bytes()
    assert kept.startswith(b"pii:1:") and kept != r.content
    assert sealer_of(platform.hosts["archive"].context.db("hz-p1")).open(kept) == r.content
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        person = json.loads(zf.read(f"persons/{PERSON_A}.json"))
        sums = zf.read("checksums.sha256").decode()
    assert set(names) == {"manifest.json", "checksums.sha256", f"persons/{PERSON_A}.json", f"persons/{PERSON_B}.json"}
    assert manifest["counts"]["persons"] == 2 and manifest["program"] == "hz-chronic"
    assert {f["path"] for f in manifest["files"]} == {f"persons/{PERSON_A}.json", f"persons/{PERSON_B}.json"}
    assert person["summary"] == person_file["summary"]
    assert [e["entry_id"] for e in person["entries"]] == [e["entry_id"] for e in person_file["entries"]]
    assert len(sums.splitlines()) == 3
    assert verify_export(r.content).valid

    async def announced() -> bool:
        trail = (await http.get(f"{platform.url('audit')}/v1/trail", params={"business_key": export["export_id"]},
                                headers=auth("hz-p1", "inspector"))).json()["entries"]
        return [e["type"] for e in trail] == ["archive.handover.ready"]

    await eventually(announced, what="archive.handover.ready")


async def download(platform: EmbeddedPlatform, http: httpx.AsyncClient, export: dict) -> bytes:
    return (await http.get(archive(platform, f"/exports/{export['export_id']}/download"),
                           headers=auth("hz-p1", "ops"))).content


def tamper_one_byte(content: bytes, member: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        files = {i.filename: zf.read(i) for i in zf.infolist()}
    data = bytearray(files[member])
    at = data.index(b"1350.40") if b"1350.40" in data else len(data) // 2
    data[at] = ord("9")
    files[member] = bytes(data)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, c in files.items():
            zf.writestr(name, c)
    return out.getvalue()


async def entries_in(platform: EmbeddedPlatform, tenant: str) -> int:
    return await platform.store.database("archive", tenant)["entries"].count_documents({})


async def test_a_tampered_export_is_refused_and_nothing_imported(platform: EmbeddedPlatform,
                                                                 http: httpx.AsyncClient, export: dict) -> None:
    content = await download(platform, http, export)
    bad = tamper_one_byte(content, f"persons/{PERSON_A}.json")
    r = await http.post(archive(platform, "/imports"), content=bad,
                        headers={**auth("hz-p2", "ops"), "content-type": "application/zip"})
    assert r.status_code == 422, r.text
    messages = [f["message"] for f in r.json()["error"]["fields"]]
    named = f"persons/{mask(PERSON_A)}.json"  # answers mask identity numbers (chassis/masking.py)
    assert f"{named}: sha256 mismatch" in r.json()["error"]["message"] and PERSON_A not in r.text
    assert any(m.startswith(f"{named}: sha256 mismatch (checksums.sha256 says") for m in messages)
    assert {f["field"] for f in r.json()["error"]["fields"]} == {"export"}
    flipped = bytearray(content)
    flipped[len(flipped) // 2] ^= 0x01
    r = await http.post(archive(platform, "/imports"), content=bytes(flipped),
                        headers={**auth("hz-p2", "ops"), "content-type": "application/zip"})
    assert r.status_code == 422, r.text
    assert await entries_in(platform, "hz-p2") == 0
    assert (await http.get(archive(platform, "/imports"), headers=auth("hz-p2", "ops"))).status_code == 404


async def test_import_refusals(platform: EmbeddedPlatform, http: httpx.AsyncClient, export: dict) -> None:
    content = await download(platform, http, export)
    zip_ops = {**auth("hz-p3", "ops"), "content-type": "application/zip"}
    r = await http.post(archive(platform, "/imports"), content=content, headers={**zip_ops, "content-type": "text/csv"})
    assert r.status_code == 415
    r = await http.post(archive(platform, "/imports"), content=b"", headers=zip_ops)
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "export"
    r = await http.post(archive(platform, "/imports"), content=content,
                        headers={**auth("hz-p3", "clerk"), "content-type": "application/zip"})
    assert r.status_code == 403
    # hz-p1's own archive is not empty.
    r = await http.post(archive(platform, "/imports"), content=content,
                        headers={**auth("hz-p1", "ops"), "content-type": "application/zip"})
    assert r.status_code == 409 and "not empty" in r.json()["error"]["message"]
    assert await entries_in(platform, "hz-p3") == 0


async def test_import_into_an_empty_tenant_restores_the_files(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                              export: dict, person_file: dict) -> None:
    content = await download(platform, http, export)
    # A process killed half-way through an import left its slot "running" and some entries: the slot belonged to
    # that process instance, so sending the archive again undoes them and imports at once (no 409 forever).
    raw = platform.store.database("archive", "hz-p3")
    await raw["imports"].insert_one({"_id": "import", "import_id": "crashed-1", "status": "running",
                                     "instance": "a-process-that-died"})
    await raw["entries"].insert_one({"_id": "partial-1", "person_id": PERSON_A, "occurred_at": "2026-01-01",
                                     "imported_from": {"import_id": "crashed-1"}})
    r = await http.post(archive(platform, "/imports"), content=content,
                        headers={**auth("hz-p3", "ops", "ops-1"), "content-type": "application/zip"})
    assert r.status_code == 201, r.text
    record = r.json()
    assert (record["status"], record["from_tenant"], record["export_id"], record["persons"]) == (
        "done", "hz-p1", export["export_id"], 2)
    assert record["export_sha256"] == export["sha256"]
    moved = (await http.get(archive(platform, f"/persons/{PERSON_A}/file"), headers=auth("hz-p3", "clerk"))).json()
    assert moved["entries"] == person_file["entries"] and moved["summary"] == person_file["summary"]
    assert (await http.get(archive(platform, "/imports"), headers=auth("hz-p3", "ops"))).json()["import_id"] == \
        record["import_id"]
    again = await http.post(archive(platform, "/imports"), content=content,
                            headers={**auth("hz-p3", "ops"), "content-type": "application/zip"})
    assert again.status_code == 409
    # A re-export from the new tenant carries the same person files.
    r = await http.post(archive(platform, "/exports"), headers=auth("hz-p3", "ops"), json={"program": "hz-chronic"})
    assert r.status_code == 422  # hz-p3 is not a carrier of hz-chronic
    assert r.json()["error"]["fields"][0]["field"] == "program"


@pytest.mark.parametrize(("tenant", "body", "status", "field"), [
    ("hz-p1", {"program": "no-such-program"}, 422, "program"),
    ("hz-p1", {"program": "Bad Program"}, 422, "program"),
    ("hz-p3", {}, 422, "program"),
    ("hz-p1", {"program": 7}, 422, "program"),
])
async def test_bad_export_requests(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str, body: dict,
                                   status: int, field: str) -> None:
    r = await http.post(archive(platform, "/exports"), headers=auth(tenant, "ops"), json=body)
    assert r.status_code == status, r.text
    assert field in [f["field"] for f in r.json()["error"]["fields"]], r.text


async def test_roles(platform: EmbeddedPlatform, http: httpx.AsyncClient, export: dict) -> None:
    for role in ("expert", "applicant", "inspector", "finance"):
        assert (await http.post(archive(platform, "/exports"), headers=auth("hz-p1", role), json={})
                ).status_code == 403
    assert (await http.get(archive(platform, f"/exports/{export['export_id']}/download"),
                           headers=auth("hz-p1", "applicant"))).status_code == 403
    assert (await http.get(archive(platform, "/exports"))).status_code == 401
    # An applicant reads only their own file.
    assert (await http.get(archive(platform, f"/persons/{PERSON_A}/file"),
                           headers=auth("hz-p1", "applicant", PERSON_A))).status_code == 200
    assert (await http.get(archive(platform, f"/persons/{PERSON_A}/file"),
                           headers=auth("hz-p1", "applicant", PERSON_B))).status_code == 404


async def test_another_tenant_sees_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                           export: dict) -> None:
    xid = export["export_id"]
    for path in (f"/exports/{xid}", f"/exports/{xid}/download"):
        theirs = await http.get(archive(platform, path), headers=auth("hz-p2", "ops"))
        none = await http.get(archive(platform, path.replace(xid, "nope")), headers=auth("hz-p2", "ops"))
        assert theirs.status_code == none.status_code == 404
        assert theirs.json()["error"]["message"].replace(xid, "nope") == none.json()["error"]["message"]
    assert (await http.get(archive(platform, f"/persons/{PERSON_A}/file"), headers=auth("hz-p2", "clerk"))
            ).status_code == 404
    assert (await http.get(archive(platform, "/exports"), headers=auth("hz-p2", "ops"))).json() == []
    # hz-p2's own export holds only hz-p2's (empty) archive.
    r = await http.post(archive(platform, "/exports"), headers=auth("hz-p2", "supervisor"), json={})
    assert r.status_code == 201 and r.json()["persons"] == 0 and r.json()["program"] == "hz-chronic"
    assert await entries_in(platform, "hz-p2") == 0
