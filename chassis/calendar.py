"""Chinese working days (工作日): the State Council's holiday schedule (国务院办公厅关于某年部分节假日安排的通知),
holidays and adjusted working weekends (调休) included.

Where a year's schedule comes from, first match wins:
1. **data** — `chassis/calendars/cn-<year>.yaml` (and any folder named in `JINGBAN_CALENDAR_DIR`): the notice
   transcribed by hand, so a newly published year is added without a release. Official.
2. **chinese_calendar** — the package's built-in schedules (2004–2026 in 1.11.0). Official.
3. **statutory** — for a year nobody has published yet: the statutory holidays of 《全国年节及纪念日放假办法》
   (the `holidays` package's China calendar, with its make-up days off when a holiday falls on a weekend) on a
   Monday–Friday week. **Provisional**: the real notice moves days around (调休), so a deadline that depends on
   such a day carries `provisional: true` and is worked out again once the official year is loaded.
   Up to `PROVISIONAL_YEARS` past the last official year; further out a date is refused, not guessed.

Stored deadlines: save `Deadline.stored()` (due date, `provisional`, the calendar) with the record and read it
back with `stored_deadline(record, recompute)`: an official deadline is kept as saved; a provisional one is
recomputed on every read, so it turns official (and possibly moves) as soon as the year's data is there.
Records saved before deadlines carried the flag were worked out on an official year (unknown years were refused
then) and are kept as saved.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

from chassis.errors import InvalidInput

DATA_DIR = Path(__file__).resolve().parent / "calendars"
DATA_DIR_ENV = "JINGBAN_CALENDAR_DIR"
PROVISIONAL_YEARS = 5

_CC_VERSION = getattr(chinese_calendar, "__version__", "")
CC_SOURCE = f"official:chinese_calendar-{_CC_VERSION}" if _CC_VERSION else "official:chinese_calendar"
# chinese_calendar names its holidays in English; the notices use these.
_CC_NAMES = {"New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节",
             "Labour Day": "劳动节", "Dragon Boat Festival": "端午节", "Mid-autumn Festival": "中秋节",
             "National Day": "国庆节", "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利纪念日"}


@dataclass(frozen=True)
class DayInfo:
    """One day as the calendar sees it: working or not, the holiday it belongs to (放假 or 调休上班)."""

    day: date
    working: bool
    name: str | None
    calendar: str
    provisional: bool


@dataclass(frozen=True)
class Deadline:
    """The day something is due by, and the calendar it was worked out on. `provisional`: a day it depends on
    lies in a year whose official schedule is not known yet (statutory holidays only)."""

    due: date
    provisional: bool
    calendar: str  # the sources consulted, "; "-joined: official:cn-2027.yaml, official:chinese_calendar-1.11.0 ...

    def as_json(self) -> dict[str, Any]:
        return {"due_on": self.due.isoformat(), "provisional": self.provisional, "calendar": self.calendar}

    def stored(self, prefix: str = "due") -> dict[str, Any]:
        """The fields to save with a record (`due_on`, `due_provisional`, `due_calendar`)."""
        return {f"{prefix}_on": self.due.isoformat(), f"{prefix}_provisional": self.provisional,
                f"{prefix}_calendar": self.calendar}


@dataclass(frozen=True)
class _OfficialYear:
    year: int
    calendar: str
    off: dict[date, str]       # 放假 days
    on: dict[date, str]        # 调休上班: weekend days worked


def _as_date(value: Any, where: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise InvalidInput(f"{where}: {value!r} is not a date (YYYY-MM-DD)", where) from exc


def parse_year_data(data: Mapping[str, Any], name: str) -> _OfficialYear:
    """A `cn-<year>.yaml` file: `year`, `source` (the notice), `holidays` ([{name, from, to}], inclusive) and
    `workdays` ([{date, for}], the adjusted working weekends). Refused whole when anything is off."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{name}: expected a mapping", name)
    try:
        year = int(data["year"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(f"{name}: `year` is required", f"{name}.year") from exc
    if name.startswith("cn-") and name != f"cn-{year}.yaml":
        raise InvalidInput(f"{name}: holds year {year}; name it cn-{year}.yaml", f"{name}.year")
    if not str(data.get("source") or "").strip():
        raise InvalidInput(f"{name}: `source` must name the State Council notice", f"{name}.source")
    off: dict[date, str] = {}
    for i, h in enumerate(data.get("holidays") or []):
        where = f"{name}.holidays[{i}]"
        if not isinstance(h, Mapping) or not str(h.get("name") or "").strip():
            raise InvalidInput(f"{where}: needs name, from, to", where)
        first, last = _as_date(h.get("from"), f"{where}.from"), _as_date(h.get("to", h.get("from")), f"{where}.to")
        if last < first or (last - first).days > 15:
            raise InvalidInput(f"{where}: {first}..{last} is not a holiday period", where)
        for n in range((last - first).days + 1):
            off[first + timedelta(days=n)] = str(h["name"])
    on: dict[date, str] = {}
    for i, w in enumerate(data.get("workdays") or []):
        where = f"{name}.workdays[{i}]"
        if not isinstance(w, Mapping):
            raise InvalidInput(f"{where}: needs date and for", where)
        day = _as_date(w.get("date"), f"{where}.date")
        if day.weekday() < 5:
            raise InvalidInput(f"{where}: {day} is a weekday; only weekend days are made working days", where)
        if day in off:
            raise InvalidInput(f"{where}: {day} is also listed as a holiday", where)
        on[day] = str(w.get("for") or "")
    if not off:
        raise InvalidInput(f"{name}: no holidays listed", f"{name}.holidays")
    stray = sorted(d for d in (*off, *on) if abs(d.year - year) > 1)
    if stray:
        raise InvalidInput(f"{name}: {stray[0]} is not in or next to {year}", name)
    return _OfficialYear(year, f"official:{name}", off, on)


class WorkingCalendar:
    """Working days from the data folders, then chinese_calendar, then the statutory holidays (provisional)."""

    def __init__(self, data_dirs: Iterable[Path] | None = None, use_chinese_calendar: bool = True) -> None:
        self.data_dirs = tuple(Path(d) for d in (data_dirs if data_dirs is not None else default_data_dirs()))
        self.use_chinese_calendar = use_chinese_calendar
        self.reload()

    def reload(self) -> None:
        """Read the data folders again (a newly published year becomes official from now on)."""
        years: dict[int, _OfficialYear] = {}
        for folder in self.data_dirs:
            for path in sorted(folder.glob("cn-*.yaml")) if folder.is_dir() else ():
                try:
                    data = yaml.safe_load(path.read_text(encoding="utf-8"))
                except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for a date like 2027-13-01
                    raise InvalidInput(f"{path.name} is not readable YAML: {exc}", path.name) from exc
                parsed = parse_year_data(data, path.name)
                years[parsed.year] = parsed  # a later folder overrides an earlier one
        self._data = years
        # A notice may reach into the next or previous year (元旦 from 12-31): its days win wherever they fall.
        self._named: dict[date, tuple[bool, str, str]] = {}
        for y in sorted(years.values(), key=lambda y: y.year):
            self._named.update({d: (False, n, y.calendar) for d, n in y.off.items()})
            self._named.update({d: (True, n, y.calendar) for d, n in y.on.items()})
        cc_years = ({d.year for d in chinese_calendar.holidays} if self.use_chinese_calendar else set())
        self._cc_years = frozenset(cc_years)
        self._official_years = frozenset(cc_years | set(years))
        self._last_official = max(self._official_years, default=date.today().year - 1)
        self._first_official = min(self._official_years, default=self._last_official)
        self._statutory: dict[int, Any] = {}

    def official_years(self) -> frozenset[int]:
        return self._official_years

    def is_official(self, year: int) -> bool:
        return year in self._official_years

    def day(self, day: date) -> DayInfo:
        named = self._named.get(day)
        if named is not None:
            return DayInfo(day, named[0], named[1], named[2], False)
        if day.year in self._data:
            return DayInfo(day, day.weekday() < 5, None, self._data[day.year].calendar, False)
        if day.year in self._cc_years:
            if day in chinese_calendar.workdays:
                return DayInfo(day, True, _CC_NAMES.get(chinese_calendar.workdays[day]), CC_SOURCE, False)
            if day in chinese_calendar.holidays:
                return DayInfo(day, False, _CC_NAMES.get(chinese_calendar.holidays[day]), CC_SOURCE, False)
            return DayInfo(day, day.weekday() < 5, None, CC_SOURCE, False)
        if day.year < self._first_official or day.year > self._last_official + PROVISIONAL_YEARS:
            # Too far from any known schedule to be a real deadline: a typo is likelier than a plan.
            raise InvalidInput(f"no holiday schedule is known for {day.year} (official: "
                               f"{self._first_official}–{self._last_official})", "date")
        statutory = self._statutory_year(day.year)
        return DayInfo(day, statutory.is_working_day(day), statutory.get(day), statutory_source(), True)

    def _statutory_year(self, year: int) -> Any:
        if year not in self._statutory:
            self._statutory[year] = _statutory_holidays(year)
        return self._statutory[year]

    def is_working_day(self, day: date) -> bool:
        return self.day(day).working

    def add_working_days(self, start: date, days: int) -> Deadline:
        """`days` working days after `start` (start itself not counted)."""
        if days < 0:
            raise InvalidInput("days must be >= 0", "days")
        current, left, seen = start, days, _Sources()
        while left:
            current += timedelta(days=1)
            info = self.day(current)
            seen.add(info)
            left -= info.working
        if not days:
            seen.add(self.day(start))
        return seen.deadline(current)

    def last_working_day_on_or_before(self, day: date) -> Deadline:
        """A deadline 'by' a day (…日前): that day if it is a working day, else the last working day before it.
        It never moves later."""
        current, seen = day, _Sources()
        while True:
            info = self.day(current)
            seen.add(info)
            if info.working:
                return seen.deadline(current)
            current -= timedelta(days=1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            count += self.is_working_day(current)
        return count


class _Sources:
    def __init__(self) -> None:
        self.calendars: list[str] = []
        self.provisional = False

    def add(self, info: DayInfo) -> None:
        if info.calendar not in self.calendars:
            self.calendars.append(info.calendar)
        self.provisional |= info.provisional

    def deadline(self, due: date) -> Deadline:
        return Deadline(due, self.provisional, "; ".join(self.calendars))


@cache
def statutory_source() -> str:
    from importlib.metadata import version

    return f"statutory:holidays-{version('holidays')}"


def _statutory_holidays(year: int) -> Any:
    """The statutory holidays of a year and their make-up days off (补假) when one falls on a weekend, as the
    `holidays` package's China calendar (a HolidayBase: `.get(day)` the name, `.is_working_day(day)`)."""
    import holidays

    return holidays.China(years=year, language="zh_CN")


def default_data_dirs() -> tuple[Path, ...]:
    extra = [Path(p) for p in os.environ.get(DATA_DIR_ENV, "").split(os.pathsep) if p]
    return (DATA_DIR, *extra)


_current: WorkingCalendar | None = None


def working_calendar() -> WorkingCalendar:
    """The process's calendar (data folders read once; `reload_calendar()` reads them again)."""
    global _current
    if _current is None:
        _current = WorkingCalendar()
    return _current


def set_calendar(calendar: WorkingCalendar | None) -> WorkingCalendar | None:
    """Use another calendar (tests); None goes back to the default. Returns the one in use before."""
    global _current
    previous, _current = _current, calendar
    return previous


def reload_calendar() -> None:
    working_calendar().reload()


def is_working_day(day: date) -> bool:
    return working_calendar().is_working_day(day)


def is_provisional(day: date) -> bool:
    """True when the day's year has no official schedule yet."""
    return working_calendar().day(day).provisional


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself not counted)."""
    return working_calendar().add_working_days(start, days).due


def working_days_after(start: date, days: int) -> Deadline:
    """As add_working_days, with whether the result is provisional and the calendar used."""
    return working_calendar().add_working_days(start, days)


def due_by(day: date) -> Deadline:
    """'By' a day (…日前): the day itself when working, else the last working day before it; never later."""
    return working_calendar().last_working_day_on_or_before(day)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]."""
    return working_calendar().working_days_between(start, end)


def nth_working_day_on_or_before(year: int, month: int, day: int) -> date:
    """Deadline like 'by the 10th': the 10th if it is a working day, else the working day before it."""
    return due_by(date(year, month, day)).due


def stored_deadline(record: Mapping[str, Any], recompute: Callable[[], Deadline], prefix: str = "due"
                    ) -> Deadline | None:
    """A deadline saved with `Deadline.stored(prefix)`: kept as saved when official, recomputed with the calendar
    as it is now when it was provisional. None when the record has no such deadline."""
    saved = record.get(f"{prefix}_on")
    if not saved:
        return None
    if record.get(f"{prefix}_provisional"):
        return recompute()
    return Deadline(date.fromisoformat(saved), False, str(record.get(f"{prefix}_calendar") or CC_SOURCE))


def refreshed(record: Mapping[str, Any], recompute: Callable[[], Deadline], prefix: str = "due"
              ) -> dict[str, Any]:
    """The record with its stored deadline (`Deadline.stored(prefix)`) worked out again when it was provisional;
    an official one is left as saved. A copy: the caller decides whether to save it."""
    if not record.get(f"{prefix}_provisional"):
        return dict(record)
    return {**record, **recompute().stored(prefix)}


def deadline_view(record: Mapping[str, Any], prefix: str = "due") -> dict[str, Any] | None:
    """How an API shows a stored deadline: {due_on, provisional, calendar}. Records saved before deadlines
    carried their calendar were worked out on an official year."""
    if not record.get(f"{prefix}_on"):
        return None
    return {"due_on": record[f"{prefix}_on"], "provisional": bool(record.get(f"{prefix}_provisional")),
            "calendar": str(record.get(f"{prefix}_calendar") or "official")}


BUSINESS_DATE_ENV = "JINGBAN_BUSINESS_DATE"


def today_cn() -> date:
    """Today in China Standard Time: business dates follow Beijing time, not the server's zone.

    `JINGBAN_BUSINESS_DATE` (YYYY-MM-DD), when set, is the business date (业务日期) instead: for replaying a period,
    training and tests whose data belong to a fixed year (a 2025 statement is paid within the 2025 books' window
    whatever year the suite runs in). Unset in production; a malformed value stops the caller rather than guessing."""
    pinned = os.environ.get(BUSINESS_DATE_ENV)
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError as exc:
            raise RuntimeError(f"{BUSINESS_DATE_ENV}={pinned!r} is not a date (YYYY-MM-DD)") from exc
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def day_cn(instant: str) -> date:
    """The Beijing calendar date of an RFC 3339 instant (a naive one is taken as Beijing time already)."""
    from zoneinfo import ZoneInfo

    moment = datetime.fromisoformat(instant)
    return moment.date() if moment.tzinfo is None else moment.astimezone(ZoneInfo("Asia/Shanghai")).date()
