"""Domain errors and how they map to HTTP statuses and gRPC codes (by name: the gRPC door, chassis/rpc.py, turns
`grpc_status` into a status code, so domain code that raises these imports no driver)."""

from __future__ import annotations

import re

from chassis.masking import mask, mask_value


class JingbanError(Exception):
    """Base: a precise, user-facing message; `field` names the offending input when there is one; `code` is stable
    (clients branch on it): the class's default, or a specific one from a room's catalogue (domain/reasons.py)."""

    http_status = 400
    grpc_status = "FAILED_PRECONDITION"
    code = "invalid_request"

    def __init_subclass__(cls, **kwargs: object) -> None:
        # A subclass without its own code answers with its name in snake case (InsufficientFunds →
        # insufficient_funds): stable as long as the class keeps its name.
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    def __init__(self, message: str, field: str | None = None,
                 fields: list[dict[str, str]] | None = None, code: str | None = None,
                 params: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.fields = fields or ([{"field": field, "message": message}] if field else [])
        if code:
            self.code = code
        self.params = dict(params or {})

    @property
    def public_message(self) -> str:
        """The message as a client is answered (HTTP body, gRPC status details): identity and mobile phone numbers
        masked (chassis/masking.py) — a caller who sent their own number does not need it back, and answers end
        up in logs and proxies. `message` itself stays whole for the code that raised and caught it."""
        return mask(self.message)

    def to_json(self) -> dict[str, object]:
        """The error as every JSON answer carries it: `{"code", "message", "field"?, "fields"?, "params"?}`, with
        identity and mobile phone numbers masked in the message, each field's message and the params."""
        body: dict[str, object] = {"code": self.code, "message": self.public_message}
        field = self.field or (self.fields[0].get("field") if self.fields else None)
        if field:
            body["field"] = field
        if self.fields:
            body["fields"] = mask_value(self.fields)
        if self.params:
            body["params"] = mask_value(self.params)
        return body


class InvalidInput(JingbanError):
    http_status = 422
    grpc_status = "INVALID_ARGUMENT"
    code = "invalid_input"


class NotFound(JingbanError):
    """Also what another tenant's object looks like: no hint that it exists."""

    http_status = 404
    grpc_status = "NOT_FOUND"
    code = "not_found"


class Unauthenticated(JingbanError):
    http_status = 401
    grpc_status = "UNAUTHENTICATED"
    code = "unauthenticated"


class Forbidden(JingbanError):
    http_status = 403
    grpc_status = "PERMISSION_DENIED"
    code = "forbidden"


class TenantNotServed(Unauthenticated):
    """A valid token for a tenant this deployment does not serve: not a credential here (401), and nothing of it is
    read or written."""

    code = "tenant_not_served"


class Conflict(JingbanError):
    http_status = 409
    grpc_status = "FAILED_PRECONDITION"
    code = "conflict"


class PayloadTooLarge(JingbanError):
    http_status = 413
    grpc_status = "INVALID_ARGUMENT"
    code = "payload_too_large"


class UnsupportedMediaType(JingbanError):
    http_status = 415
    grpc_status = "INVALID_ARGUMENT"
    code = "unsupported_media_type"


# The codes every service may answer with (a room's own, more specific codes are in its domain/reasons.py ERRORS).
ERRORS: dict[str, str] = {
    "invalid_request": "the request cannot be carried out as sent",
    "invalid_input": "a field of the request is missing or invalid (see `field`)",
    "invalid_json": "the body is not valid JSON",
    "invalid_amount": "an amount is not a decimal yuan string with at most two decimals, or out of range",
    "not_found": "no such object for this tenant (another tenant's objects look the same)",
    "unauthenticated": "no valid bearer token",
    "forbidden": "the caller's role may not do this",
    "tenant_not_served": "the token's tenant is not served by this deployment",
    "conflict": "the object's state does not allow this now",
    "method_not_allowed": "the path exists but not with this HTTP method",
    "payload_too_large": "the body is larger than this endpoint accepts",
    "unsupported_media_type": "the body's content type is not one this endpoint reads",
    "unavailable": "a backing service is away; nothing was decided; try again (Retry-After)",
    "interrupted": "the service stopped while answering; nothing was decided; send again",
}


class PoisonMessage(Exception):
    """An event that can never be processed: parked on the dead-letter topic with this reason."""


class TransientOutage(Exception):
    """A store, broker or peer stayed unreachable past the retry horizon: the work is handed back undone
    (offsets not committed) to be tried again, never dead-lettered."""


# gRPC codes that mean "the peer is not there right now", not "the peer refused".
_TRANSIENT_GRPC = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"}


def is_transient(exc: BaseException) -> bool:
    """Whether a failure is infrastructure being away (retry as long as it lasts) rather than poison.

    Walks the cause chain, since a handler may wrap a driver error in its own."""
    import grpc
    from kafka.errors import KafkaError
    from pymongo.errors import ConnectionFailure, ExecutionTimeout, WaitQueueTimeoutError, WriteConcernError

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, TransientOutage | ConnectionFailure | ExecutionTimeout | WaitQueueTimeoutError
                      | WriteConcernError | ConnectionError | TimeoutError):
            return True
        if isinstance(current, KafkaError) and getattr(current, "retriable", False):
            return True
        if type(current).__name__ in {"KafkaConnectionError", "NoBrokersAvailable", "KafkaTimeoutError",
                                      "NodeNotReadyError", "CommitFailedError", "RequestTimedOutError"}:
            return True
        if isinstance(current, grpc.aio.AioRpcError) and current.code().name in _TRANSIENT_GRPC:
            return True
        if type(current).__module__.startswith("httpx") and type(current).__name__ in {
                "ConnectError", "ReadTimeout", "WriteTimeout", "ConnectTimeout", "PoolTimeout", "RemoteProtocolError",
                "ReadError", "WriteError"}:
            return True
        current = current.__cause__ or current.__context__
    return False
