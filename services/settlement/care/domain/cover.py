"""Who is covered (待遇资格), from what disability assessment concluded (失能等级评定结论) and what ended it: a
conclusion starts the person's cover on its date with its grade when it is eligible (重度失能 lasting six months or
more); a later conclusion (objection, periodic re-check 待遇资格审查) replaces it from its own date; death (死亡 —
a clerk's notice, or a status survey that found the person deceased) and a move away (迁出, a status survey) end it.
Pure."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from services.settlement.care.domain.plans import Cover

# A cover that no day falls in (`check_record` answers `person_not_covered`).
NOT_COVERED_FROM = date.max


@dataclass(frozen=True)
class Conclusion:
    """One assessment's conclusion as appraisal published it (disability.concluded)."""

    assessment_id: str
    concluded_on: date
    grade: int
    eligible: bool
    recheck_due: date | None = None
    lot: str = ""
    kind: str = "initial"


@dataclass(frozen=True)
class PersonCover:
    """A person's conclusions in the order they arrived, and the dates that ended the cover. `died_on`: the latest
    death notice's date, else the first status survey that found the person deceased; `moved_on`: the first survey
    that found them moved away (a later conclusion, after they came back, covers them again)."""

    conclusions: tuple[Conclusion, ...] = ()
    death_notices: tuple[date, ...] = ()          # a clerk's notices (死亡通知), in the order recorded
    surveyed_deceased: tuple[date, ...] = ()
    surveyed_moved: tuple[date, ...] = ()
    sources: frozenset[str] = field(default_factory=frozenset)   # the ids of what was applied (idempotency)

    @property
    def died_on(self) -> date | None:
        if self.death_notices:
            return self.death_notices[-1]
        return min(self.surveyed_deceased) if self.surveyed_deceased else None

    @property
    def moved_on(self) -> date | None:
        return min(self.surveyed_moved) if self.surveyed_moved else None

    def in_force(self, day: date) -> Conclusion | None:
        """The conclusion in force on `day`: the latest concluded on or before it (of two on the same day, the one
        that arrived last)."""
        found: Conclusion | None = None
        for c in self.conclusions:
            if c.concluded_on <= day and (found is None or c.concluded_on >= found.concluded_on):
                found = c
        return found

    def grade_on(self, day: date) -> int | None:
        c = self.in_force(day)
        return None if c is None else c.grade

    def cover_on(self, day: date) -> Cover:
        """The cover `check_record` judges a record of `day` by."""
        c = self.in_force(day)
        if c is None or not c.eligible:
            return Cover(NOT_COVERED_FROM, died_on=self.died_on)
        moved = self.moved_on
        until = moved if moved is not None and moved >= c.concluded_on else None
        return Cover(c.concluded_on, until, self.died_on)

    def covered_on(self, day: date) -> bool:
        cover = self.cover_on(day)
        return (cover.covered_from <= day and (cover.covered_until is None or day <= cover.covered_until)
                and (cover.died_on is None or day <= cover.died_on))

    # ---- what changes it (each once: `source` is the event or notice id) ----

    def concluded(self, conclusion: Conclusion, source: str) -> PersonCover:
        if source in self.sources or any(c.assessment_id == conclusion.assessment_id for c in self.conclusions):
            return self
        return replace(self, conclusions=(*self.conclusions, conclusion), sources=self.sources | {source})

    def died(self, on: date, source: str) -> PersonCover:
        if source in self.sources:
            return self
        return replace(self, death_notices=(*self.death_notices, on), sources=self.sources | {source})

    def surveyed(self, status: str, on: date, source: str) -> PersonCover:
        """A status survey (失能人员基本状态调查): `deceased` and `moved` end the cover on its date; any other status
        changes nothing here."""
        if source in self.sources or status not in ("deceased", "moved"):
            return self
        if status == "deceased":
            return replace(self, surveyed_deceased=(*self.surveyed_deceased, on), sources=self.sources | {source})
        return replace(self, surveyed_moved=(*self.surveyed_moved, on), sources=self.sources | {source})

