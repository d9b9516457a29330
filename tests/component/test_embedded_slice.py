"""The first slice in embedded mode (in-memory adapters, real HTTP and gRPC doors): the flow, bad
input, and tenant isolation on every endpoint and RPC."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import httpx
import pytest

from contracts.v1 import (
    appraisal_pb2,
    appraisal_pb2_grpc,
    archive_pb2,
    archive_pb2_grpc,
    intake_pb2,
    intake_pb2_grpc,
    settlement_pb2,
    settlement_pb2_grpc,
)
from jingban.embedded import EmbeddedPlatform
from jingban.flow import Walk
from tests.conftest import PDF, PERSON_A, PERSON_B, application_form, auth, embedded_port_offset, eventually
from tests.support import tokens


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_MAX_UPLOAD_BYTES": "4096"}, port_offset=embedded_port_offset())
    await p.start()
    async with httpx.AsyncClient(timeout=10) as http:
        for tenant in ("hz-p1", "hz-p2"):
            walk = Walk(p.url, tokens.current(), http, tenant)
            await walk.load_policy()
            await walk.import_experts()
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def submit(platform: EmbeddedPlatform, http: httpx.AsyncClient, tenant: str = "hz-p1",
                 person: str = PERSON_A, disease: str = "HTN", complete: bool = True) -> str:
    r = await http.post(f"{platform.url('intake')}/v1/applications", files=application_form(person, disease),
                        headers=auth(tenant, "clerk"))
    assert r.status_code == 201, r.text
    app_id = r.json()["application_id"]
    if complete:
        await Walk(platform.url, tokens.current(), http, tenant).review(app_id, "complete")
    return app_id


async def test_application_to_qualification_to_file_and_trail(platform: EmbeddedPlatform,
                                                              http: httpx.AsyncClient) -> None:
    app_id = await submit(platform, http)
    appraisal = platform.url("appraisal")

    async def case_open() -> dict | None:
        r = await http.get(f"{appraisal}/v1/cases/{app_id}", headers=auth("hz-p1", "reviewer"))
        return r.json() if r.status_code == 200 else None

    case = await eventually(case_open, what="case opened from application.completed")
    assert case["status"] == "open" and case["person_id"] == PERSON_A and len(case["documents"]) == 4
    assert len(case["assigned"]) == 2 and case["draws"][0]["seed"]  # drawn at random, recorded

    # No opinion yet: a conclusion is refused and changes nothing.
    r = await http.post(f"{appraisal}/v1/cases/{app_id}/conclusion", headers=auth("hz-p1", "reviewer", "r1"),
                        json={"outcome": "approved", "reason": "ok"})
    assert r.status_code == 409
    first, second = case["assigned"]
    r = await http.post(f"{appraisal}/v1/cases/{app_id}/opinions", headers=auth("hz-p1", "expert", "not-drawn"),
                        json={"approve": True})
    assert r.status_code == 404  # an expert not drawn for the case does not see it
    r = await http.post(f"{appraisal}/v1/cases/{app_id}/opinions", headers=auth("hz-p1", "expert", first),
                        json={"approve": True, "comment": "records consistent"})
    assert r.status_code == 201
    r = await http.post(f"{appraisal}/v1/cases/{app_id}/opinions", headers=auth("hz-p1", "expert", first),
                        json={"approve": True})
    assert r.status_code == 409  # one opinion per expert
    r = await http.post(f"{appraisal}/v1/cases/{app_id}/opinions", headers=auth("hz-p1", "expert", second),
                        json={"approve": True})
    assert r.status_code == 201
    r = await http.post(f"{appraisal}/v1/cases/{app_id}/conclusion", headers=auth("hz-p1", "reviewer", "r1"),
                        json={"outcome": "approved", "reason": "two-year records"})
    assert r.status_code == 200, r.text
    qualification = r.json()["qualification"]
    assert qualification["disease_code"] == "HTN" and qualification["benefit_start"].endswith("-01")

    async def full_file() -> dict | None:
        r = await http.get(f"{platform.url('archive')}/v1/persons/{PERSON_A}/file", headers=auth("hz-p1", "clerk"))
        kinds = [e["kind"] for e in r.json()["entries"]] if r.status_code == 200 else []
        return r.json() if {"application", "conclusion", "qualification"} <= set(kinds) else None

    person_file = await eventually(full_file, what="person file complete")
    kinds = [e["kind"] for e in person_file["entries"]]
    assert kinds.count("document") >= 4

    async def trail_has_three() -> dict | None:
        r = await http.get(f"{platform.url('audit')}/v1/trail", headers=auth("hz-p1", "inspector"),
                           params={"business_key": PERSON_A})
        entries = r.json()["entries"]
        return r.json() if {"qualification.granted"} <= {e["type"] for e in entries} else None

    trail = (await eventually(trail_has_three, what="trail"))["entries"]
    types = [e["type"] for e in trail]
    assert types.index("application.submitted") < types.index("qualification.granted")
    verify = (await http.get(f"{platform.url('audit')}/v1/trail/verify", headers=auth("hz-p1", "inspector"))).json()
    assert verify["valid"] is True and verify["entries"] >= 3

    async def account() -> dict | None:
        r = await http.get(f"{platform.url('settlement')}/v1/persons/{PERSON_A}/accumulators",
                           headers=auth("hz-p1", "finance"), params={"year": qualification["benefit_start"][:4]})
        return r.json() if r.status_code == 200 and r.json()["accounts"] else None

    assert (await eventually(account, what="benefit account"))["accounts"][0]["paid"] == "0.00"


async def applications_count(platform: EmbeddedPlatform, tenant: str) -> int:
    return await platform.store.database("intake", tenant).applications.count_documents({})


@pytest.mark.parametrize(
    ("files", "headers_role", "status", "field"),
    [
        ({"application": (None, "{not json")}, "clerk", 422, "application"),
        ({"application": (None, '{"person_id": "123", "person_name": "", "disease_code": "x"}')}, "clerk", 422,
         "application.person_id"),
        ({"application": (None, '{"person_id": "610702195803120012", "person_name": "A", "disease_code": "HTN"}'),
          "medical_record": ("virus.pdf", b"MZ\x90\x00", "application/pdf")}, "clerk", 415, "documents.medical_record"),
        ({"application": (None, '{"person_id": "610702195803120012", "person_name": "A", "disease_code": "HTN"}'),
          "medical_record": ("r.gif", b"GIF89a", "image/gif")}, "clerk", 415, "documents.medical_record"),
        ({"application": (None, '{"person_id": "610702195803120012", "person_name": "A", "disease_code": "HTN"}'),
          "medical_record": ("big.pdf", PDF + b"0" * 5000, "application/pdf")}, "clerk", 413,
         "documents.medical_record"),
        ({"application": (None, '{"person_id": "610702195803120012", "person_name": "A", "disease_code": "HTN"}')},
         "clerk", 422, "documents"),
        ({"application": (None, '{"person_id": "610702195803120012", "person_name": "A", "disease_code": "HTN"}'),
          "selfie": ("s.pdf", PDF, "application/pdf")}, "clerk", 422, "selfie"),
    ],
)
async def test_bad_uploads_get_precise_errors_and_store_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                                files: dict, headers_role: str, status: int,
                                                                field: str) -> None:
    before = await applications_count(platform, "hz-p1")
    r = await http.post(f"{platform.url('intake')}/v1/applications", files=files, headers=auth("hz-p1", headers_role))
    assert r.status_code == status, r.text
    assert field in [f["field"] for f in r.json()["error"]["fields"]]
    assert await applications_count(platform, "hz-p1") == before


async def test_auth_and_content_type(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    url = f"{platform.url('intake')}/v1/applications"
    assert (await http.post(url, files=application_form())).status_code == 401
    assert (await http.post(url, files=application_form(), headers={"authorization": "Bearer junk"})).status_code == 401
    # Same claims, same issuer name, signed with a key the platform does not trust.
    from chassis.dev_issuer import DevIssuer

    forged = DevIssuer.generate().token("hz-p1", "clerk", "x")
    assert (await http.post(url, files=application_form(), headers={"authorization": f"Bearer {forged}"})
            ).status_code == 401
    r = await http.post(url, json={"person_id": PERSON_A}, headers=auth("hz-p1", "clerk"))
    assert r.status_code == 415
    r = await http.post(url, files=application_form(), headers=auth("hz-p1", "expert"))
    assert r.status_code == 403
    bad_json = await http.post(f"{platform.url('appraisal')}/v1/cases/x/opinions", content=b"{", headers={
        **auth("hz-p1", "expert"), "content-type": "application/json"})
    assert bad_json.status_code == 422 and bad_json.json()["error"]["fields"]


async def test_tenants_never_see_each_other_over_http(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    app_id = await submit(platform, http, "hz-p1", PERSON_B, "DM")
    own = await http.get(f"{platform.url('intake')}/v1/applications/{app_id}", headers=auth("hz-p1", "clerk"))
    assert own.status_code == 200
    other = await http.get(f"{platform.url('intake')}/v1/applications/{app_id}", headers=auth("hz-p2", "clerk"))
    missing = await http.get(f"{platform.url('intake')}/v1/applications/no-such-id", headers=auth("hz-p2", "clerk"))
    assert other.status_code == missing.status_code == 404
    assert other.json()["error"]["message"].replace(app_id, "X") == missing.json()["error"]["message"].replace(
        "no-such-id", "X")  # no hint that it exists elsewhere
    doc_id = own.json()["documents"][0]["document_id"]
    r = await http.get(f"{platform.url('intake')}/v1/applications/{app_id}/documents/{doc_id}",
                       headers=auth("hz-p2", "clerk"))
    assert r.status_code == 404

    await eventually(lambda: _status(http, f"{platform.url('appraisal')}/v1/cases/{app_id}", "hz-p1", 200),
                     what="case in hz-p1")
    assert (await http.get(f"{platform.url('appraisal')}/v1/cases/{app_id}", headers=auth("hz-p2", "reviewer"))
            ).status_code == 404
    r = await http.post(f"{platform.url('appraisal')}/v1/cases/{app_id}/opinions", headers=auth("hz-p2", "expert"),
                        json={"approve": False})
    assert r.status_code == 404
    assert all(c["case_id"] != app_id for c in (await http.get(
        f"{platform.url('appraisal')}/v1/cases", headers=auth("hz-p2", "reviewer"))).json())
    await eventually(lambda: _status(http, f"{platform.url('archive')}/v1/persons/{PERSON_B}/file", "hz-p1", 200),
                     what="file in hz-p1")
    assert (await http.get(f"{platform.url('archive')}/v1/persons/{PERSON_B}/file", headers=auth("hz-p2", "clerk"))
            ).status_code == 404
    trail_p2 = (await http.get(f"{platform.url('audit')}/v1/trail", headers=auth("hz-p2", "inspector"),
                               params={"business_key": PERSON_B})).json()["entries"]
    assert trail_p2 == []
    # hz-p1's data never reached any hz-p2 database.
    for service in ("intake", "appraisal", "archive", "audit", "settlement"):
        db = platform.store.database(service, "hz-p2")
        for name in await db.list_collection_names():
            assert await db[name].count_documents({"$or": [{"person_id": PERSON_B}, {"business_key": PERSON_B}]}) == 0


async def _status(http: httpx.AsyncClient, url: str, tenant: str, expected: int) -> bool:
    return (await http.get(url, headers=auth(tenant, "clerk" if "archive" in url else "reviewer"))
            ).status_code == expected


def _md(tenant: str, role: str = "clerk", subject: str = "test") -> tuple[tuple[str, str], ...]:
    return tokens.user_metadata(tenant, role, subject)


async def test_tenants_never_see_each_other_over_grpc(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    app_id = await submit(platform, http, "hz-p1", PERSON_A, "DL")
    async with grpc.aio.insecure_channel(platform.grpc_target("intake")) as ch:
        stub = intake_pb2_grpc.IntakeServiceStub(ch)
        got = await stub.GetApplication(intake_pb2.GetApplicationRequest(application_id=app_id), metadata=_md("hz-p1"))
        assert got.person_id == PERSON_A and len(got.documents) == 4
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetApplication(intake_pb2.GetApplicationRequest(application_id=app_id), metadata=_md("hz-p2"))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetApplication(intake_pb2.GetApplicationRequest(application_id=app_id))
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetApplication(intake_pb2.GetApplicationRequest(), metadata=_md("hz-p1"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    async with grpc.aio.insecure_channel(platform.grpc_target("archive")) as ch:
        stub = archive_pb2_grpc.ArchiveServiceStub(ch)

        async def filed() -> archive_pb2.PersonFile | None:
            try:
                f = await stub.GetPersonFile(archive_pb2.GetPersonFileRequest(person_id=PERSON_A),
                                             metadata=_md("hz-p1"))
            except grpc.aio.AioRpcError as exc:  # no file until archive has filed the first event
                if exc.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                return None
            return f if f.entries else None

        assert (await eventually(filed, what="file over gRPC")).entries
        with pytest.raises(grpc.aio.AioRpcError) as err:  # another tenant's file is not there, as over HTTP
            await stub.GetPersonFile(archive_pb2.GetPersonFileRequest(person_id=PERSON_A), metadata=_md("hz-p2"))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        # An applicant reads their own file over gRPC, and nobody else's (the HTTP rule, kept on this door).
        own = await stub.GetPersonFile(archive_pb2.GetPersonFileRequest(person_id=PERSON_A),
                                       metadata=_md("hz-p1", "applicant", PERSON_A))
        assert own.entries
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetPersonFile(archive_pb2.GetPersonFileRequest(person_id=PERSON_A),
                                     metadata=_md("hz-p1", "applicant", PERSON_B))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        with pytest.raises(grpc.aio.AioRpcError) as err:  # an institution reads no one's file
            await stub.GetPersonFile(archive_pb2.GetPersonFileRequest(person_id=PERSON_A),
                                     metadata=_md("hz-p1", "institution", "H610702001"))
        assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetPersonFile(archive_pb2.GetPersonFileRequest(), metadata=_md("hz-p1"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    async with grpc.aio.insecure_channel(platform.grpc_target("appraisal")) as ch:
        stub = appraisal_pb2_grpc.AppraisalServiceStub(ch)
        other = await stub.GetQualifications(appraisal_pb2.GetQualificationsRequest(person_id=PERSON_A),
                                             metadata=_md("hz-p2"))
        assert list(other.qualifications) == []
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetQualifications(appraisal_pb2.GetQualificationsRequest(), metadata=_md("hz-p1"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    async with grpc.aio.insecure_channel(platform.grpc_target("settlement")) as ch:
        stub = settlement_pb2_grpc.SettlementServiceStub(ch)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.GetAccumulators(settlement_pb2.GetAccumulatorsRequest(person_id=PERSON_A, year=1900),
                                       metadata=_md("hz-p1"))
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        empty = await stub.GetAccumulators(settlement_pb2.GetAccumulatorsRequest(person_id=PERSON_A, year=2025),
                                           metadata=_md("hz-p2"))
        assert list(empty.accounts) == []


async def test_health_endpoints(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> None:
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    for service in platform.hosts:
        assert (await http.get(f"{platform.url(service)}/healthz")).json()["status"] == "ok"
        assert (await http.get(f"{platform.url(service)}/readyz")).json()["ready"] is True
        async with grpc.aio.insecure_channel(platform.grpc_target(service)) as ch:
            resp = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""))
            assert resp.status == health_pb2.HealthCheckResponse.SERVING
