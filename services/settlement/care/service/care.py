"""Long-term care in settlement (护理服务管理, program wz-ltc): who is covered (from disability assessment's
conclusions, death notices and status surveys), which institutions are designated (from the institution registry),
care plans (护理计划) and family-care agreements (亲情居家护理服务协议); the uploads of service records, the monthly
statements and the assessment fees are in records.py, statements.py and fees.py, on the same book and locks.

Writes: every fact about a person, an institution or a plan is an insert into an insert-only log (store.py), then the
book (book.py) is told. A plan and its `care_plan.approved` are one insert."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from chassis.calendar import today_cn
from chassis.errors import Conflict, InvalidInput, NotFound
from chassis.events import new_event
from chassis.locks import KeyedLocks
from chassis.programs import Program, program_of_tenant
from chassis.telemetry import current_carrier
from contracts.v1 import events_pb2
from services.settlement.care.domain.benefits import BenefitLevels, load_levels
from services.settlement.care.domain.cover import PersonCover
from services.settlement.care.domain.fees import CityLots, load_city_lots
from services.settlement.care.domain.plans import Catalogue, Plan, catalogue_mode, check_plan, load_catalogue
from services.settlement.care.service.book import CareBook, PlanEntry, TenantBook, plan_entries
from services.settlement.care.store import CareStore
from services.settlement.fund.service.account import Fund

PROGRAM = "wz-ltc"
FAMILY_MODE = "family"


def serves(tenant: str) -> Program:
    """Long-term care exists only for the carriers of wz-ltc; elsewhere it is 404."""
    program = program_of_tenant(tenant)
    if program is None or program.code != PROGRAM:
        raise NotFound("long-term care insurance is not run by this tenant")
    return program


@cache
def catalogue_of(file: str) -> Catalogue:
    return load_catalogue(file=file)


@cache
def levels_of(file: str) -> BenefitLevels:
    return load_levels(file)


@cache
def city_lots() -> CityLots:
    return load_city_lots()


def lot_of(tenant: str) -> str:
    """The lot (片区) a tenant carries, from lots.yaml."""
    for code, t in city_lots().tenants.items():
        if t == tenant:
            return code
    raise NotFound(f"tenant {tenant} carries no lot of {PROGRAM}")


@dataclass(frozen=True)
class PlanIn:
    """A care plan as the door read it."""

    person_id: str
    mode: str                                 # institutional | home_visit | family
    institution_id: str                       # "" for family care
    valid_from: date
    valid_to: date
    items: tuple[tuple[str, int], ...]        # (code, per_month) in the order sent
    agreement: dict[str, str] | None          # family care: {signed_on, caregiver_id, sha256}


def plan_view(plan: PlanEntry, book: TenantBook, catalogue: Catalogue | None = None) -> dict[str, Any]:
    period = book.periods.get(plan.plan_id)
    names = {c: (catalogue.items[c].name if catalogue and c in catalogue.items else c) for c in plan.items}
    return {"plan_id": plan.plan_id, "person_id": plan.person_id, "mode": plan.mode,
            "institution_id": plan.institution_id or None, "grade": plan.grade,
            "valid_from": plan.valid_from.isoformat(), "valid_to": plan.valid_to.isoformat(),
            "items": [{"code": c, "name": names[c], "per_month": n} for c, n in plan.items.items()],
            "catalogue_version": plan.catalogue_version, "agreement": plan.agreement,
            "in_force": None if period is None else {"from": period[0].isoformat(), "to": period[1].isoformat()},
            "status": "replaced" if period is None else "approved",
            "approved_at": plan.approved_at, "approved_by": plan.approved_by}


def person_view(person_id: str, cover: PersonCover, book: TenantBook, today: date) -> dict[str, Any]:
    current = cover.in_force(today)
    return {"person_id": person_id, "covered_today": cover.covered_on(today),
            "grade": None if current is None else current.grade,
            "eligible": None if current is None else current.eligible,
            "died_on": cover.died_on.isoformat() if cover.died_on else None,
            "moved_on": cover.moved_on.isoformat() if cover.moved_on else None,
            "conclusions": [{"assessment_id": c.assessment_id, "concluded_on": c.concluded_on.isoformat(),
                             "grade": c.grade, "eligible": c.eligible, "kind": c.kind, "lot": c.lot,
                             "recheck_due": c.recheck_due.isoformat() if c.recheck_due else None}
                            for c in cover.conclusions],
            "plans": [plan_view(p, book) for p in book.plans_for(person_id)]}


class CareService:
    """The room's use cases on one book per tenant; `db_of(tenant)` is settlement's database of a tenant.
    `single_process`: this process is the tenant's only settlement process (every mode but cluster), so the uploads
    may keep what they read and wrote of an institution's month (records.py `KnownMonths`)."""

    def __init__(self, db_of: Callable[[str], Any], kick: Callable[[], None], ledger: Fund,
                 single_process: bool = True) -> None:
        from services.settlement.care.service.fees import AssessmentFees
        from services.settlement.care.service.records import ServiceRecords
        from services.settlement.care.service.statements import CareStatements

        self._db_of = db_of
        self._stores: dict[str, CareStore] = {}
        self.kick = kick
        self.ledger = ledger
        self.locks = KeyedLocks()
        self.book = CareBook(self.store)
        self.records = ServiceRecords(self, single_process)
        self.statements = CareStatements(self)
        self.fees = AssessmentFees(self)

    def db(self, tenant: str) -> Any:
        """Settlement's database of a (long-term care) tenant, for the rooms this one asks (smart review's holds)."""
        serves(tenant)
        return self._db_of(tenant)

    def store(self, tenant: str) -> CareStore:
        serves(tenant)
        store = self._stores.get(tenant)
        if store is None:
            store = self._stores[tenant] = CareStore(self._db_of(tenant))
        return store

    @staticmethod
    def serves(tenant: str) -> Program:
        return serves(tenant)

    @staticmethod
    def settings(tenant: str) -> dict[str, Any]:
        return dict(serves(tenant).settings.get("ltc") or {})

    def catalogue(self, tenant: str) -> Catalogue:
        return catalogue_of(str(self.settings(tenant).get("catalogue", "care-catalogue-sample.yaml")))

    def levels(self, tenant: str) -> BenefitLevels:
        return levels_of(str(self.settings(tenant).get("benefits", "benefits-sample-2026.yaml")))

    async def start(self, tenants: Sequence[str]) -> None:
        """Indexes and the book of each tenant running the program, read once before serving."""
        for tenant in tenants:
            program = program_of_tenant(tenant)
            if program is None or program.code != PROGRAM:
                continue
            await self.store(tenant).ensure_indexes()
            await self.book.of(tenant)

    # ---- facts about persons and institutions (handlers and the clerk's door) ---------------------------------

    async def concluded(self, tenant: str, source: str, c: dict[str, Any]) -> bool:
        """A disability conclusion (评定结论) begins — or, later, replaces — the person's cover from its date; its
        assessment fee is kept for the month's fee statement. Once per assessment."""
        store = self.store(tenant)
        entry = {"_id": f"concluded:{c['assessment_id']}", "kind": "concluded", "person_id": c["person_id"],
                 "recorded_at": datetime.now(UTC).isoformat(), "source": source,
                 "conclusion": {k: c[k] for k in ("assessment_id", "concluded_on", "grade", "eligible",
                                                  "recheck_due", "lot", "kind")}}
        written = await store.append_person_entry(entry)
        if written:
            await self.book.wrote(tenant, lambda b: b.apply_person(entry))
        if c.get("fee_fen", 0) > 0:
            await store.insert_fee({"_id": c["assessment_id"], "assessment_id": c["assessment_id"],
                                    "person_id": c["person_id"], "concluded_on": c["concluded_on"],
                                    "month": c["concluded_on"][:7], "fee_fen": c["fee_fen"], "lot": c["lot"],
                                    "city_level": c["city_level"], "kind": c["kind"], "source": source,
                                    "recorded_at": datetime.now(UTC).isoformat()})
        return written

    async def surveyed(self, tenant: str, source: str, person_id: str, status: str, on: date) -> bool:
        """A status survey that found the person deceased or moved away ends the cover on its date."""
        if status not in ("deceased", "moved"):
            return False
        entry = {"_id": f"survey:{source}", "kind": "survey", "person_id": person_id, "status": status,
                 "on": on.isoformat(), "recorded_at": datetime.now(UTC).isoformat()}
        if not await self.store(tenant).append_person_entry(entry):
            return False
        await self.book.wrote(tenant, lambda b: b.apply_person(entry))
        return True

    async def died(self, tenant: str, person_id: str, on: date, who: str) -> dict[str, Any]:
        """The clerk's death notice (死亡): the cover ends on that day (a later notice with another date corrects
        it). The same notice twice records it once."""
        store = self.store(tenant)
        await self.person(tenant, person_id)  # 404 for a person nothing is known of: nothing written
        entry = {"_id": f"death:{store.digest_key(person_id)}:{on.isoformat()}", "kind": "death",
                 "person_id": person_id, "on": on.isoformat(), "by": who,
                 "recorded_at": datetime.now(UTC).isoformat()}
        if await store.append_person_entry(entry):
            await self.book.wrote(tenant, lambda b: b.apply_person(entry))
        return await self.person(tenant, person_id)

    async def institution_changed(self, tenant: str, source: str, change: dict[str, Any]) -> bool:
        entry = {"_id": source, **change, "recorded_at": datetime.now(UTC).isoformat()}
        if not await self.store(tenant).append_institution_entry(entry):
            return False
        await self.book.wrote(tenant, lambda b: b.apply_institution(entry))
        return True

    async def person(self, tenant: str, person_id: str) -> dict[str, Any]:
        """The person's cover and plans (404 when nothing is known of them)."""
        book = await self.book.of(tenant)
        if person_id not in book.persons and not book.plans_of.get(person_id):
            raise NotFound("nothing is known of the person in long-term care", "person_id")
        return person_view(person_id, book.person(person_id), book, today_cn())

    # ---- care plans (护理计划) -----------------------------------------------------------------------------------

    def _checked(self, tenant: str, book: TenantBook, catalogue: Catalogue, p: PlanIn) -> dict[str, Any]:
        """A plan checked against the institution's designation, the person's cover and grade on its start and the
        catalogue, as it is stored; refused naming the field (409 `institution_not_designated`, 422 otherwise)."""
        if p.mode != FAMILY_MODE:
            inst = book.institutions.get(p.institution_id)
            if inst is None or not inst.designated_for(p.mode, p.valid_from):
                raise Conflict(f"institution {p.institution_id} is not a designated care institution offering "
                               f"{p.mode} on {p.valid_from.isoformat()}", "institution_id",
                               code="institution_not_designated")
        cover = book.person(p.person_id)
        current = cover.in_force(p.valid_from)
        if current is None or not current.eligible or not cover.covered_on(p.valid_from):
            why = ("has no eligible disability conclusion in force" if current is None or not current.eligible
                   else "is not covered (deceased or moved away)")
            raise InvalidInput(f"the person {why} on {p.valid_from.isoformat()} (cover begins at an eligible "
                               "conclusion)", "person_id", code="person_not_eligible")
        index = {code: i for i, (code, _) in enumerate(p.items)}
        if len(index) != len(p.items):
            raise InvalidInput("an item appears twice in the plan", "items", code="invalid_plan")
        try:
            checked = check_plan(catalogue, Plan(p.person_id, catalogue_mode(p.mode), current.grade, p.valid_from,
                                                 p.valid_to, dict(p.items), p.agreement is not None))
        except InvalidInput as exc:
            raise InvalidInput(exc.message, _plan_field(exc.field, index, "allowed" in exc.params), code=exc.code,
                               params=exc.params) from None
        canonical = json.dumps([p.person_id, p.mode, p.institution_id, p.valid_from.isoformat(),
                                p.valid_to.isoformat(), sorted(p.items), p.agreement], ensure_ascii=False)
        return {"plan_id": "CP-" + self.store(tenant).digest_key(canonical)[:20], "person_id": p.person_id,
                "mode": p.mode, "institution_id": p.institution_id, "grade": current.grade,
                "valid_from": p.valid_from.isoformat(), "valid_to": p.valid_to.isoformat(),
                "items": [{"code": c, "per_month": n} for c, n in p.items],
                "catalogue_version": checked.catalogue_version, "agreement": p.agreement}

    async def approve_plan(self, tenant: str, p: PlanIn, who: str) -> tuple[dict[str, Any], bool]:
        """Check a plan and keep it with `care_plan.approved`. The same plan sent again answers the stored one
        (False)."""
        views, fresh = await self.approve_plans(tenant, [p], who, single=True)
        return views[0], fresh > 0

    async def approve_plans(self, tenant: str, plans: Sequence[PlanIn], who: str, single: bool = False
                            ) -> tuple[list[dict[str, Any]], int]:
        """Several plans at once (an institution's residents): each checked, all refused when one is (422 listing
        every refused plan, `plans[i].<field>`), the new ones kept in ONE insert with their `care_plan.approved`
        (plans sent before answer as stored). Returns the views in the order sent and how many were new."""
        store = self.store(tenant)
        catalogue = self.catalogue(tenant)
        book = await self.book.of(tenant)
        docs: list[dict[str, Any]] = []
        problems: list[dict[str, Any]] = []
        for i, p in enumerate(plans):
            try:
                docs.append(self._checked(tenant, book, catalogue, p))
            except (InvalidInput, Conflict) as exc:
                if single:
                    raise
                problems.append({"field": f"plans[{i}].{exc.field}", "index": i, "code": exc.code,
                                 "message": exc.message})
        if problems:
            first = problems[0]
            raise InvalidInput(f"{len(problems)} of {len(plans)} plan(s) refused; nothing was stored. First: "
                               f"{first['field']} ({first['code']}): {first['message']}", first["field"],
                               fields=problems, code=first["code"])
        # Approvals of the same persons one at a time: their order decides which plan is in force.
        keys = [f"ltc:plan:{tenant}:{store.digest_key(pid)}" for pid in sorted({d["person_id"] for d in docs})]
        async with self.locks.hold(*keys):
            book = await self.book.of(tenant)
            new, seen = [], set()
            for d in docs:
                if d["plan_id"] not in book.plans and d["plan_id"] not in seen:
                    new.append(d)
                    seen.add(d["plan_id"])
            if new:
                now = datetime.now(UTC).isoformat()
                approval_id = new[0]["plan_id"] if len(new) == 1 else "CPB-" + store.digest_key(
                    "|".join(d["plan_id"] for d in new))[:20]
                approval = {"_id": approval_id, "approved_at": now, "approved_by": who, "plans": new}
                events = [new_event("care_plan.approved", tenant, d["person_id"], events_pb2.CarePlanApproved(
                    plan_id=d["plan_id"], person_id=d["person_id"], institution_id=d["institution_id"],
                    mode=d["mode"], grade=d["grade"],
                    items=[events_pb2.CarePlanItem(code=x["code"], per_month=x["per_month"]) for x in d["items"]],
                    valid_from=d["valid_from"], valid_to=d["valid_to"], catalogue_version=d["catalogue_version"]),
                    source="settlement", trace_context=current_carrier()) for d in new]
                if await store.insert_plan_approval(approval, events):
                    entries = plan_entries(approval)

                    def add(b: TenantBook) -> None:
                        for entry in entries:
                            b.add_plan(entry)

                    await self.book.wrote(tenant, add)
                else:  # another process approved the same plans meanwhile: read the book again
                    self.book.forget(tenant)
                    new = []
        if new:
            self.kick()
        book = await self.book.of(tenant)
        return [plan_view(book.plans[d["plan_id"]], book, catalogue) for d in docs], len(new)

    async def plans_of(self, tenant: str, person_id: str, institution: str | None) -> list[dict[str, Any]]:
        book = await self.book.of(tenant)
        catalogue = self.catalogue(tenant)
        return [plan_view(p, book, catalogue) for p in book.plans_for(person_id)
                if institution is None or p.institution_id == institution]

    async def plan(self, tenant: str, plan_id: str, institution: str | None) -> dict[str, Any]:
        book = await self.book.of(tenant)
        plan = book.plans.get(plan_id)
        if plan is None or (institution is not None and plan.institution_id != institution):
            raise NotFound(f"care plan {plan_id} not found", "plan_id")
        return plan_view(plan, book, self.catalogue(tenant))


def _plan_field(field: str | None, index: dict[str, int], frequency: bool) -> str | None:
    """The domain's field (frequencies.<code>, end, agreement_signed, mode) as the door named it: an item's
    `per_month` when its frequency is refused, its `code` when the item itself is."""
    if field is None:
        return None
    if field.startswith("frequencies."):
        code = field.split(".", 1)[1]
        return f"items[{index[code]}].{'per_month' if frequency else 'code'}" if code in index else "items"
    return {"end": "valid_to", "agreement_signed": "agreement", "frequencies": "items"}.get(field, field)


def month_over(month: str, today: date) -> bool:
    year, mon = int(month[:4]), int(month[5:7])
    first_next = date(year + (mon == 12), mon % 12 + 1, 1)
    return today >= first_next


def last_day(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year + (mon == 12), mon % 12 + 1, 1) - timedelta(days=1)
