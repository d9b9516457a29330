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
