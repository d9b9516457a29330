"""What can go wrong talking to the provincial platform, as chassis errors so the services' handlers map them."""

from __future__ import annotations

from chassis.errors import JingbanError
from provincial.envelope import TRANSACTIONS

# The platform has no dedicated code for an expired session; its message names the sign-in (签到).
SESSION_EXPIRED_MARKERS = ("签到信息不存在", "签到已过期", "sign_no")


class ProvincialError(JingbanError):
    """The platform answered and refused (infcode != 0): a business error, never retried.

    422 because the request reached the platform and was judged; the caller has to change something.
    """

    http_status = 422
    grpc_status = "FAILED_PRECONDITION"

    def __init__(self, infno: str, infcode: int, err_msg: str, *, msgid: str = "", inf_refmsgid: str = "",
                 warn_msg: str = "") -> None:
        name = TRANSACTIONS.get(infno)
        label = f"{infno} ({name})" if name else infno
        refs = ", ".join(part for part in (f"msgid {msgid}" if msgid else "",
                                           f"inf_refmsgid {inf_refmsgid}" if inf_refmsgid else "") if part)
        message = f"provincial platform refused {label}: infcode {infcode}: {err_msg or '(no err_msg)'}"
        super().__init__(message + (f" [{refs}]" if refs else ""))
        self.infno = infno
        self.infcode = infcode
        self.err_msg = err_msg
        self.msgid = msgid
        self.inf_refmsgid = inf_refmsgid
        self.warn_msg = warn_msg

    @property
    def session_expired(self) -> bool:
        """True when the platform no longer knows our sign_no: sign in again and repeat once."""
        return any(marker in self.err_msg for marker in SESSION_EXPIRED_MARKERS)


class ProvincialUnavailable(JingbanError):
    """No answer after every retry: connection refused, timeouts, HTTP 5xx."""

    http_status = 503
    grpc_status = "UNAVAILABLE"


class ProvincialProtocolError(JingbanError):
    """An answer that is not a response envelope (HTTP 4xx, not JSON, no infcode): a configuration problem."""

    http_status = 502
    grpc_status = "UNAVAILABLE"


# The codes these errors answer with (the class names in snake case).
ERRORS: dict[str, str] = {
    "provincial_error": "the provincial platform refused the transaction (infcode ≠ 0): change the request",
    "provincial_unavailable": "the provincial platform did not answer after every retry",
    "provincial_protocol_error": "the provincial platform answered with something that is not a response envelope",
}
