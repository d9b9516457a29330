"""A care service (护理服务) as supervision knows it, and its one-string id.

Settlement takes a record id as the institution's own within one month (`POST /v1/ltc/service-records`: unique per
institution and month, and every record's date is in that month), so a service is the triple (institution, month,
record id): two institutions' `P0-01`, or one institution's `P0-01` of two months, are different services and are
sampled, checked and counted apart. Its one-string form, the service id `<institution>:<YYYY-MM>:<record id>`, is what
samples list, patrols check and patrol.completed names (`record_ids`). It reads back unambiguously: an institution id
and a month never hold a `:` (a record id may: it is the rest).

Family care (亲情居家护理) records come without an institution; they are keyed as settlement keys them: `FAMILY`."""

from __future__ import annotations

import re
from dataclasses import dataclass

FAMILY = "FAMILY"   # settlement's institution key of family care (its statements `LTC-FAMILY-<YYYY-MM>`)
INSTITUTION = r"[A-Za-z0-9][A-Za-z0-9_\-]{0,63}"
MONTH = r"[0-9]{4}-(?:0[1-9]|1[0-2])"
RECORD = r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,39}"
SERVICE_ID = re.compile(rf"^({INSTITUTION}):({MONTH}):({RECORD})\Z")
MONTH_RE = re.compile(rf"^{MONTH}\Z")


@dataclass(frozen=True, order=True)
class ServiceKey:
    """What identifies a care service: the institution (FAMILY for family care), the month its record was uploaded
    for, and the institution's own record id."""

    institution_id: str
    month: str
    record_id: str

    @property
    def service_id(self) -> str:
        return service_id(self.institution_id, self.month, self.record_id)


def institution_key(institution_id: str | None) -> str:
    """The institution a service is filed under: its own id, or FAMILY for family care (no institution)."""
    return institution_id or FAMILY


def service_id(institution_id: str | None, month: str, record_id: str) -> str:
    return f"{institution_key(institution_id)}:{month}:{record_id}"


def parse_service_id(text: str) -> ServiceKey | None:
    """`WZB-C001:2026-03:P0-01` → its key; None when the text is not a service id (e.g. a bare record id)."""
    m = SERVICE_ID.match(text)
    return ServiceKey(m.group(1), m.group(2), m.group(3)) if m else None
