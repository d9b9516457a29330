"""Domain errors and how they map to HTTP statuses and gRPC codes."""

from __future__ import annotations

import grpc


class JingbanError(Exception):
    """Base: a precise, user-facing message; `field` names the offending input when there is one."""

    http_status = 400
    grpc_code = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self, message: str, field: str | None = None,
                 fields: list[dict[str, str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.fields = fields or ([{"field": field, "message": message}] if field else [])


class InvalidInput(JingbanError):
    http_status = 422
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(JingbanError):
    """Also what another tenant's object looks like: no hint that it exists."""

    http_status = 404
    grpc_code = grpc.StatusCode.NOT_FOUND


class Unauthenticated(JingbanError):
    http_status = 401
    grpc_code = grpc.StatusCode.UNAUTHENTICATED


class Forbidden(JingbanError):
    http_status = 403
    grpc_code = grpc.StatusCode.PERMISSION_DENIED


class TenantNotServed(Forbidden):
    """A valid token for a tenant this deployment does not serve: nothing of it is read or written here."""


class Conflict(JingbanError):
    http_status = 409
    grpc_code = grpc.StatusCode.FAILED_PRECONDITION


class PayloadTooLarge(JingbanError):
    http_status = 413
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT


class UnsupportedMediaType(JingbanError):
    http_status = 415
    grpc_code = grpc.StatusCode.INVALID_ARGUMENT


class PoisonMessage(Exception):
    """An event that can never be processed: parked on the dead-letter topic with this reason."""


class TransientOutage(Exception):
    """A store, broker or peer stayed unreachable past the retry horizon: the work is handed back undone
    (offsets not committed) to be tried again, never dead-lettered."""


# gRPC codes that mean "the peer is not there right now", not "the peer refused".
_TRANSIENT_GRPC = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED}


def is_transient(exc: BaseException) -> bool:
    """Whether a failure is infrastructure being away (retry as long as it lasts) rather than poison.

    Walks the cause chain, since a handler may wrap a driver error in its own."""
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
        if isinstance(current, grpc.aio.AioRpcError) and current.code() in _TRANSIENT_GRPC:
            return True
        if type(current).__module__.startswith("httpx") and type(current).__name__ in {
                "ConnectError", "ReadTimeout", "WriteTimeout", "ConnectTimeout", "PoolTimeout", "RemoteProtocolError",
                "ReadError", "WriteError"}:
            return True
        current = current.__cause__ or current.__context__
    return False
