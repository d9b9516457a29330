"""A deployment serves only its tenants (a valid token for another tenant is refused on every door and leaves
nothing behind), and `/readyz` explains itself: per check, per consumer group, the outbox, the loops."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import httpx
import pytest

from contracts.v1 import appraisal_pb2, appraisal_pb2_grpc
from jingban.embedded import EmbeddedPlatform
from tests.conftest import embedded_port_offset, eventually
from tests.support import tokens


@pytest.fixture(scope="module")
async def platform() -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": "hz-p1,qz-ci"}, port_offset=embedded_port_offset())
    await p.start()
    try:
        yield p
    finally:
        await p.stop()


async def test_a_token_for_a_tenant_not_served_is_refused_everywhere(platform: EmbeddedPlatform) -> None:
    foreign = tokens.user_token("hz-p2", "clerk", "someone")
    served = tokens.user_token("hz-p1", "clerk", "someone")
    async with httpx.AsyncClient(timeout=30) as http:
        for service in platform.hosts:
            openapi = (await http.get(f"{platform.url(service)}/openapi.json")).json()
            path = next(p for p, ops in openapi["paths"].items() if "get" in ops and "{" not in p
                        and not p.startswith(("/healthz", "/readyz", "/metrics")))
            refused = await http.get(f"{platform.url(service)}{path}", headers={"Authorization": f"Bearer {foreign}"})
            assert refused.status_code == 401, (service, path, refused.text)
            assert refused.json()["error"]["code"] == "tenant_not_served"
            allowed = await http.get(f"{platform.url(service)}{path}", headers={"Authorization": f"Bearer {served}"})
            assert allowed.status_code != 401 or allowed.json()["error"]["code"] != "tenant_not_served"
        submitted = await http.post(f"{platform.url('intake')}/v1/applications",
                                    headers={"Authorization": f"Bearer {foreign}"}, files={"form": ("f", b"{}")})
        assert submitted.status_code == 401
    async with grpc.aio.insecure_channel(platform.grpc_target("appraisal")) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await appraisal_pb2_grpc.AppraisalServiceStub(channel).GetQualifications(
                appraisal_pb2.GetQualificationsRequest(person_id="x"),
                metadata=(("authorization", f"Bearer {foreign}"),))
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    names = await platform.store.database_names()
    assert not [n for n in names if n.endswith("hz_p2")], names  # no database of it was ever opened
    for host in platform.hosts.values():
        with pytest.raises(Exception, match="not served"):
            host.context.db("hz-p2")


async def test_readyz_explains_each_check_consumer_group_and_the_outbox(platform: EmbeddedPlatform) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        async def ready() -> dict | None:
            body = (await http.get(f"{platform.url('appraisal')}/readyz")).json()
            return body if body["ready"] else None

        body = await eventually(ready, 30, "appraisal ready")
        assert body["checks"] == {"store": True, "bus": True, "consumers": True}
        [group] = body["consumers"].values()
        assert group["state"] == "running" and group["assigned"] is True and group["last_error"] == ""
        assert body["outbox"]["state"] in ("idle", "publishing") and body["outbox"]["failed_documents"] == 0
        assert set(body["loops"].values()) == {"running"}

        # A consumer that is not running makes the service unready, and says so.
        consumer = platform.hosts["appraisal"].consumer
        assert consumer is not None
        consumer.state = "reconnecting"
        try:
            response = await http.get(f"{platform.url('appraisal')}/readyz")
            assert response.status_code == 503
            body = response.json()
            assert body["checks"]["consumers"] is False
            assert next(iter(body["consumers"].values()))["state"] == "reconnecting"
        finally:
            consumer.state = "running"
        assert (await http.get(f"{platform.url('appraisal')}/readyz")).status_code == 200
