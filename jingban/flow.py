"""A thin async client of the platform's HTTP doors that walks the chronic-disease chain the way its
users do. The demo loader, the benchmarks and the end-to-end tests all drive the platform through it,
so they exercise exactly what a carrier's staff and the hospitals use."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from chassis.programs import PROGRAMS_DIR
from jingban.tokens import Tokens

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
ALL_DOCUMENTS = ("application_form", "medical_record", "id_card", "insurance_card")


T = TypeVar("T")


class FlowError(AssertionError):
    """A step of the walk did not answer as the chain requires."""


class Walk:
    def __init__(self, url: Callable[[str], str], tokens: Tokens, http: httpx.AsyncClient, tenant: str) -> None:
        self.url, self.tokens, self.http, self.tenant = url, tokens, http, tenant

    def auth(self, role: str, subject: str = "walker", program: str = "") -> dict[str, str]:
        """A token of the walk's tenant from the issuer the platform trusts; `program` adds the agency
        supervisor's program claim."""
        return {"authorization": f"Bearer {self.tokens.user_token(self.tenant, role, subject, program)}"}

    async def _ok(self, response: httpx.Response, *codes: int) -> Any:
        if response.status_code not in (codes or (200, 201)):
            raise FlowError(f"{response.request.method} {response.request.url} -> {response.status_code}: "
                            f"{response.text[:500]}")
        return response.json() if response.content else None

    timeout: float = 30.0   # how long `_until` waits for what another service learns by its events

    async def _until(self, probe: Callable[[], Awaitable[T | None]], what: str | Callable[[], str],
                     timeout: float | None = None) -> T:
        """Poll `probe` until it answers something (event-driven waits: what another service learns by its events);
        `what` (or what it answers) names it in the FlowError of a deadline passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.timeout)
        pause = 0.02
        while True:
            found = await probe()
            if found is not None:
                return found
            if loop.time() > deadline:
                said = what() if callable(what) else what
                raise FlowError(f"{self.tenant}: {said} not seen after {timeout or self.timeout}s")
            await asyncio.sleep(pause)
            pause = min(pause * 1.5, 0.25)

    def _url(self, service: str, path: str) -> str:
        return f"{self.url(service)}{path}"

    async def _post(self, service: str, path: str, headers: dict[str, str], *codes: int, **kw: Any) -> Any:
        return await self._ok(await self.http.post(self._url(service, path), headers=headers, **kw), *codes)

    async def _get(self, service: str, path: str, headers: dict[str, str], **params: Any) -> Any:
        return await self._ok(await self.http.get(self._url(service, path), headers=headers,
                                                  params={k: v for k, v in params.items() if v is not None}))

    async def load_policy(self, program: str = "hz-chronic", year: int = 2025) -> dict[str, Any]:
        text = (PROGRAMS_DIR / program / f"policy-{year}.yaml").read_text(encoding="utf-8")
        r = await self.http.post(f"{self.url('settlement')}/v1/policies", content=text.encode(),
                                 headers={**self.auth("ops"), "content-type": "application/yaml"})
        if r.status_code == 409:  # already loaded: loading is idempotent for the walk
            return {"status": "already loaded"}
        return await self._ok(r)

    async def import_experts(self, program: str = "hz-chronic") -> dict[str, Any]:
        csv = (PROGRAMS_DIR / program / "experts-sample.csv").read_bytes()
        return await self._ok(await self.http.post(f"{self.url('appraisal')}/v1/experts/import", content=csv,
                                                   headers={**self.auth("clerk"), "content-type": "text/csv"}))

    async def submit(self, person_id: str, name: str, disease: str, documents: tuple[str, ...] = ALL_DOCUMENTS,
                     role: str = "clerk", channel: str = "window", hospital: str = "H610702001",
                     phone: str = "13800000000", extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """`extra`: the program's own fields (e.g. Xunyang's district and inpatient_records)."""
        body = {"person_id": person_id, "person_name": name, "disease_code": disease, "channel": channel,
                "treating_hospital": hospital, "phone": phone, **(extra or {})}
        files: dict[str, Any] = {"application": (None, json.dumps(body, ensure_ascii=False))}
        for kind in documents:
            files[kind] = (f"{kind}.pdf", PDF, "application/pdf")
        subject = person_id if role == "applicant" else "clerk-1"
        return await self._ok(await self.http.post(f"{self.url('intake')}/v1/applications", files=files,
                                                   headers=self.auth(role, subject)))

    async def review(self, application_id: str, decision: str, missing: list[str] | None = None,
                     note: str = "") -> dict[str, Any]:
        return await self._ok(await self.http.post(
            f"{self.url('intake')}/v1/applications/{application_id}/review", headers=self.auth("clerk", "clerk-1"),
            json={"decision": decision, "missing": missing or [], "note": note}))

    async def add_documents(self, application_id: str, person_id: str, kinds: list[str]) -> dict[str, Any]:
        files = {k: (f"{k}.png", PNG, "image/png") for k in kinds}
        return await self._ok(await self.http.post(
            f"{self.url('intake')}/v1/applications/{application_id}/documents", files=files,
            headers=self.auth("applicant", person_id)))

    async def case(self, case_id: str, timeout: float = 30, status: str | None = None) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            r = await self.http.get(f"{self.url('appraisal')}/v1/cases/{case_id}", headers=self.auth("reviewer"))
            if r.status_code == 200 and (status is None or r.json()["status"] == status):
                return r.json()
            if asyncio.get_running_loop().time() > deadline:
                raise FlowError(f"case {case_id} not {status or 'open'} after {timeout}s: "
                                f"{r.status_code} {r.text[:300]}")
            await asyncio.sleep(0.1)

    async def opinions(self, case: dict[str, Any], approve: bool | list[bool] = True) -> dict[str, Any]:
        votes = approve if isinstance(approve, list) else [approve] * len(case["assigned"])
        for expert, vote in zip(case["assigned"], votes, strict=False):
            if any(o["expert_id"] == expert for o in case.get("opinions") or []):
                continue
            await self._ok(await self.http.post(
                f"{self.url('appraisal')}/v1/cases/{case['case_id']}/opinions", headers=self.auth("expert", expert),
                json={"approve": vote, "comment": "records support the diagnosis" if vote else "not supported"}))
        return await self.case(case["case_id"])

    async def conclude(self, case_id: str, outcome: str = "approved", reason: str = "meets the criteria"
                       ) -> dict[str, Any]:
        return await self._ok(await self.http.post(
            f"{self.url('appraisal')}/v1/cases/{case_id}/conclusion", headers=self.auth("reviewer", "reviewer-1"),
            json={"outcome": outcome, "reason": reason}))

    async def qualify(self, person_id: str, name: str, disease: str) -> dict[str, Any]:
        """The whole happy path for one person: submit → complete → experts → approved."""
        app = await self.submit(person_id, name, disease)
        await self.review(app["application_id"], "complete")
        case = await self.case(app["application_id"])
        case = await self.opinions(case)
        return await self.conclude(case["case_id"])


    # ---- fund finance (专户) ------------------------------------------------------------------------------------

    async def allocate(self, program: str, allocation_id: str, year: int, kind: str, amount: str, day: str
                       ) -> dict[str, Any]:
        """The agency (supervisor with the program claim) allocates fund money, split by the program's shares."""
        return await self._ok(await self.http.post(
            f"{self.url('settlement')}/v1/fund/allocations", headers=self.auth("supervisor", "agency", program),
            json={"allocation_id": allocation_id, "year": year, "kind": kind, "amount": amount, "date": day}))

    # ---- smart review (智能审核) of the uploads ------------------------------------------------------------------

    async def batch_reviewed(self, batch_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """An uploaded batch once audit's smart review answered every part of it (nothing of it is paid before):
        polled with a deadline."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            batch = await self._ok(await self.http.get(f"{self.url('settlement')}/v1/claims/batches/{batch_id}",
                                                       headers=self.auth("finance")))
            if batch.get("status") == "done" and (batch.get("review") or {}).get("state") in ("reviewed", None):
                return batch
            if asyncio.get_running_loop().time() > deadline:
                raise FlowError(f"batch {batch_id} not reviewed after {timeout:.0f}s: {batch.get('review')}")
            await asyncio.sleep(0.1)

    async def decide_open_hits(self, institution: str, month: str, source: str,
                               decide: Callable[[dict[str, Any]], tuple[str, str]]) -> int:
        """A reviewer decides every open hit of an institution's month (`decide(hit)` → (confirm | dismiss,
        note)). Returns how many were decided."""
        hits = (await self._ok(await self.http.get(
            f"{self.url('audit')}/v1/review/hits", headers=self.auth("reviewer", "reviewer-1"),
            params={"state": "open", "source": source, "institution": institution, "month": month,
                    "limit": 2000})))["hits"]
        for hit in hits:
            decision, note = decide(hit)
            await self._ok(await self.http.post(f"{self.url('audit')}/v1/review/hits/{hit['hit_id']}/decision",
                                                headers=self.auth("reviewer", "reviewer-1"),
                                                json={"decision": decision, "note": note}))
        return len(hits)

    async def decide_hits(self, statement: dict[str, Any], decide: Callable[[dict[str, Any]], tuple[str, str]],
                          timeout: float = 120.0) -> int:
        """A reviewer decides every open hit holding lines of a chronic statement, then waits until settlement
        holds nothing of it. Returns how many were decided."""
        decided = await self.decide_open_hits(statement["institution_code"], statement["month"], "chronic", decide)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            now = await self._ok(await self.http.get(
                f"{self.url('settlement')}/v1/statements/{statement['statement_id']}", headers=self.auth("finance")))
            if not now.get("held_lines") and not (now.get("review") or {}).get("pending_batches"):
                return decided
            if asyncio.get_running_loop().time() > deadline:
                raise FlowError(f"statement {statement['statement_id']} still held after {timeout:.0f}s")
            await asyncio.sleep(0.1)

    # ---- critical illness (大病保险) ------------------------------------------------------------------------------

    async def critical_claims(self, institution: str, claims: list[dict[str, Any]]) -> dict[str, Any]:
        """An institution uploads its settled claims (its code is the token's subject)."""
        return await self._ok(await self.http.post(f"{self.url('settlement')}/v1/critical/claims",
                                                   json={"claims": claims}, headers=self.auth("institution",
                                                                                              institution)))

    async def critical_import(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """A clerk imports provincial settlement records (省平台结算数据)."""
        return await self._ok(await self.http.post(f"{self.url('settlement')}/v1/critical/imports",
                                                   json={"records": records}, headers=self.auth("clerk", "clerk-1")))

    async def critical_assistance(self, csv: str) -> dict[str, Any]:
        """A clerk imports the civil affairs list of assistance recipients (救助对象)."""
        return await self._ok(await self.http.post(
            f"{self.url('settlement')}/v1/critical/persons/import", content=csv.encode(),
            headers={**self.auth("clerk", "clerk-1"), "content-type": "text/csv"}))

    async def manual_claim(self, claim: dict[str, Any]) -> dict[str, Any]:
        """A manual reimbursement (零星报销) at the window, with its invoice, expense list and (inpatient)
        discharge summary."""
        files: dict[str, Any] = {"claim": (None, json.dumps(claim, ensure_ascii=False)),
                                 "invoice": ("invoice.pdf", PDF, "application/pdf"),
                                 "expense_list": ("expense-list.png", PNG, "image/png")}
        if claim.get("care") == "inpatient":
            files["discharge_summary"] = ("discharge-summary.pdf", PDF, "application/pdf")
        return await self._ok(await self.http.post(f"{self.url('settlement')}/v1/critical/manual-claims",
                                                   files=files, headers=self.auth("clerk", "clerk-1")))

    async def critical_reviews(self, year: int, status: str = "open") -> list[dict[str, Any]]:
        r = await self.http.get(f"{self.url('settlement')}/v1/critical/reviews", headers=self.auth("reviewer"),
                                params={"status": status, "year": year})
        return (await self._ok(r))["reviews"]

    async def review_outcome(self, review_id: str, outcome: str, recovered: str = "0.00", note: str = ""
                             ) -> dict[str, Any]:
        return await self._ok(await self.http.post(
            f"{self.url('settlement')}/v1/critical/reviews/{review_id}/outcome",
            headers=self.auth("reviewer", "reviewer-1"),
            json={"outcome": outcome, "recovered": recovered, "note": note}))


def sample_policy_text(program: str = "hz-chronic", year: int = 2025) -> str:
    return Path(PROGRAMS_DIR / program / f"policy-{year}.yaml").read_text(encoding="utf-8")
