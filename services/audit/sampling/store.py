"""The sampling room's collections (one database per tenant): `sampling_plans`, `inspection_tasks`, `callbacks`
and `findings` (audit's own, carrying their pending `finding.raised` in `_outbox`, as tasks and call-backs do;
event-borne findings are folded in by the read model).

Personal data at rest (chassis/pii.py): the sampled persons of a plan, a task's and a call-back's person, the
inspectors' notes and a finding's description are sealed; a finding is found by the blind index of its person
(`person_bi`). A call-back's id is derived from the person's pseudonym (`callback_id`), never from the number. The
store seals on the way in and opens on the way out."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from chassis.outbox import guarded_update, with_events
from chassis.pii import Sealed, Sealer, sealer_of
from services.audit.readmodel.domain.readmodel import FINDINGS
from services.audit.readmodel.store import FINDING, person_query
from services.audit.sampling.domain.ids import derived_id

PLANS = "sampling_plans"
TASKS = "inspection_tasks"
CALLBACKS = "callbacks"
OUTBOX = [FINDINGS, TASKS, CALLBACKS]
HIDDEN = {"_outbox": 0, "_outbox_pending": 0}
# What of these documents is personal data (findings: readmodel/store.py `FINDING`, shared with the projection).
PLAN = Sealed(text=("sampled.*.person_id",))
TASK = Sealed(text=("person_id", "notes"))
CALLBACK = Sealed(text=("person_id", "attempts.*.notes"))
ATTEMPT = Sealed(text=("notes",))


class SamplingStore:
    def __init__(self, db: Any) -> None:
        self._db = db

    @property
    def _pii(self) -> Sealer:
        return sealer_of(self._db)

    def callback_id(self, plan_id: str, person_id: str) -> str:
        """The call-back of a plan's person: derived from the plan and the person's pseudonym (the same on every
        retry, and no hash of the identity number anyone could recompute)."""
        return derived_id(plan_id, "callback", self._pii.id_index(person_id))

    async def ensure_indexes(self) -> None:
        for name in OUTBOX:
            await self._db[name].create_index("_outbox_pending")
        await self._db[TASKS].create_index("plan_id")
        await self._db[CALLBACKS].create_index("plan_id")

    # ---- sampling plans and inspection tasks ----

    async def add_plan(self, plan: dict[str, Any], tasks: list[dict[str, Any]]) -> None:
        # The plan is written first and records the whole draw; its tasks are derived from it with ids
        # that derive from the plan, so `heal_tasks` can restore any a crash left out.
        await self._db[PLANS].insert_one(PLAN.seal(self._pii, plan))
        await self.heal_tasks(tasks)

    async def heal_tasks(self, tasks: list[dict[str, Any]]) -> int:
        have = {d["_id"] for d in await self._db[TASKS].find(
            {"_id": {"$in": [t["_id"] for t in tasks]}}, {"_id": 1}).to_list(None)}
        added = 0
        pii = self._pii
        for task in tasks:
            if task["_id"] in have:
                continue
            try:
                await self._db[TASKS].insert_one(TASK.seal(pii, task))
                added += 1
            except DuplicateKeyError:
                pass
        return added

    async def plan(self, plan_id: str) -> dict[str, Any] | None:
        return PLAN.open(self._pii, await self._db[PLANS].find_one({"_id": plan_id}))

    async def plans(self, period: str | None = None) -> list[dict[str, Any]]:
        query = {"period": period} if period else {}
        return PLAN.open_all(self._pii, await self._db[PLANS].find(query).sort("created_at", 1).to_list(None))

    async def tasks(self, plan_id: str, status: str | None = None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {"plan_id": plan_id}
        if status:
            query["status"] = status
        return TASK.open_all(self._pii, await self._db[TASKS].find(query, HIDDEN).sort("_id", 1).to_list(None))

    async def task(self, task_id: str) -> dict[str, Any] | None:
        return TASK.open(self._pii, await self._db[TASKS].find_one({"_id": task_id}, HIDDEN))

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
        return await guarded_update(self._db[TASKS], {"_id": task_id, "status": "open"},
                                    {"$set": TASK.seal(self._pii, changes)}, events)

    # ---- phone call-backs ----

    async def add_callback(self, callback: dict[str, Any]) -> bool:
        try:
            await self._db[CALLBACKS].insert_one(CALLBACK.seal(self._pii, callback))
        except DuplicateKeyError:
            return False
        return True

    async def callback(self, callback_id: str) -> dict[str, Any] | None:
        return CALLBACK.open(self._pii, await self._db[CALLBACKS].find_one({"_id": callback_id}, HIDDEN))

    async def callbacks(self, plan_id: str | None, status: str | None) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if plan_id:
            query["plan_id"] = plan_id
        if status:
            query["status"] = status
        found = await self._db[CALLBACKS].find(query, HIDDEN).sort("_id", 1).to_list(None)
        return CALLBACK.open_all(self._pii, found)

    async def record_callback(self, callback_id: str, attempt: dict[str, Any], changes: dict[str, Any],
                              events: list[dict[str, Any]]) -> bool:
        """One attempt, the resulting status and any finding, atomically, only while the call-back is open."""
        update: dict[str, Any] = {"$set": changes, "$push": {"attempts": ATTEMPT.seal(self._pii, attempt)}}
        return await guarded_update(self._db[CALLBACKS],
                                    {"_id": callback_id, "status": {"$in": ["open", "unreached"]}}, update, events)

    # ---- findings ----

    async def add_finding(self, finding: dict[str, Any], events: list[dict[str, Any]]) -> None:
        await self._db[FINDINGS].insert_one(with_events(FINDING.seal(self._pii, finding), events))

    async def file_finding(self, finding: dict[str, Any]) -> None:
        """File a finding whose event already rides in another document's outbox (a task, a call-back): an
        idempotent upsert, so it does not matter whether this or the event's projection comes first."""
        sealed = FINDING.seal(self._pii, {k: v for k, v in finding.items() if k != "_id"})
        await self._db[FINDINGS].update_one({"_id": finding["_id"]}, {"$set": sealed}, upsert=True)

    async def finding(self, finding_id: str) -> dict[str, Any] | None:
        return FINDING.open(self._pii, await self._db[FINDINGS].find_one({"_id": finding_id}, HIDDEN))

    async def findings(self, person_id: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
        """Findings (of a person: found by blind index, theirs kept), by id."""
        pii = self._pii
        query: dict[str, Any] = {"kind": kind} if kind else {}
        if person_id:
            query.update(person_query(pii, person_id))
        found = FINDING.open_all(pii, await self._db[FINDINGS].find(query, HIDDEN).sort("_id", 1).to_list(None))
        return [f for f in found if not person_id or f.get("person_id") == person_id]
