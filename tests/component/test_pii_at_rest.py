"""Personal data at rest (PIPL, chassis/pii.py) on the embedded platform: a person applies through an agent with
their documents, complains, is reviewed complete and drawn experts for, and gets a person file and a handover
export; then every document of every collection of intake's, appraisal's and archive's databases of the tenant is
read raw from the store and none holds the person's identity number, name or phone (nor the agent's, nor the ID
card's bytes) in clear — while the doors still answer the clear values to an authorised reader and lookups by
identity number (in either case of its check letter) still find the person."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chassis.programs import PROGRAMS_DIR
from jingban.embedded import EmbeddedPlatform
from tests.conftest import auth, embedded_port_offset, eventually
from tests.support.pii_scan import scan_stores

TENANT = "hz-p1"
PERSON = "61070219731205008X"  # a valid resident id whose check character is X
NAME, PHONE = "欧阳明辉", "13912345678"
AGENT_NAME, AGENT_PHONE = "欧阳丽娟", "13698765432"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The ID card's scan carries the number and the name, as a real one does.
ID_CARD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8 + f"SCAN 公民身份号码 {PERSON} 姓名 {NAME}".encode()
CLEAR = (PERSON, PERSON.lower(), NAME, PHONE, AGENT_NAME, AGENT_PHONE)
SERVICES = ("intake", "appraisal", "archive")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pii")


@pytest.fixture(scope="module")
async def platform(data_dir: Path) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(data_dir)}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def _ok(r: httpx.Response, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), f"{r.request.method} {r.request.url}: {r.status_code} {r.text}"
    return r.json()


@pytest.fixture(scope="module")
async def flow(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict[str, Any]:
    intake, appraisal, archive = (platform.url(s) for s in SERVICES)
    policy = (PROGRAMS_DIR / "hz-chronic" / "policy-2025.yaml").read_bytes()
    _ok(await http.post(f"{platform.url('settlement')}/v1/policies", content=policy,
                        headers={**auth(TENANT, "ops"), "content-type": "application/yaml"}), 200, 201, 409)
    experts = (PROGRAMS_DIR / "hz-chronic" / "experts-sample.csv").read_bytes()
    _ok(await http.post(f"{appraisal}/v1/experts/import", content=experts,
                        headers={**auth(TENANT, "clerk"), "content-type": "text/csv"}))
    # Filed at the window by a clerk for the person, through an agent (代办), with every document.
    body = {"person_id": PERSON, "person_name": NAME, "disease_code": "HTN", "channel": "agent", "phone": PHONE,
            "treating_hospital": "H610702001", "agent": {"name": AGENT_NAME, "relation": "daughter",
                                                         "phone": AGENT_PHONE}}
    files = {"application": (None, json.dumps(body, ensure_ascii=False)),
             "application_form": (f"{NAME}-申请表.pdf", PDF, "application/pdf"),
             "medical_record": ("record.pdf", PDF, "application/pdf"),
             "id_card": (f"{PERSON}.png", ID_CARD, "image/png"),
             "insurance_card": ("card.pdf", PDF, "application/pdf")}
    app = _ok(await http.post(f"{intake}/v1/applications", files=files, headers=auth(TENANT, "clerk", "clerk-1")))
    # The person complains on their phone, as themself (the token's subject is their identity number).
    _ok(await http.post(f"{intake}/v1/complaints", headers=auth(TENANT, "applicant", PERSON),
                        json={"person_id": PERSON, "kind": "complaint", "subject": "窗口排队太久",
                              "detail": f"我是{NAME}，电话{PHONE}", "phone": PHONE}))
    reviewed = _ok(await http.post(f"{intake}/v1/applications/{app['application_id']}/review",
                                   headers=auth(TENANT, "clerk", "clerk-1"), json={"decision": "complete"}))
    assert reviewed["status"] == "complete"

    async def drawn() -> dict[str, Any] | None:
        r = await http.get(f"{appraisal}/v1/cases", params={"application_id": app["application_id"]},
                           headers=auth(TENANT, "reviewer"))
        cases = r.json() if r.status_code == 200 else []
        return cases[0] if cases and cases[0].get("assigned") else None

    case = await eventually(drawn, 30, "the case with its experts drawn")

    async def filed() -> dict[str, Any] | None:
        r = await http.get(f"{archive}/v1/persons/{PERSON}/file", headers=auth(TENANT, "clerk"))
        if r.status_code != 200:
            return None
        f = r.json()
        kinds = set(f["summary"]["counts"])
        return f if {"application", "application_completed", "document", "complaint",
                     "experts_assigned"} <= kinds else None

    person_file = await eventually(filed, 30, "the person file")
    export = _ok(await http.post(f"{archive}/v1/exports", json={}, headers=auth(TENANT, "clerk")))
    return {"application": app, "case": case, "file": person_file, "export": export}


async def _scan(platform: EmbeddedPlatform) -> tuple[list[str], int]:
    return await scan_stores(platform.store, SERVICES, (TENANT,), CLEAR)


async def test_nothing_personal_is_stored_in_clear(platform: EmbeddedPlatform, flow: dict[str, Any]) -> None:
    # Pending events ride in their documents until the relay publishes them (a moment): wait for it.
    async def clean() -> tuple[list[str], int] | None:
        found, docs = await _scan(platform)
        return None if found else (found, docs)

    try:
        _, docs = await eventually(clean, 20, "no personal data in clear")
    except AssertionError:
        found, _ = await _scan(platform)
        raise AssertionError("personal data stored in clear:\n" + "\n".join(found[:40])) from None
    assert docs > 10  # applications, documents, complaints, notifications, cases, entries... were all read
    intake = platform.store.database("intake", TENANT)
    raw = await intake.applications.find_one({"_id": flow["application"]["application_id"]})
    assert raw["person_id"].startswith("pii:1:pii/hz-p1/v") and len(raw["person_bi"]) == 64
    scan = await intake.documents.find_one({"application_id": raw["_id"], "kind": "id_card"})
    assert bytes(scan["content"]).startswith(b"pii:1:") and ID_CARD not in bytes(scan["content"])


def _stored_zip(data_dir: Path, export_id: str) -> bytes:
    (path,) = data_dir.rglob(f"{export_id}.zip")
    return path.read_bytes()


async def test_the_doors_answer_clear_values_to_an_authorised_reader(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, flow: dict[str, Any], data_dir: Path) -> None:
    intake, archive = platform.url("intake"), platform.url("archive")
    app_id = flow["application"]["application_id"]
    app = _ok(await http.get(f"{intake}/v1/applications/{app_id}", headers=auth(TENANT, "clerk")))
    assert (app["person_id"], app["person_name"]) == (PERSON, NAME)
    assert app["agent"] == {"name": AGENT_NAME, "relation": "daughter", "phone": AGENT_PHONE}
    assert f"{PERSON}.png" in {d["filename"] for d in app["documents"]} and app["insurance"]["insured"]
    id_card = next(d for d in app["documents"] if d["kind"] == "id_card")
    r = await http.get(f"{intake}/v1/applications/{app_id}/documents/{id_card['document_id']}",
                       headers=auth(TENANT, "clerk"))
    assert r.status_code == 200 and r.content == ID_CARD
    # the applicant reads their own (their token's subject is their identity number)
    mine = _ok(await http.get(f"{intake}/v1/applications/{app_id}", headers=auth(TENANT, "applicant", PERSON)))
    assert mine["person_name"] == NAME
    complaints = _ok(await http.get(f"{intake}/v1/complaints", headers=auth(TENANT, "clerk")))
    assert PERSON in {c["person_id"] for c in complaints}
    summary = flow["file"]["summary"]
    assert summary["identity"]["person_id"] == PERSON and summary["identity"]["person_name"] == NAME
    document = next(e for e in flow["file"]["entries"] if e["kind"] == "document"
                    and e["attributes"]["kind"] == "id_card")
    assert document["attributes"]["filename"] == f"{PERSON}.png" and PERSON in document["title"]
    # the handover zip is sealed on disk and handed over clear, checked against its recorded sha256
    export = flow["export"]
    stored = await asyncio.to_thread(_stored_zip, data_dir, export["export_id"])
    assert stored.startswith(b"pii:1:pii/hz-p1/") and b"PK\x03\x04" not in stored[:200]
    r = await http.get(f"{archive}/v1/exports/{export['export_id']}/download", headers=auth(TENANT, "clerk"))
    assert r.status_code == 200
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        assert any(PERSON in zf.read(n).decode() for n in zf.namelist() if n.endswith(".json"))


async def test_lookups_by_identity_number_still_work(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                     flow: dict[str, Any]) -> None:
    intake, archive = platform.url("intake"), platform.url("archive")
    for asked in (PERSON, PERSON.lower()):  # the blind index is over the normalised number (upper-case X)
        listed = _ok(await http.get(f"{intake}/v1/applications", params={"person_id": asked},
                                    headers=auth(TENANT, "clerk")))
        assert [a["application_id"] for a in listed] == [flow["application"]["application_id"]]
        notes = _ok(await http.get(f"{intake}/v1/notifications", params={"person_id": asked},
                                   headers=auth(TENANT, "clerk")))
        assert notes and {n["person_id"] for n in notes} == {PERSON}
    assert _ok(await http.get(f"{intake}/v1/applications", params={"person_id": "610702198001010018"},
                              headers=auth(TENANT, "clerk"))) == []
    own = _ok(await http.get(f"{intake}/v1/applications", headers=auth(TENANT, "applicant", PERSON)))
    assert len(own) == 1
    f = _ok(await http.get(f"{archive}/v1/persons/{PERSON}/file", headers=auth(TENANT, "applicant", PERSON)))
    assert f["summary"]["identity"]["person_name"] == NAME
    # another tenant's database knows nothing of them (and could not open what was copied from here)
    r = await http.get(f"{archive}/v1/persons/{PERSON}/file", headers=auth("hz-p2", "clerk"))
    assert r.status_code == 404


def _flip_last_byte(data_dir: Path, export_id: str) -> None:
    (path,) = data_dir.rglob(f"{export_id}.zip")
    sealed = bytearray(path.read_bytes())
    sealed[-1] ^= 1
    path.write_bytes(bytes(sealed))


async def test_a_sealed_zip_altered_on_disk_is_refused(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                       flow: dict[str, Any], data_dir: Path) -> None:
    archive = platform.url("archive")
    export = _ok(await http.post(f"{archive}/v1/exports", json={}, headers=auth(TENANT, "clerk")))
    await asyncio.to_thread(_flip_last_byte, data_dir, export["export_id"])
    r = await http.get(f"{archive}/v1/exports/{export['export_id']}/download", headers=auth(TENANT, "clerk"))
    assert r.status_code == 409 and "does not open" in r.json()["error"]["message"]
