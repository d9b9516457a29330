"""Demo data for a first look: applications filed through the real HTTP doors, some concluded."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx

from chassis.identity import issue_token

# Valid resident ID numbers (GB 11643 check digits) of fictitious persons in Hanzhong (6107xx).
DEMO_PERSONS = [
    ("610702195803120012", "张建国", "HTN"),
    ("61072119620425002X", "李秀兰", "DM"),
    ("610722197001010035", "王德明", "DL"),
    ("610723198511200040", "赵丽", "MT"),
]
TINY_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def seed(url: Callable[[str], str], secret: str, tenants: tuple[str, ...]) -> dict[str, list[str]]:
    """File every demo person's application in every tenant; conclude the first one per tenant."""
    created: dict[str, list[str]] = {}
    async with httpx.AsyncClient(timeout=10) as http:
        for tenant in tenants:
            clerk = {"authorization": f"Bearer {issue_token(secret, tenant, 'clerk', 'demo-clerk')}"}
            created[tenant] = []
            for pid, name, disease in DEMO_PERSONS:
                files = {
                    "application": (None, json.dumps({"person_id": pid, "person_name": name, "disease_code": disease,
                                                      "channel": "window"})),
                    "application_form": ("form.pdf", TINY_PDF, "application/pdf"),
                    "medical_record": ("record.pdf", TINY_PDF, "application/pdf"),
                }
                r = await http.post(f"{url('intake')}/v1/applications", files=files, headers=clerk)
                r.raise_for_status()
                created[tenant].append(r.json()["application_id"])
            first = created[tenant][0]
            expert = {"authorization": f"Bearer {issue_token(secret, tenant, 'expert', 'demo-expert-1')}"}
            reviewer = {"authorization": f"Bearer {issue_token(secret, tenant, 'reviewer', 'demo-reviewer')}"}
            for _ in range(100):  # the case opens once appraisal has consumed the event
                if (await http.get(f"{url('appraisal')}/v1/cases/{first}", headers=reviewer)).status_code == 200:
                    break
                await asyncio.sleep(0.05)
            await http.post(f"{url('appraisal')}/v1/cases/{first}/opinions", headers=expert,
                            json={"approve": True, "comment": "records support the diagnosis"})
            await http.post(f"{url('appraisal')}/v1/cases/{first}/conclusion", headers=reviewer,
                            json={"outcome": "approved", "reason": "two-year records from a tier-2 hospital"})
    return created
