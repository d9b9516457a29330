"""The demo users can do their work (issue 14): on the embedded platform, `hz-p1-applicant` — the tenant's demo person
(chassis/demo_subjects.py) — files an application for themself and the clerk's review finds the person insured and
completes it; the demo's case waiting for an opinion (jingban/demo.py `awaiting_opinion`) is one the draw put
`hz-p1-expert` on, which that expert finds among their cases and gives the opinion awaited."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from chassis.demo_subjects import demo_expert_id, demo_person_id, demo_subject
from jingban.demo import COUNTIES, awaiting_opinion, filer
from jingban.embedded import EmbeddedPlatform
from jingban.flow import Walk
from tests.conftest import application_form, auth, embedded_port_offset

T = "hz-p1"


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    data: Path = tmp_path_factory.mktemp("data")
    p = EmbeddedPlatform(env={"JINGBAN_TENANTS": T, "JINGBAN_DATA_DIR": str(data)},
                         port_offset=embedded_port_offset())
    await p.start()
    async with httpx.AsyncClient(timeout=30) as http:
        walk = Walk(p.url, p.tokens, http, T)
        await walk.load_policy()
        await walk.import_experts()
    yield p
    await p.stop()


async def test_the_demo_applicant_files_for_themself_and_is_found_insured(platform: EmbeddedPlatform) -> None:
    person = demo_subject(T, "applicant")
    assert person == demo_person_id(T)
    intake = platform.url("intake")
    async with httpx.AsyncClient(timeout=30) as http:
        r = await http.post(f"{intake}/v1/applications", files=application_form(person, "HTN"),
                            headers=auth(T, "applicant", person))
        assert r.status_code == 201, r.text
        application = r.json()
        assert application["person_id"] == person and application["status"] == "submitted"
        mine = (await http.get(f"{intake}/v1/applications", headers=auth(T, "applicant", person))).json()
        assert [a["application_id"] for a in mine] == [application["application_id"]]
        # the clerk's review asks the provincial platform (1101): insured, of a county hz-p1 serves → complete
        r = await http.post(f"{intake}/v1/applications/{application['application_id']}/review",
                            headers=auth(T, "clerk"), json={"decision": "complete"})
        assert r.status_code == 200 and r.json()["status"] == "complete", r.text
        # `demo-applicant` (the old subject) could never file: an applicant files only for themself
        r = await http.post(f"{intake}/v1/applications", files=application_form(person, "DM"),
                            headers=auth(T, "applicant", "demo-applicant"))
        assert r.status_code == 422 and r.json()["error"]["field"] == "application.person_id", r.text


async def test_the_demo_expert_finds_the_demos_waiting_case_and_gives_the_opinion(platform: EmbeddedPlatform) -> None:
    expert = demo_expert_id(T)
    assert expert is not None and demo_subject(T, "expert") == expert
    appraisal = platform.url("appraisal")
    async with httpx.AsyncClient(timeout=30) as http:
        walk = Walk(platform.url, platform.tokens, http, T)
        rng = random.Random(14)
        waiting, missed = await awaiting_opinion(walk, filer(walk, rng, COUNTIES[T]), "DM")
        assert expert in waiting["assigned"] and all(expert not in c["assigned"] for c in missed)
        assert waiting["disease_code"] == "HTN" and waiting["specialty"] == "cardiology"
        # the draw was the platform's own: recorded with its seed and candidates, the demo expert among them
        assert expert in waiting["draws"][0]["candidates"] and len(waiting["draws"][0]["candidates"]) > 2
        case = (await http.get(f"{appraisal}/v1/cases/{waiting['case_id']}", headers=auth(T, "reviewer"))).json()
        assert [o["expert_id"] for o in case["opinions"]] == [e for e in waiting["assigned"] if e != expert]

        mine = (await http.get(f"{appraisal}/v1/cases", headers=auth(T, "expert", expert))).json()
        assert waiting["case_id"] in {c["case_id"] for c in mine}
        r = await http.post(f"{appraisal}/v1/cases/{waiting['case_id']}/opinions", headers=auth(T, "expert", expert),
                            json={"approve": True, "comment": "病历支持诊断"})
        assert r.status_code == 201, r.text
        # `demo-expert` (the old subject) is drawn for nothing and sees no case
        assert (await http.get(f"{appraisal}/v1/cases", headers=auth(T, "expert", "demo-expert"))).json() == []
