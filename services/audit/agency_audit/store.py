"""The agency audit room's collections, one database per tenant (audit's):

- `sv_agency_audits`: internal audits of the agency (经办机构内部审核): team, period, the sample read, every check,
  the written report's reference (sha256, size) once out; every change guarded by the audit's `version`.
- `sv_agency_audit_reports`: the written reports' bytes (.docx), sealed.

Sealed (chassis/pii.py): the checks' notes (a manual reimbursement is a person's), the report's conclusion and
recommendations, the report's bytes. Clear: ids, institution, period, team, references, codes, amounts, results."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update
from chassis.pii import Sealed, Sealer, sealer_of

AUDITS = "sv_agency_audits"
REPORTS = "sv_agency_audit_reports"

AUDIT = Sealed(text=("checks.*.note", "report.conclusion", "report.recommendations"))
REPORT = Sealed(data=("content",))


class AgencyAuditStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    async def ensure_indexes(self) -> None:
        await self._db[AUDITS].create_index("state")
        await self._db[AUDITS].create_index("period_from")

    async def add_audit(self, audit: dict[str, Any]) -> None:
        await self._db[AUDITS].insert_one(AUDIT.seal(self._pii, audit))

    async def audit(self, audit_id: str) -> dict[str, Any] | None:
        return AUDIT.open(self._pii, await self._db[AUDITS].find_one({"_id": audit_id}))

    async def audits(self, query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        docs = await self._db[AUDITS].find(query).sort("opened_at", 1).limit(limit).to_list(None)
        return AUDIT.open_all(self._pii, docs)

    async def change(self, audit_id: str, version: int, changes: dict[str, Any]) -> bool:
        """The audit after a change, only while it is still at `version`: False when it moved meanwhile."""
        return await guarded_update(self._db[AUDITS], {"_id": audit_id, "version": version},
                                    {"$set": {**AUDIT.seal(self._pii, changes), "version": version + 1}})

    async def keep_report(self, audit_id: str, content: bytes, sha256: str) -> None:
        """The report's bytes, once per audit (a retry after a crash finds them there)."""
        try:
            await self._db[REPORTS].insert_one(REPORT.seal(self._pii, {"_id": audit_id, "content": content,
                                                                         "sha256": sha256}))
        except DuplicateKeyError:
            await self._db[REPORTS].replace_one({"_id": audit_id}, REPORT.seal(
                self._pii, {"_id": audit_id, "content": content, "sha256": sha256}))

    async def report(self, audit_id: str) -> dict[str, Any] | None:
        return REPORT.open(self._pii, await self._db[REPORTS].find_one({"_id": audit_id}))
