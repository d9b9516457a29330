"""The sampling room's collections (one database per tenant): `sampling_plans`, `inspection_tasks`, `callbacks`
and `findings` (audit's own, carrying their pending `finding.raised` in `_outbox`, as tasks and call-backs do;
event-borne findings are folded in by the read model)."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update, with_events
from services.audit.readmodel.domain.readmodel import FINDINGS

PLANS = "sampling_plans"
TASKS = "inspection_tasks"
CALLBACKS = "callbacks"
OUTBOX = [FINDINGS, TASKS, CALLBACKS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}


class SamplingStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    async def ensure_indexes(self) -> None:
        for name in OUTBOX:
            await self._db[name].create_index("_outbox_pending")
        await self._db[TASKS].create_index("plan_id")
        await self._db[CALLBACKS].create_index("plan_id")

    # ---- sampling plans and inspection tasks ----

    async def add_plan(self, plan: dict[str, Any], tasks: list[dict[str, Any]]) -> None:
        # The plan is written first and records the whole draw; its tasks are derived from it with ids
        # that derive from the plan, so `heal_tasks` can restore any a crash left out.
        await self._db[PLANS].insert_one(plan)
        await self.heal_tasks(tasks)

    async def heal_tasks(self, tasks: list[dict[str, Any]]) -> int:
        have = {d["_id"] for d in await self._db[TASKS].find(
            {"_id": {"$in": [t["_id"] for t in tasks]}}, {"_id": 1}).to_list(None)}
        added = 0
        for task in tasks:
            if task["_id"] in have:
                continue
            try:
                await self._db[TASKS].insert_one(task)
                added += 1
            except DuplicateKeyError:
                pass
        return added

    async def plan(self, plan_id: str) -> dict[str, Any] | None:
        return await self._db[PLANS].find_one({"_id": plan_id})

    async def plans(self, period: str | None = None) -> list[dict[str, Any]]:
        query = {"period": period} if period else {}
        return await self._db[PLANS].find(query).sort("created_at", 1).to_list(None)

    async def tasks(self, plan_id: str, status: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"plan_id": plan_id}
        if status:
            query["status"] = status
        return await self._db[TASKS].find(query, HIDDEN).sort("_id", 1).to_list(None)

    async def task(self, task_id: str) -> dict[str, Any] | None:
        return await self._db[TASKS].find_one({"_id": task_id}, HIDDEN)

    async def checked_by_disease(self, plan_ids: list[str]) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        docs = await self._db[TASKS].find({"plan_id": {"$in": plan_ids}, "status": "checked"},
                                          {"plan_id": 1, "disease_code": 1}).to_list(None)
        for d in docs:
            per = out.setdefault(d["plan_id"], {})
            per[d["disease_code"]] = per.get(d["disease_code"], 0) + 1
        return out

    async def close_task(self, task_id: str, changes: dict[str, Any], events: list[dict[str, Any]]) -> bool:
        """The result and the finding it raises in one atomic write, only while the task is open."""
        return await guarded_update(self._db[TASKS], {"_id": task_id, "status": "open"}, {"$set": changes}, events)

    # ---- phone call-backs ----

    async def add_callback(self, callback: dict[str, Any]) -> bool:
        try:
            await self._db[CALLBACKS].insert_one(callback)
        except DuplicateKeyError:
            return False
        return True

    async def callback(self, callback_id: str) -> dict[str, Any] | None:
        return await self._db[CALLBACKS].find_one({"_id": callback_id}, HIDDEN)

    async def callbacks(self, plan_id: str | None, status: str | None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if plan_id:
            query["plan_id"] = plan_id
        if status:
            query["status"] = status
        return await self._db[CALLBACKS].find(query, HIDDEN).sort("_id", 1).to_list(None)

    async def record_callback(self, callback_id: str, attempt: dict[str, Any], changes: dict[str, Any],
                              events: list[dict[str, Any]]) -> bool:
        """One attempt, the resulting status and any finding, atomically, only while the call-back is open."""
        update: dict[str, Any] = {"$set": changes, "$push": {"attempts": attempt}}
        return await guarded_update(self._db[CALLBACKS],
                                    {"_id": callback_id, "status": {"$in": ["open", "unreached"]}}, update, events)

    # ---- findings ----

    async def add_finding(self, finding: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[FINDINGS].insert_one(with_events(finding, events))

    async def file_finding(self, finding: dict[str, Any]) -> None:
        """File a finding whose event already rides in another document's outbox (a task, a call-back): an
        idempotent upsert, so it does not matter whether this or the event's projection comes first."""
        await self._db[FINDINGS].update_one({"_id": finding["_id"]},
                                            {"$set": {k: v for k, v in finding.items() if k != "_id"}}, upsert=True)

    async def finding(self, finding_id: str) -> dict[str, Any] | None:
        return await self._db[FINDINGS].find_one({"_id": finding_id}, HIDDEN)

    async def findings(self, person_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        query = {k: v for k, v in (("person_id", person_id), ("kind", kind)) if v}
        return await self._db[FINDINGS].find(query, HIDDEN).sort("_id", 1).to_list(None)
