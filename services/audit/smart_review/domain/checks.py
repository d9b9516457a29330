"""One check per rule (审核规则的实现): each reads the `Book` (the claims' lines with their catalogue items, built
once) and yields its hits. Everything is grouped with dicts and sorted once — no check compares every line with
every other — so a million lines take one pass per rule.

Amounts in question (yuan, half up to the fen): over_price (unit price − max price) × quantity; duplicate_charge every
line of the group but the first (by claim id, line id); unbundling the included item's lines; sex/age/goods the
line's amount; over_quantity the excess quantity valued from the latest lines back; duplicate_medication the later
line's amount; split_admission the later stay's total; phantom_bed that day's bed lines; card_pooling the claim's
total. Details name items, institutions, dates and limits, never the person."""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from services.audit.smart_review.domain.catalogue import Catalogue, CatalogueItem
from services.audit.smart_review.domain.claims import Claim, Line
from services.audit.smart_review.domain.hits import Hit
from services.audit.smart_review.domain.reasons import REASONS
from services.audit.smart_review.domain.rules import Settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# A line as the checks read it: its claim, the line, its catalogue item (None: not in the catalogue).
Entry = tuple[Claim, Line, CatalogueItem | None]


def _yuan(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _order(entry: Entry) -> tuple[str, str]:
    return entry[0].claim_id, entry[1].line_id


def _q(quantity: Decimal) -> str:
    """A quantity as people write it: 3, not 3.000."""
    return format(quantity.normalize(), "f")


def _period(start: date, end: date) -> str:
    return f"on {start}" if start == end else f"{start}–{end}"


def age_on(birth: date, on: date) -> int:
    """Whole years on `on` (周岁): one more on each birthday (born on 29 February: on 1 March in other years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@dataclass
class Book:
    """What the checks read, built once per review. With `new` (the claims under review), the per-line rules read
    only the new claims' lines, the per-person rules only the lines of persons with a new claim, card pooling only
    the pharmacies of new claims around their settlement times: hits touching a new claim come out the same as over
    the whole history, at the cost of the new claims."""

    catalogue: Catalogue
    claims: list[Claim]             # claims of the persons the per-person rules read
    entries: list[Entry]            # their lines
    line_entries: list[Entry]       # lines the per-line rules read
    pooling_claims: list[Claim]     # pharmacy claims with a settlement time card pooling reads
    new: frozenset[str] | None      # claim ids under review (None: every claim)

    @classmethod
    def build(cls, catalogue: Catalogue, claims: Iterable[Claim], new: Iterable[str] | None,
              pooling_minutes: int) -> Book:
        item_of = catalogue.items.get
        every = claims if isinstance(claims, list) else list(claims)
        if new is None:
            entries = [(c, line, item_of(line.item_code)) for c in every for line in c.lines]
            pooling = [c for c in every if c.institution_kind == "pharmacy" and c.settled_at is not None]
            return cls(catalogue, every, entries, entries, pooling, None)
        fresh = frozenset(new)
        new_claims = [c for c in every if c.claim_id in fresh]
        persons = {c.person_id for c in new_claims}
        # A pooling window holding a new claim reaches at most pooling_minutes either side of it: only the claims
        # of the new claims' pharmacies settled that close to one of them are read.
        reach = timedelta(minutes=pooling_minutes)
        moments: dict[str, list[datetime]] = {}
        for c in new_claims:
            if c.institution_kind == "pharmacy" and c.settled_at is not None:
                moments.setdefault(c.institution, []).append(c.settled_at)
        for times in moments.values():
            times.sort()
        mine, pooling = [], []
        for c in every:
            if c.person_id in persons:
                mine.append(c)
            times = moments.get(c.institution) if c.settled_at is not None else None
            if times is not None and c.institution_kind == "pharmacy":
                at = c.settled_at
                assert at is not None
                try:
                    low, high = at - reach, at + reach
                except OverflowError:  # settled within pooling_minutes of the calendar's first or last moment
                    low, high = _shifted(at, -reach), _shifted(at, reach)
                i = bisect_left(times, low)
                if i < len(times) and times[i] <= high:
                    pooling.append(c)
        entries = [(c, line, item_of(line.item_code)) for c in mine for line in c.lines]
        line_entries = [(c, line, item_of(line.item_code)) for c in new_claims for line in c.lines]
        return cls(catalogue, mine, entries, line_entries, pooling, fresh)

    def is_new(self, claim_id: str) -> bool:
        return self.new is None or claim_id in self.new

    def lead(self, ordered: list[Entry]) -> str:
        """The claim a hit over several lines is charged to: the first new claim in `ordered`, else the first."""
        for entry in ordered:
            if self.is_new(entry[0].claim_id):
                return entry[0].claim_id
        return ordered[0][0].claim_id


def _hit(rule: str, claim_id: str, lines: Iterable[Line], amount: Decimal, detail: str, **params: object) -> Hit:
    return Hit(rule, claim_id, tuple(line.line_id for line in lines), _yuan(amount),
               REASONS.reason(rule, detail, **params))


# ---- per line ------------------------------------------------------------------------------------------------


def over_price(book: Book, settings: Settings) -> Iterator[Hit]:
    """超标准收费: a line's unit price above the item's max_price; (unit price − max price) × quantity."""
    for claim, line, item in book.line_entries:
        if item is not None and item.max_price is not None and line.unit_price > item.max_price:
            over = (line.unit_price - item.max_price) * line.quantity
            yield _hit("over_price", claim.claim_id, (line,), over,
                       f"{item.code} billed at {line.unit_price:.2f} a unit on {line.date}, above its maximum price "
                       f"{item.max_price:.2f} (quantity {_q(line.quantity)}: {_yuan(over):.2f} over)",
                       item=item.code, date=line.date, unit_price=f"{line.unit_price:.2f}",
                       max_price=f"{item.max_price:.2f}", quantity=_q(line.quantity))


def sex_restricted(book: Book, settings: Settings) -> Iterator[Hit]:
    """限性别: the item is for one sex, the person is of the other; the line's amount."""
    for claim, line, item in book.line_entries:
        if item is not None and item.sex is not None and claim.sex != item.sex:
            yield _hit("sex_restricted", claim.claim_id, (line,), line.amount,
                       f"{item.code} ({item.name}) is for sex {item.sex} only; billed on {line.date} for a person of "
                       f"sex {claim.sex}", item=item.code, date=line.date, item_sex=item.sex, person_sex=claim.sex)


def age_restricted(book: Book, settings: Settings) -> Iterator[Hit]:
    """限年龄: the person's whole years on the line's date outside min_age..max_age (both inclusive)."""
    for claim, line, item in book.line_entries:
        if item is None or (item.min_age is None and item.max_age is None):
            continue
        age = age_on(claim.birth_date, line.date)
        if (item.min_age is not None and age < item.min_age) or (item.max_age is not None and age > item.max_age):
            low = "" if item.min_age is None else str(item.min_age)
            high = "" if item.max_age is None else str(item.max_age)
            yield _hit("age_restricted", claim.claim_id, (line,), line.amount,
                       f"{item.code} ({item.name}) is for ages {low or '0'}–{high or 'any'}; billed on {line.date} "
                       f"for a person aged {age}", item=item.code, date=line.date, min_age=low, max_age=high, age=age)


def non_medical_goods(book: Book, settings: Settings) -> Iterator[Hit]:
    """At a pharmacy, a line of kind goods (daily goods, cosmetics) or an item not in the catalogue."""
    for claim, line, item in book.line_entries:
        if claim.institution_kind != "pharmacy":
            continue
        if item is None:
            yield _hit("non_medical_goods", claim.claim_id, (line,), line.amount,
                       f"{line.item_code} sold at pharmacy {claim.institution} on {line.date} is not in the "
                       f"catalogue", item=line.item_code, institution=claim.institution, date=line.date,
                       in_catalogue="false")
        elif item.kind == "goods":
            yield _hit("non_medical_goods", claim.claim_id, (line,), line.amount,
                       f"{item.code} ({item.name}) sold at pharmacy {claim.institution} on {line.date} is goods, not "
                       f"a medical item", item=item.code, institution=claim.institution, date=line.date,
                       in_catalogue="true")


# ---- per person ----------------------------------------------------------------------------------------------


def duplicate_charge(book: Book, settings: Settings) -> Iterator[Hit]:
    """重复收费: the same person, institution, item, date, quantity and unit price more than once; one hit per
    group over all its lines, the amount of every line but the first."""
    # Lines are first met by (person, institution, item, date) — a short key, and a repeat is rare — and only the
    # repeats are then told apart by quantity and unit price.
    first: dict[tuple[str, str, str, date], Entry] = {}
    repeats: dict[tuple[str, str, str, date], list[Entry]] = {}
    for entry in book.entries:
        claim, line, _ = entry
        key = (claim.person_id, claim.institution, line.item_code, line.date)
        seen = first.setdefault(key, entry)
        if seen is not entry:
            same_day = repeats.get(key)
            if same_day is None:
                repeats[key] = [seen, entry]
            else:
                same_day.append(entry)
    for (_, institution, code, on), same_day in repeats.items():
        groups: dict[tuple[Decimal, Decimal], list[Entry]] = {}
        for entry in same_day:
            groups.setdefault((entry[1].quantity, entry[1].unit_price), []).append(entry)
        for (quantity, price), group in groups.items():
            if len(group) < 2:
                continue
            group.sort(key=_order)
            claims = len({e[0].claim_id for e in group})
            yield _hit("duplicate_charge", book.lead(group), (e[1] for e in group),
                       sum(e[1].amount for e in group[1:]),
                       f"{code} billed {len(group)} times at {institution} on {on} (quantity {_q(quantity)} at "
                       f"{price:.2f}) in {claims} claim(s)", item=code, institution=institution, date=on,
                       quantity=_q(quantity), unit_price=f"{price:.2f}", times=len(group))


def unbundling(book: Book, settings: Settings) -> Iterator[Hit]:
    """分解收费: an item billed on a date on which an item that includes it was billed for the person at the same
    institution; one hit per included item, person, institution and date, on the included item's lines."""
    included_by = book.catalogue.included_by
    if not included_by:
        return
    packages: dict[tuple[str, str, date], set[str]] = {}
    for claim, line, item in book.entries:
        if item is not None and item.includes:
            packages.setdefault((claim.person_id, claim.institution, line.date), set()).add(line.item_code)
    if not packages:
        return
    groups: dict[tuple[str, str, date, str], list[Entry]] = {}
    for entry in book.entries:
        claim, line, _ = entry
        parents = included_by.get(line.item_code)
        if parents:
            billed = packages.get((claim.person_id, claim.institution, line.date))
            if billed and not billed.isdisjoint(parents):
                groups.setdefault((claim.person_id, claim.institution, line.date, line.item_code), []).append(entry)
    for (person, institution, on, code), group in groups.items():
        group.sort(key=_order)
        billed = packages[(person, institution, on)]
        including = ", ".join(sorted(p for p in included_by[code] if p in billed))
        yield _hit("unbundling", book.lead(group), (e[1] for e in group), sum(e[1].amount for e in group),
                   f"{code} billed at {institution} on {on} although {including}, which includes it, was billed "
                   f"there the same day", item=code, included_in=including, institution=institution, date=on)


def over_quantity(book: Book, settings: Settings) -> Iterator[Hit]:
    """超量: a person's total quantity of an item on a date, across institutions, above max_daily_quantity (equal
    to it is within); one hit per person, item and date on all those lines, the excess valued from the latest
    lines back (latest: settled last, then by claim id and line id)."""
    groups: dict[tuple[str, str, date], list[Entry]] = {}
    for entry in book.entries:
        item = entry[2]
        if item is not None and item.max_daily_quantity is not None:
            groups.setdefault((entry[0].person_id, entry[1].item_code, entry[1].date), []).append(entry)
    for (_, code, on), group in groups.items():
        limit = group[0][2].max_daily_quantity  # type: ignore[union-attr]
        assert limit is not None
        total = sum(e[1].quantity for e in group) if len(group) > 1 else group[0][1].quantity
        if total <= limit:
            continue
        group.sort(key=lambda e: (e[0].settled_at or datetime.min, e[0].claim_id, e[1].line_id))
        excess, amount = total - limit, ZERO
        for _, line, _ in reversed(group):
            take = min(excess, line.quantity)
            amount += take * line.unit_price
            excess -= take
            if not excess:
                break
        latest_new = next((e[0].claim_id for e in reversed(group) if book.is_new(e[0].claim_id)), group[-1][0].claim_id)
        institutions = ", ".join(sorted({e[0].institution for e in group}))
        yield _hit("over_quantity", latest_new, (e[1] for e in sorted(group, key=_order)), amount,
                   f"{code}: quantity {_q(total)} on {on} at {institutions}, above the daily maximum {_q(limit)} "
                   f"({_q(total - limit)} over)", item=code, date=on, quantity=_q(total), max_daily_quantity=_q(limit),
                   institutions=institutions)


_SPANS = {n: timedelta(days=n - 1) for n in range(1, 367)}


def _span(days_supply: int | None) -> timedelta:
    """From a supply's first day to its last (a line built by hand may carry any whole number: below 1 is 1)."""
    return timedelta(days=max(days_supply or 1, 1) - 1)


def _supply_end(line: Line) -> date:
    """A supply's last day; one running past the calendar's last day ends on it."""
    try:
        return line.date + _span(line.days_supply)
    except OverflowError:
        return date.max


def _shifted(moment: datetime, by: timedelta) -> datetime:
    """A moment moved by `by`, held at the calendar's first or last moment when it would pass it."""
    try:
        return moment + by
    except OverflowError:
        return datetime.max if by > timedelta(0) else datetime.min


def duplicate_medication(book: Book, settings: Settings) -> Iterator[Hit]:
    """重复用药: two drug lines of one ingredient (the item code when the catalogue gives none) for the person in
    different claims whose supply periods [date, date + days_supply − 1] overlap (the later starts on or before the
    earlier's last day; a line without days_supply supplies its own date). One hit per later line, on both lines:
    the later one and the earlier supply it overlaps most (ties: the one that started first), charged to the later
    line's claim, the later line's amount, with how many earlier supplies it overlaps. Not a hit per pair: a person's
    k supplies of one drug on one day would make k(k-1)/2 hits, each charging the same line again (an upload of
    20 claims a person did make 380,000 hits of 20,000 lines)."""
    groups: dict[tuple[str, str], list[Entry]] = {}
    for entry in book.entries:
        item = entry[2]
        if item is not None and item.kind == "drug":
            groups.setdefault((entry[0].person_id, item.ingredient or item.code), []).append(entry)
    spans = _SPANS
    for (_, ingredient), group in groups.items():
        if len(group) < 2:
            continue
        claim_ids = {e[0].claim_id for e in group}
        if len(claim_ids) < 2:
            continue
        try:
            periods = sorted((e[1].date, e[1].date + (spans.get(e[1].days_supply or 1) or _span(e[1].days_supply)),
                              e[0].claim_id, e[1].line_id, e) for e in group)
        except OverflowError:  # a supply running past 9999-12-31 (rare: the slower way only then)
            periods = sorted((e[1].date, _supply_end(e[1]), e[0].claim_id, e[1].line_id, e) for e in group)
        # Most persons' supplies follow one another: no start on or before a running end, nothing to pair.
        reach = periods[0][1]
        for period in periods[1:]:
            if period[0] <= reach:
                break
            reach = period[1] if period[1] > reach else reach
        else:
            continue
        active: list[tuple[date, int, date, Entry]] = []  # heap by end: supplies still running
        for seq, (start, end, claim_id, _, entry) in enumerate(periods):
            while active and active[0][0] < start:
                heapq.heappop(active)
            others = [a for a in active if a[3][0].claim_id != claim_id]
            if others:
                # The most days in common; among equals the supply that started first.
                earlier_end, _, earlier_start, earlier = min(
                    others, key=lambda a: (-(min(a[0], end) - start).days, a[2], _order(a[3])))
                days = (min(earlier_end, end) - start).days + 1
                later = entry[1]
                more = f" and {len(others) - 1} other supply(ies)" if len(others) > 1 else ""
                yield _hit("duplicate_medication", claim_id, (earlier[1], later), later.amount,
                           f"{ingredient}: {later.item_code} supplied {_period(start, end)} (claim {claim_id}) "
                           f"overlaps {earlier[1].item_code} supplied {_period(earlier_start, earlier_end)} (claim "
                           f"{earlier[0].claim_id}) by {days} day(s){more}", ingredient=ingredient,
                           item=later.item_code, start=start, end=end, earlier_item=earlier[1].item_code,
                           earlier_start=earlier_start, earlier_end=earlier_end, overlap_days=days,
                           overlapping_supplies=len(others))
            heapq.heappush(active, (end, seq, start, entry))


def split_admission(book: Book, settings: Settings) -> Iterator[Hit]:
    """分解住院: an inpatient stay admitted at the same institution 0..readmission_days days after the discharge of
    the person's latest earlier stay there (15 → hit, 16 → none with the default); on the later claim, its total."""
    stays: dict[tuple[str, str], list[Claim]] = {}
    for claim in book.claims:
        if claim.kind == "inpatient" and claim.admitted_on is not None:
            stays.setdefault((claim.person_id, claim.institution), []).append(claim)
    limit = settings.readmission_days
    for (_, institution), group in stays.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda c: (c.admitted_on, c.discharged_on or date.max, c.claim_id))
        discharges: list[tuple[date, str]] = []  # earlier stays' (discharged_on, claim id), sorted
        for claim in group:
            admitted = claim.admitted_on
            assert admitted is not None
            i = bisect_right(discharges, admitted, key=lambda d: d[0])
            if i:
                discharged, earlier = discharges[i - 1]
                gap = (admitted - discharged).days
                if gap <= limit:
                    yield _hit("split_admission", claim.claim_id, claim.lines, claim.total,
                               f"admitted at {institution} on {admitted}, {gap} day(s) after the discharge on "
                               f"{discharged} (claim {earlier}); readmission within {limit} days",
                               institution=institution, admitted_on=admitted, earlier_claim=earlier,
                               earlier_discharged_on=discharged, gap_days=gap, readmission_days=limit)
            if claim.discharged_on is not None:
                insort(discharges, (claim.discharged_on, claim.claim_id))


def phantom_bed(book: Book, settings: Settings) -> Iterator[Hit]:
    """挂床住院: a day with a bed charge for the person at an institution and no drug or service line there that
    day; on that day's bed lines."""
    beds: dict[tuple[str, str, date], list[Entry]] = {}
    for entry in book.entries:
        item = entry[2]
        if item is not None and item.kind == "bed":
            beds.setdefault((entry[0].person_id, entry[0].institution, entry[1].date), []).append(entry)
    if not beds:
        return
    for claim, line, item in book.entries:
        if item is not None and (item.kind == "drug" or item.kind == "service"):
            beds.pop((claim.person_id, claim.institution, line.date), None)
    for (_, institution, on), group in beds.items():
        group.sort(key=_order)
        codes = ", ".join(sorted({e[1].item_code for e in group}))
        yield _hit("phantom_bed", book.lead(group), (e[1] for e in group), sum(e[1].amount for e in group),
                   f"bed charged at {institution} on {on} ({codes}) with no drug or service line that day",
                   institution=institution, date=on, items=codes)


_EPOCH = datetime(2000, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


# ---- per pharmacy --------------------------------------------------------------------------------------------


def card_pooling(book: Book, settings: Settings) -> Iterator[Hit]:
    """聚敛刷卡: at one pharmacy, claims of at least pooling_persons different persons settled within
    pooling_minutes of each other (both ends inclusive: 10:00 and 10:10 are one window of 10 minutes); one hit per
    claim in any such window, on all its lines, its total."""
    span = timedelta(minutes=settings.pooling_minutes) // _MICROSECOND
    needed = settings.pooling_persons
    pharmacies: dict[str, list[Claim]] = {}
    for claim in book.pooling_claims:
        pharmacies.setdefault(claim.institution, []).append(claim)
    for institution, group in pharmacies.items():
        if len(group) < needed:
            continue
        group.sort(key=lambda c: (c.settled_at, c.claim_id))
        # times as whole microseconds: the window's test is then a subtraction of integers
        times = [(c.settled_at - _EPOCH) // _MICROSECOND for c in group]  # type: ignore[operator]
        persons: dict[str, int] = {}
        left, marked = 0, -1
        windows: list[tuple[int, int, int, int]] = []  # (claim index, window start, end, persons)
        for right, claim in enumerate(group):
            persons[claim.person_id] = persons.get(claim.person_id, 0) + 1
            at = times[right]
            while at - times[left] > span:
                gone = group[left].person_id
                persons[gone] -= 1
                if not persons[gone]:
                    del persons[gone]
                left += 1
            if len(persons) >= needed:
                # Each claim is flagged once, by the first window that holds it.
                for k in range(max(left, marked + 1), right + 1):
                    windows.append((k, left, right, len(persons)))
                marked = right
        for k, start, end, count in windows:
            claim = group[k]
            first, last = group[start].settled_at, group[end].settled_at
            assert first is not None and last is not None
            yield _hit("card_pooling", claim.claim_id, claim.lines, claim.total,
                       f"{count} different persons' claims settled at pharmacy {institution} between "
                       f"{first.isoformat(sep=' ')} and {last.isoformat(sep=' ')} (the rule: {needed} or more within "
                       f"{settings.pooling_minutes} minutes)", institution=institution, window_start=first.isoformat(),
                       window_end=last.isoformat(), persons=count, pooling_persons=needed,
                       pooling_minutes=settings.pooling_minutes)


CHECKS: dict[str, Callable[[Book, Settings], Iterator[Hit]]] = {
    "over_price": over_price,
    "duplicate_charge": duplicate_charge,
    "unbundling": unbundling,
    "sex_restricted": sex_restricted,
    "age_restricted": age_restricted,
    "over_quantity": over_quantity,
    "duplicate_medication": duplicate_medication,
    "split_admission": split_admission,
    "phantom_bed": phantom_bed,
    "non_medical_goods": non_medical_goods,
    "card_pooling": card_pooling,
}
