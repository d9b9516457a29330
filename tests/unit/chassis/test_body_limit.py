"""The streaming body limit at the door (chassis/body_limit.py), on the app every service builds (chassis.http
`create_app`): a declared length over the route's limit is 413 before anything is read, even without a token; a
chunked body is cut the moment it passes the limit, whatever reads it (JSON, multipart), never buffered whole; a
route that declares a larger limit (an upload) takes more, and shows it in its OpenAPI document."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Request

from chassis.body_limit import DEFAULT_LIMIT, LIMIT_KEY, BodyLimit, body_limit
from chassis.http import Scope, create_app, read_json, read_raw

CHUNK = 64 * 1024
UPLOAD_LIMIT = 3 * DEFAULT_LIMIT


async def _ready() -> dict[str, Any]:
    return {"checks": {"store": True}}


class Source:
    """A request body that streams `chunks` pieces of CHUNK bytes and counts how many were pulled."""

    def __init__(self, chunks: int, piece: bytes = b"x") -> None:
        self.chunks, self.piece, self.pulled = chunks, piece, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.chunks):
            self.pulled += 1
            yield self.piece * CHUNK


def app_under_test() -> Any:
    app = create_app("t", "t", ready=_ready)
    reached: list[str] = []
    app.state.reached = reached

    @app.post("/v1/echo")
    async def echo(request: Request) -> Any:
        reached.append("echo")
        data = await read_json(request, 64 * DEFAULT_LIMIT)  # the door's own limit is larger: the route's holds
        return {"size": len(str(data))}

    @app.post("/v1/private")
    async def private(request: Request, scope: Scope) -> Any:
        reached.append("private")
        return {"size": len(await read_raw(request, 64 * DEFAULT_LIMIT))}

    @app.post("/v1/things/{thing_id}/files", openapi_extra=body_limit(UPLOAD_LIMIT))
    async def upload(thing_id: str, request: Request) -> Any:
        reached.append("upload")
        return {"size": len(await read_raw(request, 64 * DEFAULT_LIMIT))}

    @app.post("/v1/things/batch")
    async def batch(request: Request) -> Any:  # a literal route beside the template: the default limit
        reached.append("batch")
        return {"size": len(await read_raw(request, 64 * DEFAULT_LIMIT))}

    @app.post("/v1/forms", openapi_extra=body_limit(UPLOAD_LIMIT))
    async def forms(request: Request) -> Any:
        reached.append("forms")
        form = await request.form()
        return {"fields": len(form)}

    @app.post("/v1/swallows")
    async def swallows(request: Request) -> Any:
        reached.append("swallows")
        try:
            await request.body()
        except Exception:  # a door that hides the failed read still answers 413, not what it makes of it
            return {"ok": True}
        return {"ok": True}

    return app


@pytest.fixture
async def http() -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = app_under_test()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client, app


def refused(r: httpx.Response, limit: int = DEFAULT_LIMIT) -> None:
    assert r.status_code == 413, r.text
    error = r.json()["error"]
    assert error["code"] == "payload_too_large" and error["field"] == "body"
    assert error["params"] == {"limit": str(limit)}


async def test_a_declared_length_over_the_limit_is_413_before_anything_is_read(http: Any) -> None:
    client, app = http
    source = Source(40)
    r = await client.post("/v1/echo", content=source,
                          headers={"content-length": str(40 * CHUNK), "content-type": "application/json"})
    refused(r)
    assert source.pulled == 0 and app.state.reached == []


async def test_an_unauthenticated_oversized_request_is_413_not_401_and_unread(http: Any) -> None:
    client, app = http
    source = Source(40)
    r = await client.post("/v1/private", content=source, headers={"content-length": str(40 * CHUNK)})
    refused(r)
    assert source.pulled == 0 and app.state.reached == []
    small = await client.post("/v1/private", content=b"{}")
    assert small.status_code == 401  # within the limit: authentication answers as always


async def test_a_chunked_body_is_cut_as_soon_as_it_passes_the_limit(http: Any) -> None:
    client, app = http
    source = Source(1000)  # 62.5 MiB offered, in 64 KiB pieces, with no declared length
    r = await client.post("/v1/echo", content=source, headers={"content-type": "application/json"})
    refused(r)
    assert app.state.reached == ["echo"]
    assert source.pulled <= DEFAULT_LIMIT // CHUNK + 2  # read to just past the limit, not further


async def test_a_multipart_upload_is_cut_while_it_streams(http: Any) -> None:
    client, _ = http
    head = (b"--b\r\ncontent-disposition: form-data; name=\"f\"; filename=\"a.pdf\"\r\n"
            b"content-type: application/pdf\r\n\r\n")

    async def body() -> AsyncIterator[bytes]:
        yield head
        for _ in range(1000):
            yield b"%" * CHUNK

    r = await client.post("/v1/forms", content=body(), headers={"content-type": "multipart/form-data; boundary=b"})
    refused(r, UPLOAD_LIMIT)  # not the parser's 400


async def test_a_door_that_hides_the_failed_read_still_answers_413(http: Any) -> None:
    client, _ = http
    refused(await client.post("/v1/swallows", content=Source(100)))


async def test_an_upload_route_takes_its_larger_limit_and_documents_it(http: Any) -> None:
    client, _ = http
    two_mib = Source(2 * DEFAULT_LIMIT // CHUNK)
    ok = await client.post("/v1/things/t1/files", content=two_mib)
    assert ok.status_code == 200 and ok.json() == {"size": 2 * DEFAULT_LIMIT}
    refused(await client.post("/v1/things/t1/files", content=Source(4 * DEFAULT_LIMIT // CHUNK)), UPLOAD_LIMIT)
    # the literal route beside the template keeps the default
    refused(await client.post("/v1/things/batch", content=Source(2 * DEFAULT_LIMIT // CHUNK)))
    within = await client.post("/v1/things/batch", content=Source(4))
    assert within.status_code == 200 and within.json() == {"size": 4 * CHUNK}
    spec = (await client.get("/openapi.json")).json()
    assert spec["paths"]["/v1/things/{thing_id}/files"]["post"][LIMIT_KEY] == UPLOAD_LIMIT
    assert LIMIT_KEY not in spec["paths"]["/v1/echo"]["post"]


async def test_a_body_at_the_limit_passes(http: Any) -> None:
    client, _ = http
    exactly = b"[" + b"1," * ((DEFAULT_LIMIT - 3) // 2) + b"1]"
    exactly = exactly + b" " * (DEFAULT_LIMIT - len(exactly))
    assert len(exactly) == DEFAULT_LIMIT
    r = await client.post("/v1/echo", content=exactly, headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text
    refused(await client.post("/v1/echo", content=exactly + b" ", headers={"content-type": "application/json"}))


async def test_other_traffic_passes_untouched() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    limited = BodyLimit(app)
    await limited({"type": "lifespan"}, None, None)
    await limited({"type": "websocket", "path": "/", "headers": []}, None, None)
    assert seen == ["lifespan", "websocket"]
    with pytest.raises(ValueError):
        body_limit(0)


async def test_an_app_that_answers_nothing_after_the_failed_read_still_answers_413() -> None:
    async def silent(scope: Any, receive: Any, send: Any) -> None:
        try:
            while (await receive()).get("more_body"):
                pass
        except Exception:
            return  # swallowed, and no answer

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=BodyLimit(silent, default=CHUNK)),
                                 base_url="http://t") as client:
        refused(await client.post("/anything", content=Source(4)), CHUNK)
