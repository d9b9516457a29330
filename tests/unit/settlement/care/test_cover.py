"""Who is covered on a day: conclusions start and replace the cover, death and moving away end it."""

from __future__ import annotations

from datetime import date

from services.settlement.care.domain.cover import Conclusion, PersonCover


def concluded(cover: PersonCover, aid: str, on: date, grade: int = 4, eligible: bool = True) -> PersonCover:
    return cover.concluded(Conclusion(aid, on, grade, eligible), f"ev-{aid}")


def test_cover_begins_at_the_conclusion_and_a_later_one_replaces_it() -> None:
    cover = concluded(PersonCover(), "a1", date(2026, 2, 10), grade=5)
    assert not cover.covered_on(date(2026, 2, 9))
    assert cover.covered_on(date(2026, 2, 10)) and cover.grade_on(date(2026, 3, 1)) == 5
    cover = concluded(cover, "a2", date(2026, 6, 1), grade=2, eligible=False)   # a re-check found it mild
    assert cover.covered_on(date(2026, 5, 31)) and not cover.covered_on(date(2026, 6, 1))
    assert cover.grade_on(date(2026, 6, 1)) == 2


def test_the_same_assessment_or_event_counts_once() -> None:
    cover = concluded(PersonCover(), "a1", date(2026, 2, 10))
    again = cover.concluded(Conclusion("a1", date(2026, 9, 1), 3, True), "other-event")
    assert again is cover
    assert cover.died(date(2026, 4, 1), "n1").died(date(2026, 5, 1), "n1").died_on == date(2026, 4, 1)


def test_death_ends_the_cover_after_its_day_and_a_later_notice_corrects_it() -> None:
    cover = concluded(PersonCover(), "a1", date(2026, 2, 10)).died(date(2026, 3, 15), "n1")
    assert cover.covered_on(date(2026, 3, 15)) and not cover.covered_on(date(2026, 3, 16))
    assert cover.cover_on(date(2026, 3, 16)).died_on == date(2026, 3, 15)
    assert cover.died(date(2026, 3, 20), "n2").died_on == date(2026, 3, 20)
    surveyed = concluded(PersonCover(), "a1", date(2026, 2, 10)).surveyed("deceased", date(2026, 7, 1), "s1")
    assert surveyed.died_on == date(2026, 7, 1)
    assert surveyed.surveyed("improved", date(2026, 8, 1), "s2") is surveyed


def test_moving_away_ends_the_cover_until_a_new_conclusion() -> None:
    cover = concluded(PersonCover(), "a1", date(2026, 2, 10)).surveyed("moved", date(2026, 5, 1), "s1")
    assert cover.covered_on(date(2026, 5, 1)) and not cover.covered_on(date(2026, 5, 2))
    back = concluded(cover, "a2", date(2026, 9, 1))
    assert back.covered_on(date(2026, 9, 2)) and not back.covered_on(date(2026, 8, 1))


def test_no_conclusion_no_cover() -> None:
    assert not PersonCover().covered_on(date(2026, 1, 1))
    assert PersonCover().in_force(date(2026, 1, 1)) is None
