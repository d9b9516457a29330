"""The Karamay fund-supervision chain (克拉玛依区医疗保障基金监管) walked through the platform's own HTTP doors, the way
the carrier's inspectors, its reviewers and clerks, the agency's supervisor and the institutions use them: one method
per step, each answering the door's JSON (a FlowError on any other status), the waits event-driven (polled with a
deadline, never slept), and the bodies built by module-level pure helpers from the program's own data (the SAMPLE
roster, the violation catalogue, the review catalogue).

    walk = KmWalk(url, tokens, http)                                  # tenant km-sv
    await walk.import_roster(roster())                                # 17 hospitals, 143 pharmacies, the agency
    await walk.supervised(161)                                        # audit learnt them (institution.changed)
    claims, expected = screening_claims("KM-H001", "hospital", "2026-11", first_person=0)
    await walk.screen(claims, "scr-KM-H001")                          # 数据提取与筛查: hits, no holds
    plan = await walk.coverage_plan(term_from, term_to)               # 全覆盖检查计划
    draw = await walk.draw(2, 2, INSPECTORS, kind="hospital", seed="km")   # 双随机
    done = await walk.inspect("KM-H001", started_on, ended_on)        # open → dossier → checklist → evidence →
                                                                      #   finding → end → report (on time)
    sample = await walk.sample_records("KM-H001", "medical_records", period_from, period_to, 1200, problems=12)
    chain = await walk.tip_to_case("KM-P005")                         # tip → lead → verified → case … closed
    audit = await walk.agency_audit_with_report("KM-A001", period_from, period_to)
    credit = await walk.evaluate_credit(year, ["KM-H001"], approve=True)

The demo (jingban/km_demo.py `seed_km`), the end-to-end test and the role matrix's seeding build on these. Identity
numbers are valid 18-character ones of 克拉玛依区 (650203); every person is made up."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

import httpx
import yaml

from chassis.programs import PROGRAMS_DIR, Program, load_program
from jingban.flow import FlowError, Walk
from jingban.ltc_flow import resident_id
from jingban.tokens import Tokens

KM = "km-supervision"
TENANT = "km-sv"
DIVISION = "650203"   # 克拉玛依区
AGENCY_ID = "KM-A001"
CENT = Decimal("0.01")
# The carrier's inspectors (检查人员): the pool a double-random draw picks from; a team is two of them at least.
INSPECTORS = tuple(f"km-insp-{n:02d}" for n in range(1, 9))
TEAM = ({"inspector_id": "km-insp-01", "name": "王检查", "profession": "医学"},
        {"inspector_id": "km-insp-02", "name": "李审核", "profession": "财会"})
PERSONS_PER_INSTITUTION = 1000   # person indexes an institution's screening claims may use (see `person`)

# ---- the program's data ------------------------------------------------------------------------------------------


def program() -> Program:
    return load_program(KM)


@cache
def _yaml(name: str) -> dict[str, Any]:
    return yaml.safe_load((PROGRAMS_DIR / KM / name).read_text(encoding="utf-8"))


def roster(kinds: Iterable[str] | None = None, on: date | None = None) -> list[dict[str, Any]]:
    """The SAMPLE roster (institutions-sample.yaml) as the registry's import takes it: every institution (or those
    of `kinds`) with its agreement term. With `on`, a term that does not reach a year past that day becomes the three
    years around it (Jan 1 of the year before to Dec 31 of the year after; an agreement runs three years at most): the
    sample's terms end in 2026, and a demo started later still finds every institution designated for a year."""
    wanted = set(kinds) if kinds is not None else None
    out = []
    for item in _yaml(str(program().setting("supervision", "roster")))["institutions"]:
        if wanted is not None and item["kind"] not in wanted:
            continue
        body = json.loads(json.dumps(item))   # a deep copy: the cached file stays as read
        if on is not None and body["agreement"]["valid_to"] < (on + timedelta(days=365)).isoformat():
            body["agreement"] = {"valid_from": f"{on.year - 1}-01-01", "valid_to": f"{on.year + 1}-12-31"}
        out.append(body)
    return out


def institution_ids(kind: str) -> list[str]:
    """The roster's institutions of a kind (hospital, pharmacy, agency), in the file's order."""
    return [i["institution_id"] for i in roster((kind,))]


@cache
def review_items() -> dict[str, dict[str, Any]]:
    """The program's review catalogue (review-rules.yaml `catalogue`): item code → its fields (max_price, kind …)."""
    rules = _yaml("review-rules.yaml")
    return {str(i["code"]): i for i in _yaml(str(rules["catalogue"]))["items"]}


@cache
def violation_codes(group: str) -> list[str]:
    """The violation catalogue's codes of a group (hospital H…, pharmacy P…, doctor D…, insured I…, agency A…)."""
    return [str(i["code"]) for i in _yaml(str(program().setting("supervision", "catalogue")))["groups"][group]["items"]]


def checklist_codes(kind: str) -> list[str]:
    """Every item an inspection of the institution kind answers (the catalogue's `checklists`)."""
    groups = _yaml(str(program().setting("supervision", "catalogue")))["checklists"][kind]
    return [code for group in groups for code in violation_codes(group)]


# ---- persons ------------------------------------------------------------------------------------------------------


def person(n: int) -> dict[str, str]:
    """The n-th made-up insured person of 克拉玛依区 (0 ≤ n < 18,250 are all different): an identity number with its
    check digit, the sex its 17th digit gives (odd: male) and the birth date it carries; born 1945–1994."""
    born = date(1945, 1, 1) + timedelta(days=(n * 37) % (365 * 50))
    sequence = n % 1000
    pid = resident_id(DIVISION, born, sequence)
    return {"person_id": pid, "sex": "M" if int(pid[16]) % 2 else "F", "birth_date": born.isoformat()}


def _man(n: int) -> dict[str, str]:
    """The first man at index n or after it."""
    while person(n)["sex"] != "M":
        n += 1
    return person(n)


# ---- screening claims (数据提取与筛查) -----------------------------------------------------------------------------


def _price(code: str, over: str = "0") -> Decimal:
    """The catalogue's maximum price of an item (a clean line charges it), plus `over`."""
    return Decimal(str(review_items()[code].get("max_price") or "10.00")) + Decimal(over)


def line(line_id: str, code: str, on: date, quantity: str | int = 1, unit_price: Decimal | str | None = None,
         days_supply: int | None = None) -> dict[str, Any]:
    """A claim line (明细) whose amount is quantity × unit price (the catalogue's maximum when not given)."""
    price = Decimal(str(unit_price)) if unit_price is not None else _price(code)
    q = Decimal(str(quantity))
    out: dict[str, Any] = {"line_id": line_id, "item_code": code, "date": on.isoformat(), "quantity": str(q),
                           "unit_price": f"{price:.2f}",
                           "amount": f"{(q * price).quantize(CENT, rounding=ROUND_HALF_UP):.2f}"}
    if days_supply is not None:
        out["days_supply"] = days_supply
    return out


def claim(claim_id: str, institution_id: str, kind: str, who: Mapping[str, str], lines: list[dict[str, Any]],
          claim_kind: str | None = None, admitted_on: date | None = None, discharged_on: date | None = None,
          settled_at: datetime | None = None) -> dict[str, Any]:
    """A claim (结算单据) in `jingban review`'s format: the institution (hospital or pharmacy), the person (identity
    number, sex, birth date), its kind, stay days, the moment it was settled and its lines."""
    out: dict[str, Any] = {"claim_id": claim_id, "institution": institution_id, "institution_kind": kind,
                           "person_id": who["person_id"], "sex": who["sex"], "birth_date": who["birth_date"],
                           "kind": claim_kind or ("pharmacy" if kind == "pharmacy" else "outpatient")}
    if admitted_on is not None:
        out["admitted_on"] = admitted_on.isoformat()
    if discharged_on is not None:
        out["discharged_on"] = discharged_on.isoformat()
    if settled_at is not None:
        out["settled_at"] = settled_at.isoformat(timespec="seconds")
    out["lines"] = lines
    return out


def _stay(claim_id: str, institution_id: str, who: Mapping[str, str], admitted: date, days: int,
          bare_day: int | None = None) -> dict[str, Any]:
    """An inpatient stay (住院): every day a bed, the ward round and first-level nursing; the admission day's test
    package and saline. `bare_day`: that day only the bed is charged (挂床)."""
    lines = [line(f"{claim_id}-1", "S100", admitted), line(f"{claim_id}-2", "D008", admitted, 2)]
    for d in range(days):
        on = admitted + timedelta(days=d)
        lines.append(line(f"{claim_id}-b{d}", "B001", on))
        if d != bare_day:
            lines += [line(f"{claim_id}-r{d}", "S002", on), line(f"{claim_id}-n{d}", "S003", on)]
    discharged = admitted + timedelta(days=days - 1)
    return claim(claim_id, institution_id, "hospital", who, lines, "inpatient", admitted, discharged,
                 datetime.combine(discharged, datetime.min.time()) + timedelta(hours=10))


OUTPATIENT_DRUGS = ("D001", "D003", "D004", "D005")
PHARMACY_ITEMS = ("D001", "D003", "D004", "D005", "D008", "M001", "M002")


def clean_claims(institution_id: str, kind: str, month: str, first_person: int, count: int) -> list[dict[str, Any]]:
    """`count` claims of one institution's month that break no rule of the program's rule set: each of a different
    person (persons first_person …), prices at the catalogue's maximum, no item twice a day, no restricted item; at a
    hospital one visit in four an inpatient stay (every day a drug or service beside the bed), at a pharmacy
    purchases settled a quarter of an hour apart (never five persons in ten minutes)."""
    year, mon = int(month[:4]), int(month[5:7])
    out = []
    for k in range(count):
        who, cid = person(first_person + k), f"{institution_id}-{month}-{k + 1:05d}"
        on = date(year, mon, 1 + k % 28)
        if kind == "hospital" and k % 4 == 3:
            out.append(_stay(cid, institution_id, who, date(year, mon, 1 + k % 24), 3 + k % 3))
        elif kind == "hospital":
            drug = OUTPATIENT_DRUGS[k % len(OUTPATIENT_DRUGS)]
            out.append(claim(cid, institution_id, kind, who, [
                line(f"{cid}-1", "S001", on), line(f"{cid}-2", drug, on, 1 + k % 2, days_supply=30),
                line(f"{cid}-3", "S011", on)],
                settled_at=datetime.combine(on, datetime.min.time()) + timedelta(hours=9, minutes=k % 480)))
        else:
            first, second = PHARMACY_ITEMS[k % len(PHARMACY_ITEMS)], PHARMACY_ITEMS[(k + 3) % len(PHARMACY_ITEMS)]
            at = datetime(year, mon, 1) + timedelta(days=k // 40 % 28, hours=8, minutes=15 * (k % 40))
            out.append(claim(cid, institution_id, kind, who, [line(f"{cid}-1", first, on),
                                                             line(f"{cid}-2", second, on, 2)], settled_at=at))
    return out


def planted_claims(institution_id: str, kind: str, month: str, first_person: int
                   ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Claims planted to break the program's rules, each rule once (its persons first_person … +12), and the hits
    expected by rule. At a hospital: over_price, duplicate_charge, unbundling, sex_restricted, age_restricted,
    over_quantity, duplicate_medication (two claims), split_admission (two stays, 10 days apart) and phantom_bed; at a
    pharmacy: card_pooling (five persons within eight minutes: a hit on each claim) and non_medical_goods."""
    year, mon = int(month[:4]), int(month[5:7])
    day = date(year, mon, 20)
    noon = datetime.combine(day, datetime.min.time()) + timedelta(hours=12)
    p = f"{institution_id}-{month}-X"
    if kind == "pharmacy":
        # 21:00 on the 28th: after the day's clean purchases (08:00–17:45), five persons two minutes apart.
        pooled = [claim(f"{p}P{n}", institution_id, kind, person(first_person + n),
                        [line(f"{p}P{n}-1", "D003", date(year, mon, 28), 3)],
                        settled_at=datetime(year, mon, 28, 21, 0) + timedelta(minutes=2 * n)) for n in range(5)]
        goods = claim(f"{p}G", institution_id, kind, person(first_person + 5),
                      [line(f"{p}G-1", "D001", day), line(f"{p}G-2", "G002", day, 1, "68.00")],
                      settled_at=noon)
        return [*pooled, goods], {"card_pooling": 5, "non_medical_goods": 1}
    who = [person(first_person + n) for n in range(12)]
    twice = who[6]
    claims = [
        claim(f"{p}OP", institution_id, kind, who[0], [line(f"{p}OP-1", "S001", day, 1, _price("S001", "5.00"))],
              settled_at=noon),
        claim(f"{p}DC", institution_id, kind, who[1], [line(f"{p}DC-1", "S001", day), line(f"{p}DC-2", "M001", day),
                                                       line(f"{p}DC-3", "M001", day)], settled_at=noon),
        claim(f"{p}UB", institution_id, kind, who[2], [line(f"{p}UB-1", "S100", day), line(f"{p}UB-2", "S010", day)],
              settled_at=noon),
        claim(f"{p}SX", institution_id, kind, _man(first_person + 3),
              [line(f"{p}SX-1", "S001", day), line(f"{p}SX-2", "S040", day)], settled_at=noon),
        claim(f"{p}AG", institution_id, kind, who[4], [line(f"{p}AG-1", "S001", day), line(f"{p}AG-2", "D006", day)],
              settled_at=noon),
        claim(f"{p}OQ", institution_id, kind, who[5], [line(f"{p}OQ-1", "S001", day), line(f"{p}OQ-2", "D004", day, 4)],
              settled_at=noon),
        claim(f"{p}DM1", institution_id, kind, twice,
              [line(f"{p}DM1-1", "S001", date(year, mon, 2)), line(f"{p}DM1-2", "D001", date(year, mon, 2), 1,
                                                                   days_supply=30)], settled_at=noon),
        claim(f"{p}DM2", institution_id, kind, twice,
              [line(f"{p}DM2-1", "S001", date(year, mon, 12)), line(f"{p}DM2-2", "D002", date(year, mon, 12), 1,
                                                                    days_supply=30)], settled_at=noon),
        _stay(f"{p}SA1", institution_id, who[7], date(year, mon, 2), 3),
        _stay(f"{p}SA2", institution_id, who[7], date(year, mon, 14), 3),
        _stay(f"{p}PB", institution_id, who[8], date(year, mon, 5), 3, bare_day=1),
    ]
    return claims, {"over_price": 1, "duplicate_charge": 1, "unbundling": 1, "sex_restricted": 1,
                    "age_restricted": 1, "over_quantity": 1, "duplicate_medication": 1, "split_admission": 1,
                    "phantom_bed": 1}


def screening_claims(institution_id: str, kind: str, month: str, first_person: int, clean: int = 40,
                     plant: bool = True) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """An institution's month for screening: `clean` claims that break nothing and (with `plant`) the planted ones
    after them; and the hits expected by rule. Give each institution its own `first_person` (e.g. index ×
    PERSONS_PER_INSTITUTION): the screening history is the tenant's, and a person met twice is one person."""
    claims = clean_claims(institution_id, kind, month, first_person, clean)
    if not plant:
        return claims, {}
    planted, expected = planted_claims(institution_id, kind, month, first_person + clean)
    return claims + planted, expected


def lines_of(claims: Iterable[Mapping[str, Any]]) -> int:
    return sum(len(c["lines"]) for c in claims)


# ---- record sampling (病历抽审) ------------------------------------------------------------------------------------


def record_population(institution_id: str, period_from: date, period_to: date, count: int,
                      prefix: str = "BL") -> list[dict[str, str]]:
    """A population's records (病历 or 手工报销申报材料): `<institution>-<prefix><n>` ids with their days spread over
    the period (both ends included)."""
    span = (period_to - period_from).days
    return [{"record_id": f"{institution_id}-{prefix}{n:06d}",
             "date": (period_from + timedelta(days=(n * span) // max(count - 1, 1))).isoformat()}
            for n in range(count)]


def sample_results(records: Sequence[Mapping[str, Any]], problems: int, codes: Sequence[str],
                   note: str = "病历记载与收费不符") -> list[dict[str, Any]]:
    """Results for sampled records (a sample's `records`): the first `problems` a problem with a code taken in turn
    from `codes`, the rest without."""
    out = []
    for n, r in enumerate(records):
        if n < problems:
            out.append({"record_id": r["record_id"], "problem": True, "code": codes[n % len(codes)], "note": note})
        else:
            out.append({"record_id": r["record_id"], "problem": False})
    return out


# ---- evidence files (证据材料) -------------------------------------------------------------------------------------


def evidence_pdf(title: str) -> bytes:
    """A small valid one-page PDF showing `title` (its ASCII letters; a made-up evidence file)."""
    text = "".join(ch for ch in title if 32 <= ord(ch) < 127 and ch not in "()\\") or "evidence"
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def evidence_png(seed: int = 0, size: int = 8) -> bytes:
    """A small valid PNG (grey, `size` × `size`) whose pixels depend on `seed`: different seeds, different files."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + bytes((seed * 31 + x * 7 + y * 13) % 256 for x in range(size)) for y in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


# ---- the walk -----------------------------------------------------------------------------------------------------


class KmWalk(Walk):
    """The fund-supervision carrier (tenant km-sv) and everyone it works with, through the platform's doors."""

    def __init__(self, url: Callable[[str], str], tokens: Tokens, http: httpx.AsyncClient,
                 tenant: str = TENANT) -> None:
        super().__init__(url, tokens, http, tenant)

    # ---- plumbing ----

    async def _retrying(self, call: Callable[[], Awaitable[httpx.Response]], waiting_for: Sequence[str], what: str,
                        *codes: int) -> Any:
        """A write refused only until another room has taken in an event (`waiting_for`: the error codes that say
        so), retried until the deadline; any other refusal is a FlowError at once."""
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

    def inspector(self, subject: str = TEAM[0]["inspector_id"]) -> dict[str, str]:
        return self.auth("inspector", subject)

    def agency(self) -> dict[str, str]:
        """The agency's supervisor (医保局, program claim km-supervision) with a token of the walk's tenant."""
        return self.auth("supervisor", "agency", KM)

    def institution(self, institution_id: str) -> dict[str, str]:
        """An institution's own token (its id the subject)."""
        return self.auth("institution", institution_id)

    # ---- the registry (appraisal) and what supervision knows of it (audit) ----

    async def import_roster(self, institutions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """迁移导入 of the designated institutions (`roster()` bodies): `POST /v1/institutions/import` (ops) →
        {imported, count, …}."""
        return await self._post("appraisal", "/v1/institutions/import", self.auth("ops", "ops-1"), 200, 201,
                                json={"institutions": institutions if institutions is not None else roster()})

    async def supervised(self, count: int, kind: str | None = None,
                         timeout: float | None = None) -> list[dict[str, Any]]:
        """Wait until supervision knows `count` institutions (of `kind`) from the registry's events
        (`GET /v1/supervision/institutions`); their views (institution_id, kind, level, terms …)."""
        seen: list[int] = [0]

        async def probe() -> list[dict[str, Any]] | None:
            rows = (await self._get("audit", "/v1/supervision/institutions", self.inspector(), kind=kind)
                    )["institutions"]
            seen[0] = len(rows)
            return rows if len(rows) >= count else None
        return await self._until(probe, lambda: f"{count} institutions in supervision (seen {seen[0]})", timeout)

    # ---- smart review: screening and hits (audit /v1/review) ----

    async def screen(self, claims: list[dict[str, Any]], import_id: str | None = None) -> dict[str, Any]:
        """数据提取与筛查 (`POST /v1/review/claims`, inspector): claims in `jingban review`'s format reviewed with the
        program's rule set → {import_id, claims, lines, hits, summary: {rule: count}, rule_set_version, …}."""
        body: dict[str, Any] = {"claims": claims}
        if import_id:
            body["import_id"] = import_id
        return await self._post("audit", "/v1/review/claims", self.inspector(), 200, 201, json=body)

    async def hits(self, **filters: Any) -> list[dict[str, Any]]:
        """Every hit of the filters (state, rule, institution, month, source), page after page (reviewer): each with
        hit_id, rule, institution_id, claim_id, line_ids, amount, state."""
        out: list[dict[str, Any]] = []
        after = None
        while True:
            page = await self._get("audit", "/v1/review/hits", self.auth("reviewer", "reviewer-1"), after=after,
                                   limit=2000, **filters)
            out += page["hits"]
            after = page.get("next_after")
            if not after:
                return out

    async def decide_hit(self, hit_id: str, decision: str, note: str) -> dict[str, Any]:
        """A reviewer confirms (违规, counts against the institution's credit) or dismisses a hit, with a note."""
        return await self._post("audit", f"/v1/review/hits/{hit_id}/decision", self.auth("reviewer", "reviewer-1"),
                                200, json={"decision": decision, "note": note})

    # ---- the coverage plan and double-random draws (audit /v1/supervision) ----

    async def coverage_plan(self, term_from: date | str | None = None, term_to: date | str | None = None,
                            title: str = "", schedule: list[dict[str, str]] | None = None) -> dict[str, Any]:
        """全覆盖检查计划 (supervisor): every institution of the term in a month (spread by the platform unless a
        `schedule` places each) → {plan_id, version, term_from, term_to, schedule, institutions}."""
        body: dict[str, Any] = {"title": title or "克拉玛依区定点医药机构现场检查全覆盖计划"}
        if term_from is not None:
            body["term_from"] = str(term_from)
        if term_to is not None:
            body["term_to"] = str(term_to)
        if schedule is not None:
            body["schedule"] = schedule
        return await self._post("audit", "/v1/supervision/coverage-plans", self.agency(), 201, json=body)

    async def coverage(self) -> dict[str, Any]:
        """The term's coverage, live (现场检查率): totals by kind and every institution done or not."""
        return await self._get("audit", "/v1/supervision/coverage", self.inspector())

    async def draw(self, institutions: int, inspectors: int, inspector_pool: Sequence[str] = INSPECTORS,
                   kind: str | None = None, seed: str | None = None,
                   institution_pool: Sequence[str] = ()) -> dict[str, Any]:
        """双随机 (supervisor): institutions (of `kind`, in force today, or from the pool) and inspectors drawn from
        the seed → {draw_id, seed, institutions, inspectors, …}."""
        body: dict[str, Any] = {"institutions": institutions, "inspectors": inspectors,
                                "inspector_pool": list(inspector_pool), "institution_pool": list(institution_pool)}
        if kind:
            body["kind"] = kind
        if seed:
            body["seed"] = seed
        return await self._post("audit", "/v1/supervision/draws", self.agency(), 201, json=body)

    # ---- inspections (现场检查) ----

    async def open_inspection(self, institution_id: str, started_on: date | str, method: str = "daily_patrol",
                              team: Sequence[Mapping[str, str]] = TEAM, ended_on: date | str | None = None,
                              draw_id: str | None = None, note: str = "") -> dict[str, Any]:
        """An inspection of one institution (inspector): method, team (≥ 2), days; a double-random one names its draw
        → the inspection's view (inspection_id, state, due_on, overdue, checklist …)."""
        body: dict[str, Any] = {"institution_id": institution_id, "method": method, "team": [dict(m) for m in team],
                                "started_on": str(started_on), "note": note}
        if ended_on is not None:
            body["ended_on"] = str(ended_on)
        if draw_id:
            body["draw_id"] = draw_id
        return await self._post("audit", "/v1/supervision/inspections", self.inspector(team[0]["inspector_id"]),
                                201, json=body)

    async def inspection(self, inspection_id: str) -> dict[str, Any]:
        return await self._get("audit", f"/v1/supervision/inspections/{inspection_id}", self.inspector())

    async def inspections(self, **filters: Any) -> list[dict[str, Any]]:
        """Inspections (filters: institution_id, state, overdue)."""
        return (await self._get("audit", "/v1/supervision/inspections", self.inspector(), **filters))["inspections"]

    async def dossier(self, inspection_id: str) -> dict[str, Any]:
        """The pre-visit dossier (数据提取与筛查) built from the institution's hits and warnings → {hits: {count,
        amount, by_rule, largest}, anomalies, focus_codes, …}."""
        return await self._post("audit", f"/v1/supervision/inspections/{inspection_id}/dossier", self.inspector(),
                                201)

    async def answer_checklist(self, inspection_id: str, answers: Sequence[Mapping[str, str]] = (),
                               others: str | None = "checked") -> dict[str, Any]:
        """检查清单: items answered (checked | finding | not_applicable), `others` filling the rest → the checklist
        (items, answered, complete)."""
        return await self._post("audit", f"/v1/supervision/inspections/{inspection_id}/checklist", self.inspector(),
                                200, json={"answers": [dict(a) for a in answers], "others": others})

    async def add_evidence(self, inspection_id: str, files: Sequence[tuple[str, bytes, str]],
                           note: str = "") -> dict[str, Any]:
        """证据材料 (multipart `evidence` files: (filename, bytes, content type)) → {added: [evidence_id …],
        evidence: [{evidence_id, sha256, …}]}."""
        parts: list[tuple[str, Any]] = [("evidence", f) for f in files]
        if note:
            parts.append(("note", (None, note)))
        return await self._post("audit", f"/v1/supervision/inspections/{inspection_id}/evidence", self.inspector(),
                                201, files=parts)

    async def add_findings(self, inspection_id: str, findings: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """检查发现: {code (the kind's catalogue item), amount, description, evidence_ids} each → {added: [{finding_id
        …}], findings, amount}."""
        return await self._post("audit", f"/v1/supervision/inspections/{inspection_id}/findings", self.inspector(),
                                201, json={"findings": [dict(f) for f in findings]})

    async def end_inspection(self, inspection_id: str, ended_on: date | str) -> dict[str, Any]:
        """调查结束: the report falls due (hospital + 3 calendar days, pharmacy + 1, the agency + 3)."""
        return await self._post("audit", f"/v1/supervision/inspections/{inspection_id}/end", self.inspector(), 200,
                                json={"ended_on": str(ended_on)})

    async def file_report(self, inspection_id: str, summary: str,
                          reported_on: date | str | None = None) -> dict[str, Any]:
        """调查报告 (after the end; inspection.reported) → the report (reported_on, due_on, overdue, amount …)."""
        body: dict[str, Any] = {"summary": summary}
        if reported_on is not None:
            body["reported_on"] = str(reported_on)
        return await self._post("audit", f"/v1/supervision/inspections/{inspection_id}/report", self.inspector(),
                                201, json=body)

    async def report(self, inspection_id: str, institution_id: str | None = None) -> dict[str, Any]:
        """The report as the agency reads it, or (`institution_id`) as the institution itself does."""
        headers = self.institution(institution_id) if institution_id else self.agency()
        return await self._get("audit", f"/v1/supervision/inspections/{inspection_id}/report", headers)

    async def inspect(self, institution_id: str, started_on: date, ended_on: date | None = None,
                      reported_on: date | None = None, method: str = "daily_patrol",
                      team: Sequence[Mapping[str, str]] = TEAM, draw_id: str | None = None,
                      findings: Sequence[Mapping[str, Any]] | None = None, dossier: bool = True,
                      summary: str = "") -> dict[str, Any]:
        """An inspection from creation to report: opened → dossier (`dossier`) → checklist answered (the finding's
        items `finding`, the rest checked) → an evidence file (a PDF and a photo) → the findings (default: one of
        the kind's first catalogue item, 1,280.00 yuan, backed by the evidence) → ended (`ended_on`; None: left open
        after the evidence) → reported (`reported_on`; None: left ended, its report due).
        → {inspection_id, institution_id, evidence_id, evidence_ids, finding_ids, dossier, inspection, report}."""
        opened = await self.open_inspection(institution_id, started_on, method, team, draw_id=draw_id)
        iid = opened["inspection_id"]
        out: dict[str, Any] = {"inspection_id": iid, "institution_id": institution_id,
                               "institution_kind": opened["institution_kind"], "dossier": None, "report": None}
        if dossier:
            out["dossier"] = await self.dossier(iid)
        kind = opened["institution_kind"]
        codes = checklist_codes(kind)
        wanted = [dict(f) for f in findings] if findings is not None else [
            {"code": codes[0], "amount": "1280.00", "description": "现场核查发现违规收费，已固定证据"}]
        found_codes = {f["code"] for f in wanted}
        await self.answer_checklist(iid, [{"code": c, "answer": "checked", "note": "已查，未见问题"}
                                          for c in codes[:3] if c not in found_codes], others=None)
        added = await self.add_evidence(iid, [(f"{iid}-现场检查记录.pdf", evidence_pdf(f"inspection {iid}"),
                                               "application/pdf"),
                                              (f"{iid}-现场照片.png", evidence_png(len(iid) + sum(map(ord, iid))),
                                               "image/png")], note="现场检查记录与照片")
        out["evidence_ids"] = added["added"]
        out["evidence_id"] = added["added"][0] if added["added"] else None
        out["finding_ids"] = []
        if wanted:
            for f in wanted:
                f.setdefault("evidence_ids", out["evidence_ids"])
            recorded = await self.add_findings(iid, wanted)
            out["finding_ids"] = [f["finding_id"] for f in recorded["added"]]
        await self.answer_checklist(iid, (), others="checked")
        if ended_on is not None:
            await self.end_inspection(iid, ended_on)
            if reported_on is not None:
                out["report"] = await self.file_report(iid, summary or _summary(institution_id, wanted),
                                                       reported_on)
        out["inspection"] = await self.inspection(iid)
        return out

    # ---- record sampling (病历抽审) ----

    async def population(self, institution_id: str, kind: str, period_from: date | str, period_to: date | str,
                         records: Sequence[Mapping[str, str] | str]) -> dict[str, Any]:
        """抽审总体 (inspector): a hospital's medical_records or the agency's manual_reimbursements of at most the last
        two years → {population_id, count, sha256, …}."""
        return await self._post("audit", "/v1/supervision/record-populations", self.inspector(), 201, json={
            "institution_id": institution_id, "kind": kind, "period_from": str(period_from),
            "period_to": str(period_to), "records": [r if isinstance(r, str) else dict(r) for r in records]})

    async def draw_sample(self, population_id: str, seed: str | None = None,
                          inspection_id: str | None = None) -> dict[str, Any]:
        """抽审样本: ceil(2.5% × N) records drawn from the seed → {sample_id, size, records: [{record_id, rank}], …}
        (the population's sample drawn before: the same, 200)."""
        body: dict[str, Any] = {"population_id": population_id}
        if seed:
            body["seed"] = seed
        if inspection_id:
            body["inspection_id"] = inspection_id
        return await self._post("audit", "/v1/supervision/record-samples", self.inspector(), 200, 201, json=body)

    async def record_results(self, sample_id: str, results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """抽审结果 (the last one completes the sample: record_sample.completed) → the sample with problems,
        problem_rate, expected_rate, meets_expectation."""
        return await self._post("audit", f"/v1/supervision/record-samples/{sample_id}/results", self.inspector(), 200,
                                json={"results": [dict(r) for r in results]})

    async def sample_records(self, institution_id: str, kind: str, period_from: date, period_to: date, count: int,
                             problems: int | None = None, codes: Sequence[str] | None = None, seed: str | None = None,
                             inspection_id: str | None = None, answered: int | None = None) -> dict[str, Any]:
        """A population of `count` records → its sample → results for the first `answered` sampled records (all by
        default; `problems` of them problems with `codes`, default the kind's first catalogue items) →
        {population_id, sample_id, population, sample}."""
        prefix = "SB" if kind == "manual_reimbursements" else "BL"
        pop = await self.population(institution_id, kind, period_from, period_to,
                                    record_population(institution_id, period_from, period_to, count, prefix))
        sample = await self.draw_sample(pop["population_id"], seed, inspection_id)
        group = "agency" if kind == "manual_reimbursements" else "hospital"
        chosen = sample["records"][:answered] if answered is not None else sample["records"]
        if problems is None:
            problems = (len(sample["records"]) * 2 + 4) // 5   # 40%: the tender's expectation met
        if chosen:
            sample = await self.record_results(sample["sample_id"], sample_results(
                chosen, min(problems, len(chosen)), codes or violation_codes(group)[:3]))
        return {"population_id": pop["population_id"], "sample_id": sample["sample_id"], "population": pop,
                "sample": sample}

    # ---- tips, leads and cases (线索与案件) ----

    async def tip(self, institution_id: str, subject: str = "举报药店聚敛刷卡", detail: str = "",
                  name: str | None = None, phone: str | None = None, person_id: str | None = None) -> dict[str, Any]:
        """群众举报 through intake (`POST /v1/complaints`, kind tip naming the institution; a clerk takes it, the
        tip-giver anonymous unless named) → the complaint (complaint_id, institution_id, anonymous, due_on …)."""
        body: dict[str, Any] = {"kind": "tip", "institution_id": institution_id, "subject": subject,
                                "detail": detail or f"{institution_id} 夜间集中为多人刷卡购药，疑似聚敛刷卡"}
        body.update({k: v for k, v in (("name", name), ("phone", phone), ("person_id", person_id)) if v})
        return await self._post("intake", "/v1/complaints", self.auth("clerk", "clerk-1"), 201, json=body)

    async def lead(self, lead_id: str, timeout: float | None = None) -> dict[str, Any]:
        """A lead, waited for (a tip's lead `tip-<complaint id>` comes from intake's complaint.filed)."""
        async def probe() -> dict[str, Any] | None:
            r = await self.http.get(self._url("audit", f"/v1/supervision/leads/{lead_id}"), headers=self.inspector())
            return None if r.status_code == 404 else await self._ok(r)
        return await self._until(probe, f"lead {lead_id}", timeout)

    async def enter_lead(self, institution_id: str, source: str = "superior", summary: str = "上级交办线索",
                         detail: str = "", reference: str = "", origin: str = "") -> dict[str, Any]:
        """A lead from a superior (上级交办) or a department (部门移交), entered by the agency's supervisor →
        {lead_id, status open, …}."""
        return await self._post("audit", "/v1/supervision/leads", self.agency(), 201, json={
            "source": source, "institution_id": institution_id, "summary": summary, "detail": detail,
            "reference": reference or "克医保交〔2024〕1号", "origin": origin or "克拉玛依市医疗保障局"})

    async def verify_lead(self, lead_id: str, outcome: str = "substantiated",
                          note: str = "核查属实：调取刷卡记录与监控，情况属实") -> dict[str, Any]:
        """核查 (inspector): substantiated or unsubstantiated, with what was found."""
        return await self._post("audit", f"/v1/supervision/leads/{lead_id}/verification", self.inspector(), 200,
                                json={"outcome": outcome, "note": note})

    async def open_case(self, lead_id: str | None = None, inspection_id: str | None = None) -> dict[str, Any]:
        """立案 (inspector) from a substantiated lead or a reported inspection with findings (waits while audit's
        cases room has not yet taken in the inspection.reported) → the case (case_id, state open, findings …)."""
        body = {"lead_id": lead_id} if lead_id else {"inspection_id": inspection_id}
        return await self._retrying(lambda: self.http.post(self._url("audit", "/v1/supervision/cases"), json=body,
                                                           headers=self.inspector()),
                                    ("inspection_unknown",), f"the case of {lead_id or inspection_id}", 201)

    async def case_documents(self, case_id: str, files: Sequence[tuple[str, str, bytes, str]]) -> dict[str, Any]:
        """案卷材料 (multipart, a field per kind: (kind, filename, bytes, content type) each) → the case; its
        `documents` name each document_id."""
        parts = [(kind, (name, content, ctype)) for kind, name, content, ctype in files]
        return await self._post("audit", f"/v1/supervision/cases/{case_id}/documents", self.inspector(), 200,
                                files=parts)

    async def case_finding(self, case_id: str, code: str, amount: str, description: str = "",
                           document_ids: Sequence[str] = ()) -> dict[str, Any]:
        return await self._post("audit", f"/v1/supervision/cases/{case_id}/findings", self.inspector(), 200, json={
            "code": code, "amount": amount, "description": description, "document_ids": list(document_ids)})

    async def case_decision(self, case_id: str, kind: str, amount: str | None = None, document_id: str | None = None,
                            note: str = "", **dated: str) -> dict[str, Any]:
        """处理决定 (supervisor): recover / fine (with amount), warning, interview, rectify (rectify_by),
        suspend/terminate the agreement (effective_from), refer to the police."""
        body: dict[str, Any] = {"kind": kind, "note": note, **dated}
        if amount is not None:
            body["amount"] = amount
        if document_id:
            body["document_id"] = document_id
        return await self._post("audit", f"/v1/supervision/cases/{case_id}/decisions", self.agency(), 200, json=body)

    async def case_recovery(self, case_id: str, amount: str, recovered_on: date | str,
                            receipt_document_id: str) -> dict[str, Any]:
        """追回 (finance) with its receipt among the case's documents."""
        return await self._post("audit", f"/v1/supervision/cases/{case_id}/recoveries",
                                self.auth("finance", "finance-1"), 200, json={
                                    "amount": amount, "recovered_on": str(recovered_on),
                                    "receipt_document_id": receipt_document_id, "note": "已缴回医保基金专户"})

    async def close_case(self, case_id: str, note: str = "已追回违规金额，结案") -> dict[str, Any]:
        """结案 (supervisor; case.closed)."""
        return await self._post("audit", f"/v1/supervision/cases/{case_id}/closing", self.agency(), 200,
                                json={"note": note})

    async def case_file(self, case_id: str) -> dict[str, Any]:
        """One case file (案卷) as the inspector reads it."""
        return await self._get("audit", f"/v1/supervision/cases/{case_id}", self.inspector())

    async def export_case(self, case_id: str) -> dict[str, Any]:
        """The case file's export (zip: manifest, case, documents, checksums) → {content, sha256, version}."""
        r = await self.http.get(self._url("audit", f"/v1/supervision/cases/{case_id}/export"), headers=self.agency())
        if r.status_code != 200:
            await self._ok(r, 200)
        return {"content": r.content, "sha256": r.headers.get("x-content-sha256", ""),
                "version": r.headers.get("x-case-version", "")}

    async def tip_to_case(self, institution_id: str, code: str = "P01", amount: str = "3560.00",
                          recovered_on: date | str | None = None, close: bool = True,
                          export: bool = True) -> dict[str, Any]:
        """A public tip naming an institution that becomes a case: tip (intake) → its lead in audit → verified
        substantiated → a case → documents (the inquiry record, the decision letter, the receipt) → a finding with
        the catalogue code and amount → a decision to recover it → the recovery → closed → exported.
        → {complaint_id, lead_id, case_id, document_ids, case, export}."""
        complaint = await self.tip(institution_id)
        lead = await self.lead(f"tip-{complaint['complaint_id']}")
        await self.verify_lead(lead["lead_id"])
        case = await self.open_case(lead_id=lead["lead_id"])
        cid = case["case_id"]
        case = await self.case_documents(cid, [
            ("record", "询问笔录.pdf", evidence_pdf(f"inquiry record {cid}"), "application/pdf"),
            ("evidence", "刷卡记录截图.png", evidence_png(sum(map(ord, cid))), "image/png"),
            ("decision", "处理决定书.pdf", evidence_pdf(f"decision {cid}"), "application/pdf"),
            ("receipt", "缴款凭证.pdf", evidence_pdf(f"receipt {cid}"), "application/pdf")])
        docs = {d["kind"]: d["document_id"] for d in case["documents"]}
        out: dict[str, Any] = {"complaint_id": complaint["complaint_id"], "lead_id": lead["lead_id"], "case_id": cid,
                               "document_ids": docs, "export": None}
        await self.case_finding(cid, code, amount, "群众举报线索查实：夜间集中刷卡", [docs["record"], docs["evidence"]])
        case = await self.case_decision(cid, "recover", amount, docs["decision"], note="责令退回违规金额")
        if close:
            await self.case_recovery(cid, amount, recovered_on or case["opened_on"], docs["receipt"])
            case = await self.close_case(cid)
            if export:
                out["export"] = await self.export_case(cid)
        out["case"] = case
        return out

    # ---- the agency's internal audit (经办机构内部审核) ----

    async def open_agency_audit(self, period_from: date | str, period_to: date | str,
                                institution_id: str = AGENCY_ID, sample_id: str | None = None,
                                team: Sequence[str] = (TEAM[0]["inspector_id"], TEAM[1]["inspector_id"]),
                                title: str = "") -> dict[str, Any]:
        """An audit of the agency's manual reimbursements and payments (inspector) → {audit_id, state open, …}."""
        body: dict[str, Any] = {"title": title or "克拉玛依区医保经办机构内部审核", "institution_id": institution_id,
                                "period_from": str(period_from), "period_to": str(period_to), "team": list(team),
                                "scope": "手工报销申报材料抽审与基金支付凭证核对"}
        if sample_id:
            body["sample_id"] = sample_id
        return await self._post("audit", "/v1/supervision/agency-audits", self.inspector(), 201, json=body)

    async def agency_checks(self, audit_id: str, checks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        return await self._post("audit", f"/v1/supervision/agency-audits/{audit_id}/checks", self.inspector(), 200,
                                json={"checks": [dict(c) for c in checks]})

    async def agency_report(self, audit_id: str, conclusion: str = "", recommendations: str = "") -> dict[str, Any]:
        """The written report (检查报告, .docx with its sha256); the audit takes no more checks."""
        return await self._post("audit", f"/v1/supervision/agency-audits/{audit_id}/report", self.inspector(), 201,
                                json={"conclusion": conclusion or "手工报销审核制度基本健全，个别支付依据不全",
                                      "recommendations": recommendations or "完善手工报销复核流程，补齐支付凭证"})

    async def agency_audit_with_report(self, period_from: date, period_to: date, institution_id: str = AGENCY_ID,
                                       sample: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """An internal audit reading a sample of the agency's files: checks (the sampled files conforming but one,
        a payment nonconforming, A02) → its report. → {audit_id, audit, report}."""
        opened = await self.open_agency_audit(period_from, period_to, institution_id,
                                              sample["sample_id"] if sample else None)
        records = [r["record_id"] for r in (sample or {}).get("records", [])][:6] or [f"{institution_id}-SB000001"]
        checks: list[dict[str, Any]] = [{"area": "manual_reimbursement", "reference": rid, "record_id": rid,
                                         "result": "conforming"} for rid in records]
        checks.append({"area": "payment", "reference": "ZF-0001", "result": "nonconforming", "code": "A02",
                       "amount": "2400.00", "note": "支付凭证缺少审核人签字"})
        await self.agency_checks(opened["audit_id"], checks)
        report = await self.agency_report(opened["audit_id"])
        return {"audit_id": opened["audit_id"], "audit": opened, "report": report}

    # ---- credit evaluation (信用评价) ----

    async def rate(self, institution_id: str, year: int, rating: str = "good", note: str = "") -> dict[str, Any]:
        """配合监管检查情况 (inspector): good | fair | poor."""
        return await self._post("audit", "/v1/supervision/credit/ratings", self.inspector(), 201, json={
            "institution_id": institution_id, "year": year, "rating": rating, "note": note})

    async def credit_facts(self, year: int, institution_id: str, at_least: int = 1,
                           timeout: float | None = None) -> list[dict[str, Any]]:
        """Wait for the credit room to hold `at_least` facts of the institution's year (from the events of hits
        confirmed, inspections reported, samples completed and cases closed)."""
        async def probe() -> list[dict[str, Any]] | None:
            facts = (await self._get("audit", "/v1/supervision/credit/facts", self.inspector(), year=year,
                                     institution_id=institution_id))["facts"]
            return facts if len(facts) >= at_least else None
        return await self._until(probe, f"{at_least} credit facts of {institution_id} in {year}", timeout)

    async def evaluate(self, year: int, institution_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Draft evaluations of the year (inspector): each {evaluation_id, score, grade, deductions …}."""
        body: dict[str, Any] = {"year": year}
        if institution_ids is not None:
            body["institution_ids"] = list(institution_ids)
        return (await self._post("audit", "/v1/supervision/credit/evaluations", self.inspector(), 201,
                                 json=body))["evaluations"]

    async def approve_evaluation(self, evaluation_id: str, note: str = "审定通过") -> dict[str, Any]:
        """审定 by the agency's supervisor (credit.evaluated)."""
        return await self._post("audit", f"/v1/supervision/credit/evaluations/{evaluation_id}/approval",
                                self.agency(), 200, json={"note": note})

    async def evaluate_credit(self, year: int, institution_ids: Sequence[str] | None = None,
                              approve: bool = True) -> list[dict[str, Any]]:
        """Evaluate (and approve) → the evaluations as they stand."""
        drafts = await self.evaluate(year, institution_ids)
        if not approve:
            return drafts
        return [await self.approve_evaluation(e["evaluation_id"]) for e in drafts]

    # ---- one record of each kind (the role matrix, the fuzz) ----

    async def one_of_each(self, on: date) -> dict[str, str]:
        """One record of each kind, in a state that still takes the next step, for tests that try every door: the
        roster imported (and known to supervision), a screening with hits of every rule, the coverage plan, a draw,
        inspections (`inspection_id` ended with its evidence and a finding, its report due; `open_inspection_id`
        open; `reported_inspection_id` reported, read by its institution `institution_id`), a population and its
        sample half answered, a tip's lead verified into an open case with its documents, a superior's lead waiting,
        the agency's audit open with a check, a draft credit evaluation and an approved one. `on`: today (the
        business date). Every value an id: the path parameter's name where a door has one.

        → institution_id (KM-H001, a hospital with a report), other_institution_id (KM-H017: none of it is its),
        pharmacy_id, agency_id, hit_id, plan_id, draw_id, inspection_id, evidence_id, finding_id, open_inspection_id,
        reported_inspection_id, population_id, sample_id, complaint_id, tip_lead_id, lead_id, case_id, document_id,
        audit_id, evaluation_id, approved_evaluation_id."""
        hospital, pharmacy = "KM-H001", "KM-P001"
        await self.import_roster(roster(on=on))
        await self.supervised(161)
        month = f"{on.replace(day=1) - timedelta(days=1):%Y-%m}"
        claims, _ = screening_claims(hospital, "hospital", month, 0, clean=4)
        more, _ = screening_claims(pharmacy, "pharmacy", month, PERSONS_PER_INSTITUTION, clean=4)
        await self.screen(claims + more, f"one-of-each-{month}")
        [hit] = (await self.hits(institution=hospital, rule="duplicate_charge"))[:1]
        plan = await self.coverage_plan(on - timedelta(days=90), on + timedelta(days=90))
        draw = await self.draw(2, 2, kind="hospital", seed=f"one-of-each-{on}")
        reported = await self.inspect(hospital, on - timedelta(days=4), on - timedelta(days=3), on - timedelta(days=1))
        ended = await self.inspect("KM-H002", on - timedelta(days=2), on - timedelta(days=1))
        opened = await self.inspect(pharmacy, on, findings=[])
        sampled = await self.sample_records("KM-H003", "medical_records", on - timedelta(days=400), on, 400,
                                            answered=5, problems=2, seed="one-of-each")
        complaint = await self.tip("KM-P002")
        tip_lead = await self.lead(f"tip-{complaint['complaint_id']}")
        await self.verify_lead(tip_lead["lead_id"])
        case = await self.open_case(lead_id=tip_lead["lead_id"])
        case = await self.case_documents(case["case_id"], [
            ("evidence", "现场照片.png", evidence_png(1), "image/png"),
            ("record", "询问笔录.pdf", evidence_pdf("inquiry record"), "application/pdf")])
        waiting = await self.enter_lead("KM-H004")
        audit = await self.open_agency_audit(on - timedelta(days=200), on)
        await self.agency_checks(audit["audit_id"], [{"area": "payment", "reference": "ZF-0001",
                                                     "result": "conforming"}])
        [approved] = await self.evaluate_credit(on.year, [hospital])
        [draft] = await self.evaluate(on.year, ["KM-H005"])
        return {"institution_id": hospital, "other_institution_id": "KM-H017", "pharmacy_id": pharmacy,
                "agency_id": AGENCY_ID, "hit_id": hit["hit_id"], "plan_id": plan["plan_id"],
                "draw_id": draw["draw_id"], "inspection_id": ended["inspection_id"],
                "evidence_id": ended["evidence_id"], "finding_id": ended["finding_ids"][0],
                "open_inspection_id": opened["inspection_id"], "reported_inspection_id": reported["inspection_id"],
                "population_id": sampled["population_id"], "sample_id": sampled["sample_id"],
                "complaint_id": complaint["complaint_id"], "tip_lead_id": tip_lead["lead_id"],
                "lead_id": waiting["lead_id"], "case_id": case["case_id"],
                "document_id": case["documents"][0]["document_id"], "audit_id": audit["audit_id"],
                "evaluation_id": draft["evaluation_id"], "approved_evaluation_id": approved["evaluation_id"]}


def _summary(institution_id: str, findings: Sequence[Mapping[str, Any]]) -> str:
    found = "；".join(f"{f['code']} {f.get('amount', '0.00')}元" for f in findings) or "未发现违规问题"
    return f"对{institution_id}开展现场检查：核查检查清单全部事项，调取相关票据与病历。发现问题：{found}。"
