"""Access records (查阅记录) on the embedded platform: every read of a person's data — a document (intake), their file
(archive, over HTTP and gRPC), an account (settlement), an export that holds them (archive) — is published as an
access event and shows in that person's file, where the person sees who read it; redelivery adds nothing twice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest

from contracts.v1 import archive_pb2, archive_pb2_grpc, events_pb2
from jingban.embedded import EmbeddedPlatform
from tests.conftest import PERSON_A, PERSON_B, application_form, auth, embedded_port_offset, eventually
from tests.unit.audit.builders import publish, stored

CLERK = "clerk-7"


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    data_dir: Path = tmp_path_factory.mktemp("data")
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(data_dir)}, port_offset=embedded_port_offset())
    await p.start()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def submitted(platform: EmbeddedPlatform, http: httpx.AsyncClient, person: str) -> dict[str, Any]:
    r = await http.post(f"{platform.url('intake')}/v1/applications", files=application_form(person, "HTN"),
                        headers=auth("hz-p1", "clerk", CLERK))
    assert r.status_code == 201, r.text
    return dict(r.json())


def file_url(platform: EmbeddedPlatform, person: str) -> str:
    return f"{platform.url('archive')}/v1/persons/{person}/file"


async def file_once_filed(platform: EmbeddedPlatform, http: httpx.AsyncClient, person: str,
                          headers: dict[str, str]) -> dict[str, Any]:
    """The person's file, read by `headers`' user as soon as archive holds it (that read is recorded too)."""
    async def filed() -> dict[str, Any] | None:
        r = await http.get(file_url(platform, person), headers=headers)
        return r.json() if r.status_code == 200 else None

    return await eventually(filed, what=f"the file of {person}")


async def accesses_showing(platform: EmbeddedPlatform, http: httpx.AsyncClient, person: str,
                           wanted: Callable[[list[dict[str, Any]]], bool], what: str) -> list[dict[str, Any]]:
    """The person's accesses once they show what is wanted, as the person reads their own file."""
    async def shown() -> list[dict[str, Any]] | None:
        r = await http.get(file_url(platform, person), headers=auth("hz-p1", "applicant", person))
        accesses = r.json()["accesses"] if r.status_code == 200 else []
        return accesses if wanted(accesses) else None

    return await eventually(shown, what=what)


def one(accesses: list[dict[str, Any]], **expected: Any) -> dict[str, Any] | None:
    found = [a for a in accesses if all(a.get(k) == v for k, v in expected.items())]
    return found[0] if len(found) == 1 else None


async def test_a_clerk_reading_a_document_and_the_file_shows_in_the_person_s_file(
        platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    app = await submitted(platform, http, PERSON_A)
    document_id = app["documents"][0]["document_id"]
    clerk = auth("hz-p1", "clerk", CLERK)
    r = await http.get(f"{platform.url('intake')}/v1/applications/{app['application_id']}/documents/{document_id}",
                       headers=clerk)
    assert r.status_code == 200
    before = await file_once_filed(platform, http, PERSON_A, clerk)
    assert "accesses" in before and before["accesses_total"] == len(before["accesses"])

    def both(accesses: list[dict[str, Any]]) -> bool:
        return bool(one(accesses, who=CLERK, what={"kind": "document", "id": document_id})
                    and one(accesses, who=CLERK, what={"kind": "person_file", "id": PERSON_A}))

    accesses = await accesses_showing(platform, http, PERSON_A, both, "the clerk's reads in the person's file")
    document = one(accesses, who=CLERK, what={"kind": "document", "id": document_id})
    person_file = one(accesses, who=CLERK, what={"kind": "person_file", "id": PERSON_A})
    assert document and person_file
    assert (document["role"], document["action"], document["service"], document["channel"]) == (
        "clerk", "download", "intake", "http")
    assert (person_file["role"], person_file["action"], person_file["service"]) == ("clerk", "read", "archive")
    assert document["when"] and person_file["when"] and document["access_id"] != person_file["access_id"]
    assert [a["when"] for a in accesses] == sorted(a["when"] for a in accesses)  # oldest first
    # The person reading their own file is recorded as well, and sees it the next time.
    later = await accesses_showing(platform, http, PERSON_A,
                                   lambda a: any(x["role"] == "applicant" and x["who"] == PERSON_A for x in a),
                                   "the applicant's own read")
    assert all(set(a) == {"access_id", "who", "role", "when", "what", "action", "service", "channel", "trace_id"}
               for a in later)


async def test_an_account_a_grpc_read_and_an_export_show_too(platform: EmbeddedPlatform,
                                                             http: httpx.AsyncClient) -> None:
    await submitted(platform, http, PERSON_B)
    await file_once_filed(platform, http, PERSON_B, auth("hz-p1", "ops", "ops-1"))
    r = await http.get(f"{platform.url('settlement')}/v1/persons/{PERSON_B}/accumulators", params={"year": 2025},
                       headers=auth("hz-p1", "finance", "fin-1"))
    assert r.status_code == 200, r.text
    md = (("authorization", auth("hz-p1", "reviewer", "rev-1")["authorization"]),)
    async with grpc.aio.insecure_channel(platform.grpc_target("archive")) as channel:
        got = await archive_pb2_grpc.ArchiveServiceStub(channel).GetPersonFile(
            archive_pb2.GetPersonFileRequest(person_id=PERSON_B), metadata=md)
    assert got.entries and all(a.subject for a in got.accesses)
    r = await http.post(f"{platform.url('archive')}/v1/exports", json={}, headers=auth("hz-p1", "ops", "ops-1"))
    assert r.status_code == 201, r.text
    export_id = r.json()["export_id"]
    r = await http.get(f"{platform.url('archive')}/v1/exports/{export_id}/download",
                       headers=auth("hz-p1", "supervisor", "sup-1"))
    assert r.status_code == 200

    def all_four(accesses: list[dict[str, Any]]) -> bool:
        return bool(one(accesses, who="fin-1", what={"kind": "account", "id": "chronic:2025"})
                    and one(accesses, who="rev-1", channel="grpc")
                    and one(accesses, who="ops-1", action="export", what={"kind": "export", "id": export_id})
                    and one(accesses, who="sup-1", action="download", what={"kind": "export", "id": export_id}))

    accesses = await accesses_showing(platform, http, PERSON_B, all_four, "account, gRPC and export reads")
    account = one(accesses, who="fin-1", what={"kind": "account", "id": "chronic:2025"})
    assert account and (account["role"], account["service"]) == ("finance", "settlement")
    grpc_read = one(accesses, who="rev-1", channel="grpc")
    assert grpc_read and grpc_read["what"] == {"kind": "person_file", "id": PERSON_B}
    # The export held both persons: each one's file shows it.
    await accesses_showing(platform, http, PERSON_A,
                           lambda a: bool(one(a, who="sup-1", what={"kind": "export", "id": export_id})),
                           "the download in the other person's file")


async def test_a_redelivered_access_event_is_filed_once(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    await file_once_filed(platform, http, PERSON_A, auth("hz-p1", "ops", "ops-2"))

    def access(access_id: str) -> dict[str, Any]:
        payload = events_pb2.PersonAccessed(
            access_id=access_id, person_id=PERSON_A, subject="inspector-9", role="inspector", tenant="hz-p1",
            object_kind="account", object_id="critical:2025", action="read", accessed_at="2026-01-05T09:00:00+08:00",
            service="settlement", channel="http")
        return stored("settlement.person.accessed", payload, key=PERSON_A, event_id=access_id)

    twice = access("redelivered-1")
    # The same event three times, then another behind it on the same partition: once that one is filed, so are
    # the three before it.
    await publish(platform.bus, twice, twice, twice, access("after-1"))
    accesses = await accesses_showing(platform, http, PERSON_A,
                                      lambda a: any(x["access_id"] == "after-1" for x in a), "the later access")
    assert [a["access_id"] for a in accesses].count("redelivered-1") == 1
