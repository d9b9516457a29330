"""Grading from the scale data (programs/wz-ltc/assessment-sample-2021.yaml): item scores → levels → grade."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.appraisal.disability.domain.scale import grade, load_scale, parse_scale

SCALE = load_scale()


def scores(adl: int | None = None, cognition: int | None = None, perception: int | None = None) -> dict[str, Any]:
    """Every item at its best, or at `value` where the allowed scores hold it (else the closest below)."""
    out: dict[str, dict[str, int]] = {}
    for code, wanted in (("adl", adl), ("cognition", cognition), ("perception", perception)):
        items = SCALE.indicators[code].items
        out[code] = {item: allowed[-1] for item, (_, allowed) in items.items()}
        if wanted is not None:  # spread the wanted total over the items, best first
            left = wanted
            for item, (_, allowed) in items.items():
                take = max(s for s in allowed if s <= left)
                out[code][item] = take
                left -= take
            assert left == 0, (code, wanted)
    return out


def test_the_sample_is_labelled_and_every_conclusion_records_the_version() -> None:
    assert SCALE.sample and "SAMPLE" in SCALE.label
    g = grade(SCALE, scores())
    assert (g.grade, g.grade_name, g.version) == (0, "基本正常", "wz-ltc-assessment-sample-2021.1")
    assert [r.code for r in g.reasons][-1] == "sample_scale"


@pytest.mark.parametrize(("adl", "other", "level_adl", "expected"), [
    (100, None, 0, 0), (95, None, 1, 1), (65, None, 1, 1), (60, None, 2, 2), (45, None, 2, 2), (40, None, 3, 3),
    (0, None, 3, 3), (40, 11, 3, 4), (40, 7, 3, 5), (60, 7, 2, 4), (100, 7, 0, 2),
])
def test_levels_at_their_band_boundaries_and_the_combination(adl: int, other: int | None, level_adl: int,
                                                             expected: int) -> None:
    g = grade(SCALE, scores(adl=adl, cognition=other))
    assert g.levels["adl"] == level_adl and g.grade == expected
    assert g.severe == (expected >= 3)


def test_the_worse_of_cognition_and_perception_counts() -> None:
    assert grade(SCALE, scores(adl=40, perception=3)).grade == 5  # perception 重度
    assert grade(SCALE, scores(adl=40, cognition=12, perception=8)).levels == {"adl": 3, "cognition": 1,
                                                                              "perception": 1}


@pytest.mark.parametrize(("spoil", "field", "code"), [
    (lambda s: s["adl"].pop("eating"), "scores.adl.eating", "missing_item"),
    (lambda s: s.pop("cognition"), "scores.cognition", "missing_item"),
    (lambda s: s["adl"].__setitem__("eating", 7), "scores.adl.eating", "score_out_of_range"),
    (lambda s: s["adl"].__setitem__("eating", "10"), "scores.adl.eating", "score_out_of_range"),
    (lambda s: s["perception"].__setitem__("smell", 1), "scores.perception.smell", "unknown_item"),
])
def test_a_half_scored_assessment_is_refused_naming_the_item(spoil: Any, field: str, code: str) -> None:
    s = scores()
    spoil(s)
    with pytest.raises(InvalidInput) as err:
        grade(SCALE, s)
    assert (err.value.field, err.value.code) == (field, code)


def test_a_malformed_scale_is_refused() -> None:
    import yaml

    from services.appraisal.disability.domain.scale import PROGRAMS_DIR

    raw = yaml.safe_load((PROGRAMS_DIR / "wz-ltc" / "assessment-sample-2021.yaml").read_text(encoding="utf-8"))
    for path, value in ((("combination",), [[0, 0, 1, 2]]), (("indicators", "adl", "bands"), [100, 45, 65, 0]),
                        (("indicators", "cognition", "bands"), [15, 12, 8, 0])):
        bad = copy.deepcopy(raw)
        target = bad
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        with pytest.raises(InvalidInput) as err:
            parse_scale(bad)
        assert err.value.code == "invalid_scale"
