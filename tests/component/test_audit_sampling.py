"""audit on the embedded platform: the read model fed by published envelopes, sampling plans with their
inspection tasks, phone call-backs and findings; bad input, roles and tenant isolation on every door."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from jingban.embedded import EmbeddedPlatform
from services.audit.sampling.domain.sampling import draw
from tests.conftest import auth, embedded_port_offset, eventually
from tests.unit.audit.builders import build_stored, granted, policy, publish, revoked

DL = [f"61070219600101{i:03d}X" for i in range(10)]
MT = [f"61070219600102{i:03d}X" for i in range(3)]
HTN = [f"61070219600103{i:03d}X" for i in range(5)]


@pytest.fixture(scope="module")
async def platform(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedPlatform]:
    p = EmbeddedPlatform(env={"JINGBAN_DATA_DIR": str(tmp_path_factory.mktemp("data"))},
                         port_offset=embedded_port_offset())
    await p.start()
    events = [build_stored(policy())]
    events += [build_stored(granted(f"dl{i}", pid, "DL", "2025-03-03")) for i, pid in enumerate(DL)]
    events += [build_stored(granted(f"mt{i}", pid, "MT", "2025-04-01")) for i, pid in enumerate(MT)]
    events += [build_stored(granted(f"htn{i}", pid, "HTN", "2025-02-10", "2025-03-01")) for i, pid in enumerate(HTN)]
    # Revoked before June and granted after it: neither is drawn for June.
    events += [build_stored(granted("old", "610702196001019990", "DL", "2024-01-05")),
               build_stored(revoked("old", "610702196001019990", "DL", "2024-01-05", "2025-05-20")),
               build_stored(granted("new", "610702196001019991", "DL", "2025-07-01"))]
    await publish(p.bus, *events)
    yield p
    await p.stop()


@pytest.fixture(scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


def url(platform: EmbeddedPlatform, path: str) -> str:
    return f"{platform.url('audit')}/v1{path}"


@pytest.fixture(scope="module")
async def plan(platform: EmbeddedPlatform, http: httpx.AsyncClient) -> dict:
    async def cases_known() -> dict | None:
        r = await http.get(url(platform, "/cases"), headers=auth("hz-p1", "inspector"))
        return r.json() if r.status_code == 200 and len(r.json()["cases"]) == 20 else None

    cases = (await eventually(cases_known, what="20 cases in audit's read model"))["cases"]
    uncapped = {c["disease_code"]: c["uncapped"] for c in cases}
    assert uncapped == {"DL": True, "MT": True, "HTN": False}
    r = await http.post(url(platform, "/sampling-plans"), headers=auth("hz-p1", "inspector", "insp-1"),
                        json={"period": "2025-06", "seed": "hz-2025-06", "other_ratio": "0.20"})
    assert r.status_code == 201, r.text
    return r.json()


async def test_plan_draws_at_least_70_percent_of_uncapped_cases(plan: dict) -> None:
    strata = {s["disease_code"]: s for s in plan["strata"]}
    assert {k: (s["uncapped"], s["population"], s["required"], len(s["sample"])) for k, s in strata.items()} == {
        "DL": (True, 10, 7, 7), "MT": (True, 3, 3, 3), "HTN": (False, 5, 1, 1)}
    # Reproducible by anyone from the recorded seed and the population.
    assert plan["seed"] == "hz-2025-06" and "sha256(seed|case_id)" in plan["method"]
    assert strata["DL"]["sample"] == draw([f"dl{i}" for i in range(10)], "hz-2025-06", 7)
    assert plan["attainment"]["uncapped"] == {"population": 13, "required": 10, "checked": 0, "attained": False}
    assert plan["uncapped_ratio"] == "0.70" and plan["policy_version"] == "2025.t1"


async def test_same_seed_same_sample_and_population_on_request(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                               plan: dict) -> None:
    r = await http.post(url(platform, "/sampling-plans"), headers=auth("hz-p1", "inspector"),
                        json={"period": "2025-06", "seed": "hz-2025-06", "uncapped_ratio": "0.8"})
    assert r.status_code == 201
    again = {s["disease_code"]: s for s in r.json()["strata"]}
    assert again["MT"]["sample"] == next(s for s in plan["strata"] if s["disease_code"] == "MT")["sample"]
    assert again["DL"]["required"] == 8 and again["HTN"]["required"] == 0
    detail = (await http.get(url(platform, f"/sampling-plans/{plan['plan_id']}"), params={"population": "true"},
                             headers=auth("hz-p1", "supervisor"))).json()
    dl = next(s for s in detail["strata"] if s["disease_code"] == "DL")
    assert dl["population_ids"] == sorted(f"dl{i}" for i in range(10))  # "old" and "new" are not in June


async def test_inspections_count_towards_attainment_and_problems_raise_findings(
        platform: EmbeddedPlatform, http: httpx.AsyncClient, plan: dict) -> None:
    pid = plan["plan_id"]
    tasks = (await http.get(url(platform, f"/sampling-plans/{pid}/tasks"), headers=auth("hz-p1", "inspector"))).json()
    assert len(tasks) == 11 and all(t["status"] == "open" for t in tasks)
    uncapped = [t for t in tasks if t["uncapped"]]
    problem = uncapped[0]
    r = await http.post(url(platform, f"/inspection-tasks/{problem['task_id']}/result"),
                        headers=auth("hz-p1", "inspector", "insp-1"),
                        json={"outcome": "problem", "notes": "dialysis sessions billed twice", "amount": "150.00",
                              "finding_kind": "duplicate_charges"})
    assert r.status_code == 200, r.text
    finding = r.json()["finding"]
    assert finding["amount"] == "150.00" and finding["person_id"] == problem["person_id"]
    for t in uncapped[1:]:
        r = await http.post(url(platform, f"/inspection-tasks/{t['task_id']}/result"),
                            headers=auth("hz-p1", "inspector"), json={"outcome": "compliant"})
        assert r.status_code == 200 and r.json()["finding"] is None
    again = await http.post(url(platform, f"/inspection-tasks/{problem['task_id']}/result"),
                            headers=auth("hz-p1", "inspector"), json={"outcome": "compliant"})
    assert again.status_code == 409
    got = (await http.get(url(platform, f"/sampling-plans/{pid}"), headers=auth("hz-p1", "inspector"))).json()
    rows = {r["disease_code"]: r for r in got["attainment"]["by_disease"]}
    assert (rows["DL"]["checked"], rows["DL"]["attained"], rows["HTN"]["attained"]) == (7, True, False)
    assert got["attainment"]["uncapped"]["attained"] is True

    async def finding_filed() -> dict | None:
        r = await http.get(url(platform, f"/findings/{finding['finding_id']}"), headers=auth("hz-p1", "inspector"))
        return r.json() if r.status_code == 200 else None

    filed = await eventually(finding_filed, what="finding filed")
    assert filed["kind"] == "duplicate_charges" and filed["source"] == "inspection"

    # The finding travelled as finding.raised: into audit's own trail and into the person's file.
    async def in_file() -> dict | None:
        r = await http.get(f"{platform.url('archive')}/v1/persons/{problem['person_id']}/file",
                           headers=auth("hz-p1", "inspector"))
        return r.json() if r.status_code == 200 and "finding" in r.json()["groups"] else None

    person_file = await eventually(in_file, what="finding in the person's file")
    assert person_file["groups"]["finding"][0]["attributes"]["amount"] == "150.00"


async def test_callbacks_and_a_failed_confirmation(platform: EmbeddedPlatform, http: httpx.AsyncClient,
                                                   plan: dict) -> None:
    pid = plan["plan_id"]
    r = await http.post(url(platform, "/callbacks"), headers=auth("hz-p1", "inspector"), json={"plan_id": pid})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["created"] == 11 and created["existing"] == 0
    again = (await http.post(url(platform, "/callbacks"), headers=auth("hz-p1", "inspector"),
                             json={"plan_id": pid})).json()
    assert again["created"] == 0 and again["existing"] == 11  # idempotent per plan and person
    first, second = created["callbacks"][:2]
    cb_url = url(platform, f"/callbacks/{first['callback_id']}/result")
    r = await http.post(cb_url, headers=auth("hz-p1", "inspector"), json={"reached": False, "notes": "no answer"})
    assert r.status_code == 200 and r.json()["status"] == "unreached" and r.json()["finding"] is None
    r = await http.post(cb_url, headers=auth("hz-p1", "inspector"),
                        json={"reached": True, "confirmed_treatment": False, "notes": "never went to that clinic"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "unconfirmed" and len(body["attempts"]) == 2
    assert body["finding"]["kind"] == "callback_unconfirmed" and body["finding"]["person_id"] == first["person_id"]
    assert (await http.post(cb_url, headers=auth("hz-p1", "inspector"),
                            json={"reached": True, "confirmed_treatment": True})).status_code == 409
    r = await http.post(url(platform, f"/callbacks/{second['callback_id']}/result"),
                        headers=auth("hz-p1", "inspector"), json={"reached": True, "confirmed_treatment": True})
    assert r.json()["status"] == "confirmed" and r.json()["finding"] is None
    listed = (await http.get(url(platform, "/callbacks"), params={"plan_id": pid, "status": "unconfirmed"},
                             headers=auth("hz-p1", "ops"))).json()
    assert [c["callback_id"] for c in listed] == [first["callback_id"]]


async def test_manual_findings(platform: EmbeddedPlatform, http: httpx.AsyncClient, plan: dict) -> None:
    r = await http.post(url(platform, "/findings"), headers=auth("hz-p1", "inspector", "insp-2"),
                        json={"kind": "on_site", "person_id": HTN[0], "description": "drugs swapped",
                              "amount": "88.80", "plan_id": plan["plan_id"]})
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == "88.80" and r.json()["source"] == "manual"
    listed = (await http.get(url(platform, "/findings"), params={"person_id": HTN[0]},
                             headers=auth("hz-p1", "supervisor"))).json()
    assert [f["finding_id"] for f in listed] == [r.json()["finding_id"]]

    async def trail_has_it() -> bool:
        entries = (await http.get(url(platform, "/trail"), params={"business_key": HTN[0]},
                                  headers=auth("hz-p1", "inspector"))).json()["entries"]
        return any(e["type"] == "finding.raised" for e in entries)

    await eventually(trail_has_it, what="finding.raised in the trail")
    verify = (await http.get(url(platform, "/trail/verify"), headers=auth("hz-p1", "inspector"))).json()
    assert verify["valid"] is True


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/sampling-plans", {"period": "2025-13"}, "period"),
    ("/sampling-plans", {"period": "2025-06", "uncapped_ratio": "0.5"}, "uncapped_ratio"),
    ("/sampling-plans", {"period": "2025-06", "other_ratio": 0.2}, "other_ratio"),
    ("/sampling-plans", {"period": "2025-06", "other_ratio": "1.5"}, "other_ratio"),
    ("/sampling-plans", {"period": "2025-06", "seed": "has spaces"}, "seed"),
    ("/sampling-plans", {}, "period"),
    ("/findings", {"kind": "on_site", "person_id": "123", "description": "x"}, "person_id"),
    ("/findings", {"kind": "On Site", "person_id": DL[0], "description": "x"}, "kind"),
    ("/findings", {"kind": "on_site", "person_id": DL[0], "description": "x", "amount": "1.234"}, "amount"),
    ("/findings", {"kind": "on_site", "person_id": DL[0], "description": "x", "amount": "-5.00"}, "amount"),
    ("/findings", {"kind": "on_site", "person_id": DL[0], "description": "x", "amount": 5.5}, "amount"),
    ("/findings", {"kind": "on_site", "person_id": DL[0], "description": "x", "plan_id": "nope"}, "plan_id"),
    ("/findings", {"kind": "on_site", "person_id": DL[0], "description": ""}, "description"),
])
async def test_bad_input_is_refused_precisely(platform: EmbeddedPlatform, http: httpx.AsyncClient, plan: dict,
                                              path: str, body: dict, field: str) -> None:
    r = await http.post(url(platform, path), headers=auth("hz-p1", "inspector"), json=body)
    assert r.status_code == 422, r.text
    assert field in [f["field"] for f in r.json()["error"]["fields"]], r.text


async def test_bad_results_and_callbacks(platform: EmbeddedPlatform, http: httpx.AsyncClient, plan: dict) -> None:
    pid = plan["plan_id"]
    r = await http.post(url(platform, "/callbacks"), headers=auth("hz-p1", "inspector"),
                        json={"plan_id": pid, "person_ids": [DL[0], "610702199901010000"]})
    sampled = {s for st in plan["strata"] for s in st["sample"]}
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "person_ids"
    assert "610702********0000" in r.json()["error"]["message"] and sampled  # answers mask identity numbers
    callbacks = (await http.get(url(platform, "/callbacks"), params={"plan_id": pid, "status": "open"},
                                headers=auth("hz-p1", "inspector"))).json()
    cb = url(platform, f"/callbacks/{callbacks[0]['callback_id']}/result")
    for body, field in (({"reached": True}, "confirmed_treatment"),
                        ({"reached": False, "confirmed_treatment": True}, "confirmed_treatment"),
                        ({"confirmed_treatment": True}, "reached")):
        r = await http.post(cb, headers=auth("hz-p1", "inspector"), json=body)
        assert r.status_code == 422 and field in [f["field"] for f in r.json()["error"]["fields"]], r.text
    tasks = (await http.get(url(platform, f"/sampling-plans/{pid}/tasks"), params={"status": "open"},
                            headers=auth("hz-p1", "inspector"))).json()
    r = await http.post(url(platform, f"/inspection-tasks/{tasks[0]['task_id']}/result"),
                        headers=auth("hz-p1", "inspector"), json={"outcome": "problem"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "notes"
    r = await http.post(url(platform, f"/inspection-tasks/{tasks[0]['task_id']}/result"),
                        headers=auth("hz-p1", "inspector"), json={"outcome": "fine"})
    assert r.status_code == 422 and r.json()["error"]["fields"][0]["field"] == "outcome"


async def test_roles(platform: EmbeddedPlatform, http: httpx.AsyncClient, plan: dict) -> None:
    body = {"period": "2025-06"}
    assert (await http.post(url(platform, "/sampling-plans"), json=body)).status_code == 401
    assert (await http.post(url(platform, "/sampling-plans"), json=body, headers=auth("hz-p1", "clerk"))
            ).status_code == 403
    assert (await http.post(url(platform, "/findings"), headers=auth("hz-p1", "supervisor"),
                            json={"kind": "on_site", "person_id": DL[0], "description": "x"})).status_code == 403
    assert (await http.get(url(platform, "/findings"), headers=auth("hz-p1", "expert"))).status_code == 403
    assert (await http.get(url(platform, f"/sampling-plans/{plan['plan_id']}"), headers=auth("hz-p1", "applicant"))
            ).status_code == 403


async def test_another_tenant_sees_nothing(platform: EmbeddedPlatform, http: httpx.AsyncClient, plan: dict) -> None:
    pid = plan["plan_id"]
    tasks = (await http.get(url(platform, f"/sampling-plans/{pid}/tasks"), headers=auth("hz-p1", "inspector"))).json()
    callbacks = (await http.get(url(platform, "/callbacks"), params={"plan_id": pid},
                                headers=auth("hz-p1", "inspector"))).json()
    findings = (await http.get(url(platform, "/findings"), headers=auth("hz-p1", "inspector"))).json()
    open_task = next(t for t in tasks if t["status"] == "open")
    assert callbacks and findings
    other = auth("hz-p2", "inspector")

    async def same_404(path: str, missing: str, method: str = "GET", body: dict | None = None) -> None:
        theirs = await http.request(method, url(platform, path), headers=other, json=body)
        none = await http.request(method, url(platform, path.replace(path.split("/")[2], missing)), headers=other,
                                  json=body)
        assert theirs.status_code == none.status_code == 404, (path, theirs.text)
        key = path.split("/")[2]
        assert theirs.json()["error"]["message"].replace(key, "X") == none.json()["error"]["message"].replace(
            missing, "X")  # no hint that it exists elsewhere

    await same_404(f"/sampling-plans/{pid}", "no-such-plan")
    await same_404(f"/sampling-plans/{pid}/tasks", "no-such-plan")
    await same_404(f"/inspection-tasks/{open_task['task_id']}/result", "no-such-task", "POST",
                   {"outcome": "compliant"})
    await same_404(f"/callbacks/{callbacks[-1]['callback_id']}", "no-such-callback")
    await same_404(f"/callbacks/{callbacks[-1]['callback_id']}/result", "no-such-callback", "POST",
                   {"reached": False})
    await same_404(f"/findings/{findings[0]['finding_id']}", "no-such-finding")
    r = await http.post(url(platform, "/callbacks"), headers=other, json={"plan_id": pid})
    assert r.status_code == 404
    for path in ("/cases", "/sampling-plans", "/callbacks", "/findings"):
        r = await http.get(url(platform, path), headers=other)
        assert r.status_code == 200 and r.json() in ([], {"policy_version": None, "cases": []}), (path, r.text)
    # hz-p2 has no policy table and no cases: it cannot draw from hz-p1's.
    r = await http.post(url(platform, "/sampling-plans"), headers=other, json={"period": "2025-06"})
    assert r.status_code == 409
    # The task left open in hz-p1 is still open: hz-p2's attempt changed nothing.
    still_open = (await http.get(url(platform, f"/sampling-plans/{pid}/tasks"), params={"status": "open"},
                                 headers=auth("hz-p1", "inspector"))).json()
    assert open_task["task_id"] in [t["task_id"] for t in still_open]
    # Nothing of hz-p1's reached any hz-p2 collection of audit.
    db = platform.store.database("audit", "hz-p2")
    for name in await db.list_collection_names():
        assert await db[name].count_documents({"person_id": {"$in": DL + MT + HTN}}) == 0, name
