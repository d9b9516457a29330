"""The body limit at the door (请求体大小限制): a pure ASGI middleware every service's app carries (chassis/http.py
`create_app`), run before routing, before any body is parsed and before the bearer token is looked at.

- A declared `Content-Length` over the route's limit is answered 413 `payload_too_large` at once: nothing of the
  body is read, whoever sent it (an oversized request without a token gets 413, not 401).
- A body without a declared length (chunked) is counted while it streams; the moment the count passes the limit the
  app's next read fails with `PayloadTooLarge` and the caller gets 413, whatever the app was doing with it (a
  multipart parser, a JSON reader) — the body is never read, let alone buffered, past the limit.

The limit is the route's: DEFAULT_LIMIT (1 MiB, a JSON body) unless the route declares a larger one with
`openapi_extra=body_limit(n)` (uploads: documents, claim batches, archive imports), which also shows it in the
service's OpenAPI document as `x-body-limit`. The middleware reads the limits from that document (FastAPI's own
contract), so it needs no knowledge of how routers are nested; a route left out of the document keeps the default."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

from chassis.errors import PayloadTooLarge

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1 << 20  # a JSON body
LIMIT_KEY = "x-body-limit"
_BODY_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def body_limit(limit: int, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A route's `openapi_extra` declaring that it takes bodies up to `limit` bytes (beside what `extra` documents,
    e.g. its request body)."""
    if limit <= 0:
        raise ValueError("a body limit is a positive number of bytes")
    return {**(extra or {}), LIMIT_KEY: int(limit)}


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the body is larger than this endpoint accepts ({limit} bytes)", "body",
                           params={"limit": str(limit)})


def _template(path: str) -> re.Pattern[str]:
    """An OpenAPI path template as a regex: `{name}` is one segment, `{name:path}` the rest."""
    out, pos = [], 0
    for m in re.finditer(r"\{([^}:]+)(:path)?\}", path):
        out.append(re.escape(path[pos:m.start()]))
        out.append(".+" if m.group(2) else "[^/]+")
        pos = m.end()
    out.append(re.escape(path[pos:]))
    return re.compile("^" + "".join(out) + "$")


class BodyLimit:
    """Pure ASGI (see the module's docstring). `default` is the limit of a route that declares none."""

    def __init__(self, app: Any, default: int = DEFAULT_LIMIT) -> None:
        self.app = app
        self.default = default
        self._exact: dict[tuple[str, str], int] | None = None
        self._templates: list[tuple[str, re.Pattern[str], int]] = []

    # ---- the limit of a request ---------------------------------------------------------------------------------

    def _learn(self, scope: Mapping[str, Any]) -> None:
        """Every operation's limit, from the app's OpenAPI document (read once)."""
        exact: dict[tuple[str, str], int] = {}
        templates: list[tuple[str, re.Pattern[str], int]] = []
        application = scope.get("app")
        try:
            paths = application.openapi().get("paths", {}) if application is not None else {}
        except Exception:  # a broken document must not open the door wider: every route keeps the default
            log.exception("body limit: the OpenAPI document could not be read; every route gets the default")
            paths = {}
        for path, operations in paths.items():
            for method, op in (operations or {}).items():
                if method not in _BODY_METHODS or not isinstance(op, dict):
                    continue
                limit = int(op.get(LIMIT_KEY, self.default))
                if "{" in path:
                    templates.append((method.upper(), _template(path), limit))
                else:
                    exact[(method.upper(), path)] = limit
        self._templates = templates
        self._exact = exact

    def limit_for(self, scope: Mapping[str, Any]) -> int:
        if self._exact is None:
            self._learn(scope)
        assert self._exact is not None
        path, root = scope.get("path", ""), scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        method = scope.get("method", "GET")
        found = self._exact.get((method, path))
        if found is not None:  # a literal route wins over a template, as the router orders them
            return found
        for verb, pattern, limit in self._templates:
            if verb == method and pattern.match(path):
                return limit
        return self.default

    # ---- the door -------------------------------------------------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = next((v for k, v in scope.get("headers", ()) if k.lower() == b"content-length"), None)
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _refuse(send, limit)  # nothing of the body is read
            return

        received = 0
        exceeded = False
        answered = False  # a response has begun (the app's, or our 413 in its place)
        replaced = False  # our 413 went out instead of what the app answered after its read failed

        async def counted() -> Any:
            nonlocal received, exceeded
            if exceeded:
                raise too_large(limit)
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise too_large(limit)
            return message

        async def guarded(message: Any) -> None:
            nonlocal answered, replaced
            if replaced:
                return  # the rest of the app's own answer: already answered 413
            if message["type"] == "http.response.start" and not answered:
                answered = True
                if exceeded:  # whatever the app made of the failed read (400, 422, 500), the caller gets 413
                    replaced = True
                    await _refuse(send, limit)
                    return
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if exceeded and not answered:
                await _refuse(send, limit)
                return
            raise
        if exceeded and not answered:  # the app swallowed the failed read and answered nothing
            await _refuse(send, limit)


async def _refuse(send: Any, limit: int) -> None:
    body = json.dumps({"error": too_large(limit).to_json()}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
