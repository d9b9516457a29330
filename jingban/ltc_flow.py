"""The Wenzhou long-term care chain (温州长期护理保险) walked through the platform's own HTTP doors, the way a lot's
carrier, its assessors, its designated institutions and the agency use them: one method per step, each answering the
door's JSON (a FlowError on any other status), the waits event-driven (polled with a deadline, never slept), and the
bodies built by module-level helpers from the program's own data (the scale, the catalogue, the lots' districts).

    walk = LtcWalk(url, tokens, http, "wz-b")
    await walk.import_assessors(assessors_csv("wz-b"))
    await walk.import_institutions([designated("WZB-C001", "330303", "2025-01-01")])
    app = await walk.apply(person, "龙湾区")                      # submitted
    await walk.screen(app["application_id"], "accept")           # accepted → appraisal draws a pair
    done = await walk.assess(person, app["application_id"], severe_scores())
    await walk.person(person)                                    # settlement knows the cover
    plan = await walk.plan("WZB-C001", person, plan_items(done["conclusion"]["grade"]), "2026-12-01", "2027-11-30")

The demo (jingban/demo.py `seed_ltc`), the end-to-end test and the role matrix's seeding build on these."""

from __future__ import annotations

import calendar
import json
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

import httpx
import yaml

from chassis.calendar import today_cn
from chassis.programs import PROGRAMS_DIR, Program, load_program
from jingban.flow import PDF, PNG, FlowError, Walk
from services.appraisal.disability.domain.scale import Scale, grade, load_scale
from services.settlement.care.domain.plans import Catalogue, catalogue_mode, load_catalogue

LTC = "wz-ltc"
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + b"\x00" * 60   # an ID3 tag, then a frame
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x01" * 40
# A patrol team (巡查组): two inspectors, one nursing, each with a college degree or above.
TEAM = ({"inspector_id": "insp-nurse-1", "background": "nursing", "degree": "college"},
        {"inspector_id": "insp-2", "background": "other", "degree": "bachelor"})
EXPERTS = ("EXP-01", "EXP-02", "EXP-03")   # an institution's expert review panel (专家评审, three at least)

# ---- identities and places --------------------------------------------------------------------------------------

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def resident_id(division: str, born: date, sequence: int) -> str:
    """An 18-character resident identity number (公民身份号码) with its check digit (GB 11643)."""
    body = f"{division}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def program() -> Program:
    return load_program(LTC)


@cache
def _lots() -> dict[str, Any]:
    return yaml.safe_load((PROGRAMS_DIR / LTC / "lots.yaml").read_text(encoding="utf-8"))


def lot_letter(tenant: str) -> str:
    """The lot (片区 A–E) a tenant carries (lots.yaml)."""
    for letter, lot in _lots()["lots"].items():
        if lot["tenant"] == tenant:
            return str(letter)
    raise FlowError(f"tenant {tenant} carries no lot of {LTC}")


def lot_divisions(tenant: str) -> list[str]:
    """The division codes (区划代码) of the lot's districts, as program.yaml routes them."""
    return sorted(code for code, t in program().counties.items() if t == tenant)


DISTRICT_NAMES = {"330302": "鹿城区", "330324": "永嘉县", "330303": "龙湾区", "330326": "平阳县", "330304": "瓯海区",
                  "330327": "苍南县", "330305": "洞头区", "330382": "乐清市", "330383": "龙港市", "330381": "瑞安市",
                  "330328": "文成县", "330329": "泰顺县"}
CITY_LEVEL = "市本级"


def district_name(division: str) -> str:
    """The district's name as an application gives it (lots.yaml), from its division code; 市本级 for the city's."""
    return CITY_LEVEL if division == program().division else DISTRICT_NAMES[division]


def city_lots() -> list[str]:
    return [str(x) for x in _lots()["city_level"]["lots"]]


def person_in(rng: random.Random, division: str, born_from: int = 1932, born_to: int = 1962) -> str:
    """A person registered in a district, born in the years given."""
    born = date(born_from, 1, 1) + timedelta(days=rng.randrange(0, 365 * (born_to - born_from)))
    return resident_id(division, born, rng.randrange(1, 1000))


def city_person(rng: random.Random, tenant: str, born_from: int = 1932, born_to: int = 1962) -> str | None:
    """A person insured at city level (市本级) whom the sequence-code rule gives to the tenant's lot; None when the
    lot takes no city-level persons (D, E)."""
    lots = city_lots()
    letter = lot_letter(tenant)
    if letter not in lots:
        return None
    born = date(born_from, 1, 1) + timedelta(days=rng.randrange(0, 365 * (born_to - born_from)))
    sequence = rng.randrange(0, 333) * len(lots) + lots.index(letter)
    return resident_id(program().division, born, sequence or len(lots))


# ---- bodies from the program's data ------------------------------------------------------------------------------


@cache
def sample_scale() -> Scale:
    return load_scale(LTC, str(program().setting("ltc", "assessment")))


def _indicator_scores(scale: Scale, code: str, level: int) -> dict[str, int]:
    """Item scores of one indicator whose sum falls in `level`: the highest sum of the level the items can make
    (the mildest case of it), each item scored as high as the sum left allows."""
    indicator = scale.indicators[code]
    top = indicator.bands[0] if level == 0 else indicator.bands[level - 1] - 1
    for total in range(top, indicator.bands[level] - 1, -1):
        left, out = total, {}
        for item, (_, allowed) in indicator.items.items():
            pick = max(s for s in allowed if s <= left) if any(s <= left for s in allowed) else allowed[0]
            out[item] = pick
            left -= pick
        if left == 0 and indicator.level(sum(out.values())) == level:
            return out
    raise FlowError(f"no item scores of {code} give level {level} in scale {scale.version}")


def scores_for_grade(target: int, scale: Scale | None = None) -> dict[str, int]:
    """Item scores (`{item: score}` for every item, as the assessors send them) that the scale grades `target`
    (0–5): the worst daily-living level that reaches it, with the mildest other levels; checked with the domain's
    own grading."""
    scale = scale or sample_scale()
    for adl in range(3, -1, -1):
        for other in range(0, 4):
            if scale.combination[adl][other] != target:
                continue
            by_indicator = {"adl": _indicator_scores(scale, "adl", adl),
                            "cognition": _indicator_scores(scale, "cognition", other),
                            "perception": _indicator_scores(scale, "perception", other)}
            if grade(scale, by_indicator).grade == target:
                return {item: s for scores in by_indicator.values() for item, s in scores.items()}
    raise FlowError(f"scale {scale.version} has no combination giving grade {target}")


def severe_scores(target: int = 4) -> dict[str, int]:
    """A severe grade (重度失能 I–III: 3–5 in the sample scale), covered by the insurance."""
    if target < sample_scale().eligible_from_grade:
        raise FlowError(f"grade {target} is not severe")
    return scores_for_grade(target)


def mild_scores(target: int = 1) -> dict[str, int]:
    """A grade the insurance does not cover (轻度 1 or 中度 2)."""
    if target >= sample_scale().eligible_from_grade:
        raise FlowError(f"grade {target} is severe")
    return scores_for_grade(target)


@cache
def catalogue() -> Catalogue:
    return load_catalogue(file=str(program().setting("ltc", "catalogue")))


DAILY_ITEMS = ("basic_care", "family_care_day")   # a day's care: once a day at most


def plan_items(grade_: int, mode: str = "home_visit", visits: int = 4) -> list[dict[str, Any]]:
    """A care plan's items (护理计划) for a grade and mode from the catalogue: institutional care's day items every
    day of the month, home visits' items `visits` times a month (never more than the catalogue allows for the
    grade), family care's allowance day every day."""
    cat, wanted = catalogue(), catalogue_mode(mode)
    out = []
    for code, item in cat.items.items():
        allowed = item.max_per_month.get(grade_)
        if wanted not in item.modes or not allowed:
            continue
        if code in DAILY_ITEMS:
            if mode == "home_visit":
                continue   # a visit is not a day of care
            out.append({"code": code, "per_month": min(allowed, 31)})
        elif mode != "family":
            out.append({"code": code, "per_month": min(allowed, visits)})
    return out


def month_days(month: str) -> list[date]:
    year, mon = int(month[:4]), int(month[5:7])
    return [date(year, mon, d) for d in range(1, calendar.monthrange(year, mon)[1] + 1)]


def month_of_records(person_id: str, items: Sequence[Mapping[str, Any]], month: str, caregiver: str, slot: int = 0,
                     prefix: str = "R", days: Iterable[date] | None = None, minutes: int = 50,
                     evidence: bool = True) -> list[dict[str, Any]]:
    """A month of service records (护理服务记录) for one person under a plan's items: each item its planned times a
    month spread evenly over the days given (the month's, by default), the items due on a day in one record of the
    caregiver's `slot` (08:00 + slot hours, `minutes` long) — so persons given distinct (caregiver, slot) pairs never
    overlap. Record ids `<prefix>-<dd>`: give each person of the institution's month its own prefix (settlement takes
    a record id as the institution's own within its month; audit's supervision keys a service by institution, month
    and record id, so two institutions may both send `P0-01`)."""
    pool = [d for d in (days if days is not None else month_days(month)) if f"{d:%Y-%m}" == month]
    if not pool:
        return []
    due: dict[date, list[str]] = {}
    for item in items:
        times = min(int(item["per_month"]), len(pool))
        for k in range(times):
            due.setdefault(pool[k * len(pool) // times], []).append(str(item["code"]))
    start = 8 * 60 + slot * 60
    if start + minutes > 24 * 60:
        raise FlowError(f"slot {slot} does not fit in a day")
    begin, end = f"{start // 60:02d}:{start % 60:02d}", f"{(start + minutes) // 60:02d}:{(start + minutes) % 60:02d}"
    out = []
    for day in sorted(due):
        record: dict[str, Any] = {"record_id": f"{prefix}-{day:%d}", "person_id": person_id,
                                  "caregiver_id": caregiver, "date": day.isoformat(), "start": begin, "end": end,
                                  "items": due[day]}
        if evidence:
            record["evidence"] = [{"kind": "photo", "sha256": _digest(f"{prefix}{day}")}]
        out.append(record)
    return out


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


def designated(institution_id: str, division: str, valid_from: str, valid_to: str | None = None,
               name: str | None = None, modes: Sequence[str] = ("institutional", "home_visit"), beds: int = 80,
               ) -> dict[str, Any]:
    """An institution designated before the platform (迁移导入) with its agreement term (three years by default)."""
    start = date.fromisoformat(valid_from)
    end = valid_to or (start.replace(year=start.year + 3) - timedelta(days=1)).isoformat()
    return {**particulars(institution_id, division, name, modes, beds), "agreement": {"valid_from": valid_from,
                                                                                     "valid_to": end}}


def particulars(institution_id: str, division: str, name: str | None = None,
                modes: Sequence[str] = ("institutional", "home_visit"), beds: int = 80,
                contact: tuple[str, str] = ("林海燕", "13857700001")) -> dict[str, Any]:
    """A care institution's particulars (机构基本信息) as it applies."""
    return {"institution_id": institution_id, "kind": "care", "name": name or f"{district_name(division)}护理院",
            "district": division, "modes": list(modes), "beds": beds,
            "staff": {"nurses": max(beds // 10, 2), "caregivers": max(beds // 3, 4), "doctors": 1},
            "contact": {"name": contact[0], "phone": contact[1]}}


def assessors_csv(rows: Iterable[Sequence[str]]) -> str:
    """The assessor pool (评定人员库) as the import takes it: (assessor_id, name, background, institution_id,
    degree) rows."""
    return "assessor_id,name,background,institution_id,degree\n" + "".join(",".join(r) + "\n" for r in rows)


def quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def quarter_end(quarter: str) -> date:
    year, q = int(quarter[:4]), int(quarter[-1])
    return date(year, 3 * q, calendar.monthrange(year, 3 * q)[1])


# ---- the walk ----------------------------------------------------------------------------------------------------


def care_decision(hit: dict[str, Any]) -> tuple[str, str]:
    """The walk's reviewer: a care service recorded twice is refused (拒付), anything else found in order."""
    if hit["rule"] == "duplicate_charge":
        return "confirm", "重复记录的护理服务，拒付"
    return "dismiss", "核实无误"


class LtcWalk(Walk):
    """A lot's carrier (the walk's tenant) and everyone it works with, through the platform's doors."""

    def agency(self) -> dict[str, str]:
        """The agency's supervisor (医保局, program claim wz-ltc) with a token of the walk's tenant."""
        return self.auth("supervisor", "agency", LTC)

    # ---- the assessor pool and the institution registry (appraisal) -------------------------------------------

    async def import_assessors(self, csv: str) -> dict[str, Any]:
        """评定人员库: `POST /v1/ltc/assessors/import` (clerk) → {imported, active, medical_or_nursing,
        assessments_drawn, assessments_waiting}."""
        return await self._post("appraisal", "/v1/ltc/assessors/import",
                                {**self.auth("clerk", "clerk-1"), "content-type": "text/csv"}, content=csv.encode())

    async def import_institutions(self, institutions: list[dict[str, Any]]) -> dict[str, Any]:
        """迁移导入 of designated institutions (`designated(...)` bodies): `POST /v1/institutions/import` (ops)."""
        return await self._post("appraisal", "/v1/institutions/import", self.auth("ops", "ops-1"), 200, 201,
                                json={"institutions": institutions})

    async def apply_institution(self, body: dict[str, Any], role: str = "institution") -> dict[str, Any]:
        """申请受理: the institution (its id the token's subject) or a clerk applies, with its licence and floor plan
        (`POST /v1/institutions`, multipart)."""
        subject = body["institution_id"] if role == "institution" else "clerk-1"
        files = {"institution": (None, json.dumps(body, ensure_ascii=False)),
                 "licence": ("licence.png", PNG, "image/png"), "floor_plan": ("floor-plan.pdf", PDF,
                                                                              "application/pdf")}
        return await self._post("appraisal", "/v1/institutions", self.auth(role, subject), 201, files=files)

    async def institution_step(self, institution_id: str, step: str, outcome: str = "pass", note: str = "",
                               experts: Sequence[str] = EXPERTS, evidence: bool = True) -> dict[str, Any]:
        """A review step: 资料审核 `documents_reviewed` (a clerk), 现场验收 `accepted_on_site` (a reviewer, with a site
        photo), 专家评审 `expert_reviewed` (a reviewer, the panel named)."""
        body: dict[str, Any] = {"step": step, "outcome": outcome, "note": note}
        if step == "expert_reviewed":
            body["experts"] = list(experts)
        path = f"/v1/institutions/{institution_id}/steps"
        if step == "documents_reviewed":
            return await self._post("appraisal", path, self.auth("clerk", "clerk-1"), 200, json=body)
        if step == "accepted_on_site" and evidence:
            files = {"step": (None, json.dumps(body, ensure_ascii=False)),
                     "evidence": ("site.jpg", JPEG, "image/jpeg")}
            return await self._post("appraisal", path, self.auth("reviewer", "reviewer-1"), 200, files=files)
        return await self._post("appraisal", path, self.auth("reviewer", "reviewer-1"), 200, json=body)

    async def sign_agreement(self, institution_id: str, valid_from: str, valid_to: str) -> dict[str, Any]:
        """签订协议 (reviewer): designated for the term."""
        return await self._post("appraisal", f"/v1/institutions/{institution_id}/agreement",
                                self.auth("reviewer", "reviewer-1"), 200,
                                json={"valid_from": valid_from, "valid_to": valid_to})

    async def register_institution(self, body: dict[str, Any], valid_from: str, valid_to: str,
                                   steps: Sequence[str] = ("documents_reviewed", "accepted_on_site",
                                                           "expert_reviewed"), sign: bool = True) -> dict[str, Any]:
        """The whole chain: application → the steps given → agreement (unless `sign` is False: still in review)."""
        out = await self.apply_institution(body)
        for step in steps:
            out = await self.institution_step(body["institution_id"], step)
        if sign:
            out = await self.sign_agreement(body["institution_id"], valid_from, valid_to)
        return out

    async def interview(self, institution_id: str, held_on: str, violations: Sequence[str],
                        outcome: str = "rectification", rectify_by: str | None = None,
                        attendees: Sequence[str] = ("机构负责人", "护理部主任", "经办机构稽核员"), note: str = "",
                        minutes: bytes = PDF) -> dict[str, Any]:
        """违规约谈 (inspector) with its minutes (约谈记录, a PDF): `POST /v1/institutions/{id}/interviews`."""
        body = {"held_on": held_on, "attendees": list(attendees), "violations": list(violations), "outcome": outcome,
                "rectify_by": rectify_by, "note": note}
        files = {"interview": (None, json.dumps({k: v for k, v in body.items() if v is not None},
                                                ensure_ascii=False)),
                 "minutes": ("约谈记录.pdf", minutes, "application/pdf")}
        return await self._post("appraisal", f"/v1/institutions/{institution_id}/interviews",
                                self.auth("inspector", "inspector-1"), 201, files=files)

    async def institution_file(self, institution_id: str) -> dict[str, Any]:
        """一机构一档 (clerk)."""
        return await self._get("appraisal", f"/v1/institutions/{institution_id}/file", self.auth("clerk", "clerk-1"))

    # ---- applications and screening (intake) --------------------------------------------------------------------

    async def apply(self, person_id: str, district: str, basis: str = "illness", insutype: str = "310",
                    disabled_since: str | None = None, documents: Sequence[str] | None = None,
                    channel: str = "window", role: str = "clerk", care_institution_id: str | None = None,
                    phone: str | None = "13905770000", agent: dict[str, str] | None = None) -> dict[str, Any]:
        """失能等级评定申请 (`POST /v1/ltc/applications`, multipart): the person on a phone (role applicant, channel
        online) or a clerk at the window (for the person, the family or an agent). `documents`: the kinds handed in
        (default what the basis needs: the ID card, and the medical records on an illness basis)."""
        if basis == "illness" and disabled_since is None:
            raise FlowError("an illness basis says since when the person is disabled")
        body = {"person_id": person_id, "district": district, "channel": channel, "basis": basis,
                "insutype": insutype, "disabled_since": disabled_since, "care_institution_id": care_institution_id,
                "phone": phone, "agent": agent}
        kinds = documents if documents is not None else (
            ("id_card", "medical_records") if basis == "illness" else ("id_card",)) + (
            ("agent_authorization",) if channel == "agent" else ())
        files: dict[str, Any] = {"application": (None, json.dumps({k: v for k, v in body.items() if v is not None},
                                                                  ensure_ascii=False))}
        for kind in kinds:
            files[kind] = (f"{kind}.pdf", PDF, "application/pdf") if kind == "medical_records" else (
                f"{kind}.png", PNG, "image/png")
        subject = person_id if role == "applicant" else "clerk-1"
        return await self._post("intake", "/v1/ltc/applications", self.auth(role, subject), 201, files=files)

    async def screen(self, application_id: str, outcome: str, missing: Sequence[str] = (),
                     note: str = "") -> dict[str, Any]:
        """初步筛查 (clerk): accept | missing (documents named, or the preconditions' own) | reject (with the note)."""
        return await self._post("intake", f"/v1/ltc/applications/{application_id}/screening",
                                self.auth("clerk", "clerk-1"), 200,
                                json={"outcome": outcome, "missing": list(missing), "note": note})

    async def add_application_documents(self, application_id: str, person_id: str,
                                        kinds: Sequence[str]) -> dict[str, Any]:
        """补充材料: the person adds what was asked for on their phone; the application is submitted again."""
        files = {k: (f"{k}.pdf", PDF, "application/pdf") for k in kinds}
        return await self._post("intake", f"/v1/ltc/applications/{application_id}/documents",
                                self.auth("applicant", person_id), 200, files=files)

    async def application(self, application_id: str) -> dict[str, Any]:
        return await self._get("intake", f"/v1/ltc/applications/{application_id}", self.auth("clerk", "clerk-1"))

    async def applications(self, status: str | None = None) -> list[dict[str, Any]]:
        return await self._get("intake", "/v1/ltc/applications", self.auth("clerk", "clerk-1"), status=status,
                               limit=2000)

    # ---- the assessment (appraisal) -----------------------------------------------------------------------------

    async def assessments(self, person_id: str | None = None, status: str | None = None,
                          kind: str | None = None) -> list[dict[str, Any]]:
        return await self._get("appraisal", "/v1/ltc/assessments", self.auth("clerk", "clerk-1"),
                               person_id=person_id, status=status, kind=kind, limit=2000)

    async def drawn(self, person_id: str, application_id: str, round_: int = 1,
                    statuses: Sequence[str] = ("open",), timeout: float | None = None) -> dict[str, Any]:
        """Wait for appraisal to open the application's assessment (round 1: from care_application.accepted) in one
        of `statuses` (open: the pair drawn)."""
        async def probe() -> dict[str, Any] | None:
            for a in await self.assessments(person_id):
                if a["application_id"] == application_id and a["round"] == round_ and a["status"] in statuses:
                    return a
            return None
        return await self._until(probe, f"assessment round {round_} of {application_id} {'/'.join(statuses)}",
                                 timeout)

    async def drawn_all(self, wanted: Mapping[str, str], timeout: float | None = None) -> dict[str, dict[str, Any]]:
        """Wait for the first assessment of every application in `wanted` (application_id → person_id) to be drawn:
        one listing a poll, however many are waited for."""
        async def probe() -> dict[str, dict[str, Any]] | None:
            found = {a["application_id"]: a for a in await self.assessments(status="open")
                     if a["round"] == 1 and a["application_id"] in wanted}
            return found if len(found) == len(wanted) else None
        return await self._until(probe, f"{len(wanted)} assessments drawn", timeout)

    async def visit(self, assessment: Mapping[str, Any], visited_on: str | None = None, place: str = "温州市 家中卧室",
                    present: Sequence[str] = ("family", "caregiver"), notes: str = "卧床，家属照护；查看既往病历",
                    photo: bytes = PNG, recording: bytes | None = MP3) -> dict[str, Any]:
        """评定信息采集过程记录: the first assessor of the pair records the on-site visit with a photo and a recording
        (`POST /v1/ltc/assessments/{id}/visit`, multipart). `visited_on` (default today) is between the day the
        assessment opened and today."""
        visited_on = visited_on or today_cn().isoformat()
        files: dict[str, Any] = {"visit": (None, json.dumps({"visited_on": visited_on, "place": place,
                                                            "present": list(present), "notes": notes},
                                                           ensure_ascii=False)),
                                 "photo": ("visit.png", photo, "image/png")}
        if recording is not None:
            files["recording"] = ("visit.mp3", recording, "audio/mpeg")
        return await self._post("appraisal", f"/v1/ltc/assessments/{assessment['assessment_id']}/visit",
                                self.auth("expert", assessment["assessors"][0]), 201, files=files)

    async def score(self, assessment: Mapping[str, Any], items: Mapping[str, int],
                    disabled_since: str | None = None) -> dict[str, Any]:
        """评定结论: the pair's scores on every item (`severe_scores()`, `mild_scores()`) → the conclusion."""
        body: dict[str, Any] = {"assessors": list(assessment["assessors"]), "items": dict(items)}
        if disabled_since:
            body["disabled_since"] = disabled_since
        return await self._post("appraisal", f"/v1/ltc/assessments/{assessment['assessment_id']}/scores",
                                self.auth("expert", assessment["assessors"][1]), 200, json=body)

    async def assess(self, person_id: str, application_id: str, items: Mapping[str, int],
                     visited_on: str | None = None, round_: int = 1) -> dict[str, Any]:
        """Drawn → visited → scored: the concluded assessment."""
        a = await self.drawn(person_id, application_id, round_)
        await self.visit(a, visited_on)
        return await self.score(a, items)

    async def object_to(self, assessment_id: str, person_id: str, reason: str = "卧床已久，评定偏轻") -> dict[str, Any]:
        """异议 by the person: the re-assessment by a different pair (`reassessment`) opens at once."""
        return await self._post("appraisal", f"/v1/ltc/assessments/{assessment_id}/objection",
                                self.auth("applicant", person_id), 201, json={"reason": reason})

    async def notice(self, assessment_id: str, person_id: str) -> dict[str, Any]:
        """评定结论通知书, as the person reads it."""
        return await self._get("appraisal", f"/v1/ltc/assessments/{assessment_id}/notice",
                               self.auth("applicant", person_id))

    async def import_conclusions(self, conclusions: list[dict[str, Any]]) -> dict[str, Any]:
        """迁移导入 of conclusions made before the platform (`POST /v1/ltc/assessments/import`, ops): each person
        covered from its own day."""
        return await self._post("appraisal", "/v1/ltc/assessments/import", self.auth("ops", "ops-1"), 200, 201,
                                json={"conclusions": conclusions})

    # ---- cover, plans, records, statements (settlement) ---------------------------------------------------------

    async def person(self, person_id: str, conclusions: int = 1, covered: bool = False,
                     timeout: float | None = None) -> dict[str, Any]:
        """Wait for settlement to know the person's cover (`GET /v1/ltc/persons/{id}`) from `conclusions`
        conclusions at least (and, with `covered`, the person covered today)."""
        async def probe() -> dict[str, Any] | None:
            r = await self.http.get(self._url("settlement", f"/v1/ltc/persons/{person_id}"),
                                    headers=self.auth("clerk", "clerk-1"))
            if r.status_code == 404:
                return None
            view = await self._ok(r)
            enough = len(view["conclusions"]) >= conclusions and (view["covered_today"] or not covered)
            return view if enough else None
        return await self._until(probe, "the person's cover in settlement", timeout)

    async def persons(self, person_ids: Iterable[str], timeout: float | None = None) -> None:
        for pid in person_ids:
            await self.person(pid, timeout=timeout)

    async def _retrying(self, call: Callable[[], Awaitable[httpx.Response]], waiting_for: Sequence[str], what: str,
                        *codes: int) -> Any:
        """A write refused only until another service's events arrive (`waiting_for`: the error codes that say so),
        retried until the deadline; any other refusal is a FlowError at once."""
        last: list[httpx.Response] = []

        async def probe() -> httpx.Response | None:
            r = await call()
            last[:] = [r]
            if r.status_code in (409, 422) and r.json().get("error", {}).get("code") in waiting_for:
                return None
            return r
        try:
            return await self._ok(await self._until(probe, what), *codes)
        except FlowError:
            if last:
                await self._ok(last[0], *codes)
            raise

    async def plan(self, institution_id: str | None, person_id: str, items: list[dict[str, Any]], valid_from: str,
                   valid_to: str, mode: str = "home_visit", agreement: dict[str, str] | None = None
                   ) -> dict[str, Any]:
        """护理计划 (`POST /v1/ltc/plans`): the institution drafts it (`plan_items(grade, mode)`); family care's
        agreement is the clerk's. Waits while settlement has not yet learnt the institution's designation."""
        body: dict[str, Any] = {"person_id": person_id, "mode": mode, "institution_id": institution_id,
                                "valid_from": valid_from, "valid_to": valid_to, "items": items}
        if agreement:
            body["agreement"] = agreement
        headers = self.auth("clerk", "clerk-1") if mode == "family" else self.auth("institution", str(institution_id))
        return await self._retrying(lambda: self.http.post(self._url("settlement", "/v1/ltc/plans"), json=body,
                                                           headers=headers),
                                    ("institution_not_designated",), f"plan of {institution_id}", 200, 201)

    async def plans(self, institution_id: str, plans: list[dict[str, Any]]) -> dict[str, Any]:
        """Many plans at once (`POST /v1/ltc/plans/batches`, all or none): `{person_id, mode, institution_id,
        valid_from, valid_to, items}` each."""
        return await self._retrying(
            lambda: self.http.post(self._url("settlement", "/v1/ltc/plans/batches"), json={"plans": plans},
                                   headers=self.auth("institution", institution_id)),
            ("institution_not_designated",), f"plans of {institution_id}", 200, 201)

    async def upload_records(self, institution_id: str | None, month: str, records: list[dict[str, Any]],
                             expect: Sequence[int] = (200, 201)) -> dict[str, Any]:
        """护理服务记录 (`POST /v1/ltc/service-records`): an institution's own (`month_of_records(...)`), a clerk's for
        family care (`institution_id` None). `expect=(422,)` answers a refusal's body (every refused record named)."""
        headers = self.auth("clerk", "clerk-1") if institution_id is None else self.auth("institution",
                                                                                        institution_id)
        return await self._ok(await self.http.post(self._url("settlement", "/v1/ltc/service-records"),
                                                   json={"month": month, "records": records}, headers=headers),
                              *expect)

    async def fund_lots(self, year: int, amount: str, day: str, allocation_id: str,
                        kind: str = "initial") -> dict[str, Any]:
        """The agency allocates the long-term care fund into the lots' dedicated accounts (专户), split by their
        shares: the fund room's allocation door (`POST /v1/fund/allocations`, supervisor with program wz-ltc)."""
        return await self.allocate(LTC, allocation_id, year, kind, amount, day)

    async def build_statements(self, month: str) -> list[dict[str, Any]]:
        """月度审核结算: every institution's care statement of the month built (or priced again while open)."""
        return (await self._post("settlement", "/v1/ltc/statements", self.auth("finance", "finance-1"), 200,
                                 json={"month": month}))["statements"]

    async def statements(self, month: str) -> list[dict[str, Any]]:
        return (await self._get("settlement", "/v1/ltc/statements", self.auth("finance", "finance-1"),
                                month=month))["statements"]

    async def statement(self, statement_id: str) -> dict[str, Any]:
        return await self._get("settlement", f"/v1/ltc/statements/{statement_id}", self.auth("finance", "finance-1"))

    async def close_statement(self, statement_id: str) -> dict[str, Any]:
        """Close once the month is over (priced a last time) — once smart review (智能审核) answered every upload of
        the month and a reviewer decided the hits holding its records (a duplicate refused, 拒付; the rest found
        in order)."""
        async def reviewed() -> dict[str, Any] | None:
            s = await self.statement(statement_id)
            return s if not s["review"]["pending_batches"] else None

        s = await self._until(reviewed, f"smart review of {statement_id}")
        if s["review"]["held_lines"]:
            await self.decide_open_hits(s["institution_id"] or "FAMILY", s["month"], "care", care_decision)

            async def released() -> dict[str, Any] | None:
                s = await self.statement(statement_id)
                return s if not s["review"]["held_lines"] else None

            await self._until(released, f"the decisions on {statement_id}")
        return await self._post("settlement", f"/v1/ltc/statements/{statement_id}/close",
                                self.auth("finance", "finance-1"), 200)

    async def pay_statement(self, statement_id: str) -> dict[str, Any]:
        """Pay a closed statement from the lot's account (benefits_paid)."""
        return await self._post("settlement", f"/v1/ltc/statements/{statement_id}/payments",
                                self.auth("finance", "finance-1"), 201)

    async def build_fee_statement(self, month: str) -> dict[str, Any]:
        """评估费用: the month's assessment fee statement `AF-<month>` (city-level fees shared by A, B and C)."""
        return await self._post("settlement", "/v1/ltc/assessment-fees/statements",
                                self.auth("finance", "finance-1"), 200, 201, json={"month": month})

    async def pay_fee_statement(self, statement_id: str) -> dict[str, Any]:
        """Record the carrier's payment of a month's assessment fees (the month over)."""
        return await self._post("settlement", f"/v1/ltc/assessment-fees/statements/{statement_id}/payments",
                                self.auth("finance", "finance-1"), 201)

    async def balance(self, year: int, on: str) -> dict[str, Any]:
        """The lot's dedicated account (专户) balances."""
        return (await self._get("settlement", "/v1/fund/balance", self.auth("finance", "finance-1"), year=year,
                                on=on))["balances"]

    async def fee(self, year: int, status: str | None = None, timeout: float | None = None) -> dict[str, Any]:
        """经办服务费 (`GET /v1/fund/ltc-fee`, finance); with `status` ("scored") waits for the yearly score to reach
        settlement."""
        async def probe() -> dict[str, Any] | None:
            view = await self._get("settlement", "/v1/fund/ltc-fee", self.auth("finance", "finance-1"), year=year)
            return view if status is None or view["status"] == status else None
        return await self._until(probe, f"the {year} fee {status or ''}", timeout)

    # ---- supervision, the score and the reports (audit) ---------------------------------------------------------

    async def patrol_plan(self, year: int, title: str | None = None, measures: str | None = None,
                          sample_percent: int = 20, survey_percent: int = 25) -> dict[str, Any]:
        """巡查方案: the agency's supervisor writes the year's patrol plan (`POST /v1/ltc/patrol-plans`)."""
        return await self._post("audit", "/v1/ltc/patrol-plans", self.agency(), 201, json={
            "year": year, "title": title or f"{year}年{lot_letter(self.tenant)}片区长护险监管巡查方案",
            "measures": measures or ("每季度抽查护理服务不少于20%，全年100%；每季度现场巡查全部定点机构；"
                                     "失能人员基本状态年度调查全覆盖"),
            "quarters": [{"quarter": f"Q{n}", "sample_percent": sample_percent, "survey_percent": survey_percent}
                         for n in (1, 2, 3, 4)]})

    async def attainment(self, quarter: str, services: int = 0, institutions: int = 0,
                         timeout: float | None = None) -> dict[str, Any]:
        """The quarter's quotas, live (`GET /v1/ltc/patrols/attainment`); waits until audit has taken in at least
        `services` care services and `institutions` designated institutions (their events)."""
        seen: dict[str, Any] = {}

        async def probe() -> dict[str, Any] | None:
            view = await self._get("audit", "/v1/ltc/patrols/attainment", self.auth("inspector", "inspector-1"),
                                   quarter=quarter)
            seen.update(services=view["services"]["delivered"], institutions=view["institutions"]["required"])
            enough = (view["services"]["delivered"] >= services
                      and view["institutions"]["required"] >= institutions)
            return view if enough else None
        return await self._until(probe, lambda: f"{quarter}: {services} services and {institutions} institutions in "
                                 f"audit (seen {seen})", timeout)

    async def plan_sample(self, quarter: str, seed: str | None = None) -> dict[str, Any]:
        """抽查样本: the quarter's sample of care services (20% at least, the year's pace)."""
        return await self._post("audit", "/v1/ltc/samples", self.auth("inspector", "inspector-1"), 201,
                                json={"quarter": quarter, "seed": seed})

    async def sample(self, quarter: str) -> list[dict[str, Any]]:
        """Every entry of the quarter's sample, page after page: each a care service by `service_id`
        (`<institution>:<YYYY-MM>:<record id>`) with its institution_id, month and record_id."""
        out: list[dict[str, Any]] = []
        after = None
        while True:
            page = await self._get("audit", "/v1/ltc/samples", self.auth("inspector", "inspector-1"),
                                   quarter=quarter, after=after, limit=5000)
            out += page["entries"]
            if len(page["entries"]) < 5000:
                return out
            after = page["entries"][-1]["service_id"]

    async def patrol(self, quarter: str, day: str, services: Sequence[str | Mapping[str, Any]],
                     institution_ids: Sequence[str], findings: Sequence[Mapping[str, Any]] = (),
                     inspectors: Sequence[Mapping[str, str]] = TEAM) -> dict[str, Any]:
        """监管巡查: two inspectors (one nursing), the institutions visited on site, the sampled services checked,
        findings → breach-handling suggestions. `services`: sample entries (as `sample` returns them), service ids,
        or {institution_id, record_id[, month]} — a record id alone is only its institution's own within a month."""
        ids: list[str] = []
        named: list[dict[str, Any]] = []
        for s in services:
            if isinstance(s, str) or s.get("service_id"):
                ids.append(s if isinstance(s, str) else str(s["service_id"]))
            else:
                named.append({k: s[k] for k in ("institution_id", "record_id", "month") if s.get(k)})
        return await self._post("audit", "/v1/ltc/patrols", self.auth("inspector", inspectors[0]["inspector_id"]),
                                201, json={"quarter": quarter, "date": day, "inspectors": [dict(i) for i in inspectors],
                                           "institution_ids": list(institution_ids), "checked_record_ids": ids,
                                           "checked_services": named, "findings": [dict(f) for f in findings]})

    async def survey(self, person_id: str, year: int, surveyed_on: str, status: str = "unchanged",
                     note: str = "") -> dict[str, Any]:
        """失能人员基本状态调查 (inspector); waits while audit has not yet learnt the person's conclusion."""
        body = {"person_id": person_id, "year": year, "status": status, "surveyed_on": surveyed_on, "note": note}
        return await self._retrying(lambda: self.http.post(self._url("audit", "/v1/ltc/status-surveys"), json=body,
                                                           headers=self.auth("inspector", "inspector-1")),
                                    ("survey_person_not_disabled",), "the person among the disabled", 201)

    async def score_year(self, year: int, deductions: Mapping[str, str], note: str = "",
                         assessed_on: str | None = None) -> dict[str, Any]:
        """绩效考核: the agency scores the lot's carrier for a service year (`POST /v1/ltc/scores`, supervisor)."""
        body: dict[str, Any] = {"year": year, "deductions": dict(deductions), "note": note}
        if assessed_on:
            body["assessed_on"] = assessed_on
        return await self._post("audit", "/v1/ltc/scores", self.agency(), 201, json=body)

    async def audit_saw(self, business_key: str, timeout: float | None = None) -> list[dict[str, Any]]:
        """Wait for audit to take in an event of the key (its trail; the read model is fed in the same batch)."""
        async def probe() -> list[dict[str, Any]] | None:
            entries = (await self._get("audit", "/v1/trail", self.auth("inspector", "inspector-1"),
                                       business_key=business_key, limit=50))["entries"]
            return entries or None
        return await self._until(probe, f"audit's trail of {business_key}", timeout)

    async def report(self, kind: str, period: str) -> dict[str, Any]:
        """长护险报表 (`POST /v1/reports`, e.g. ltc_monthly 2026-11): figures, PNG chart and Excel workbook."""
        return await self._post("audit", "/v1/reports", self.auth("inspector", "inspector-1"), 201,
                                json={"kind": kind, "period": period})

    # ---- the person's file (archive) ----------------------------------------------------------------------------

    async def person_file(self, person_id: str, until: Callable[[dict[str, Any]], bool] | None = None,
                          timeout: float | None = None) -> dict[str, Any]:
        """一人一档 (`GET /v1/persons/{id}/file`, clerk); with `until`, waits for the file's summary to satisfy it."""
        async def probe() -> dict[str, Any] | None:
            r = await self.http.get(self._url("archive", f"/v1/persons/{person_id}/file"),
                                    headers=self.auth("clerk", "clerk-1"))
            if r.status_code == 404:
                return None
            view = await self._ok(r)
            return view if until is None or until(view) else None
        return await self._until(probe, "the person's file", timeout)
