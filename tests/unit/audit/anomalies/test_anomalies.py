"""Anomaly statistics (异常预警) with hand-worked numbers: median, MAD, the modified z-score and its fallback,
outlying institutions among their peers, persons above their own history or their peers or at many
institutions, the month's growth, and threshold validation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chassis.errors import InvalidInput
from services.audit.anomalies.domain.anomalies import (
    Thresholds,
    detect,
    institution_outliers,
    mad,
    mask,
    median,
    modified_z,
    months_needed,
    parse_thresholds,
    person_patterns,
)
from services.audit.operations.domain.operations import Spend

D = Decimal


def sp(person: str, inst: str, payable: str, month: str = "2025-06", disease: str = "HTN",
       care: str = "chronic_outpatient", source: str = "chronic") -> Spend:
    return Spend("hz-p1", source, person, month, inst, disease, care, int(D(payable) * 100), 0)


def test_median_mad_and_modified_z() -> None:
    values = [D(1), D(2), D(3), D(4), D(100)]
    assert median(values) == 3 and median([D(1), D(2), D(3), D(4)]) == D("2.5")
    # deviations from 3: 2, 1, 0, 1, 97 → median 1
    assert mad(values) == 1
    assert modified_z(D(100), values) == D("65.43")  # 0.6745 × 97 / 1 = 65.4265
    assert modified_z(D(4), values) == D("0.67")


def test_modified_z_falls_back_on_the_mean_absolute_deviation() -> None:
    values = [D(10), D(10), D(10), D(10), D(50)]
    assert mad(values) == 0
    # mean absolute deviation 40 / 5 = 8; (50 − 10) / (1.253314 × 8) = 3.9894
    assert modified_z(D(50), values) == D("3.99")
    assert modified_z(D(10), [D(10)] * 6) is None


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=40))
def test_the_median_has_as_many_values_on_each_side(raw: list[int]) -> None:
    values = [D(v) for v in raw]
    m = median(values)
    assert sum(v < m for v in values) <= len(values) // 2 and sum(v > m for v in values) <= len(values) // 2
    z = modified_z(max(values), values)
    assert z is None or z >= 0


def test_an_institution_far_above_its_peers() -> None:
    spends = [sp("p1", "I1", "100.00"), sp("p2", "I2", "110.00"), sp("p3", "I3", "90.00"), sp("p4", "I4", "105.00"),
              sp("p5", "I5", "400.00"), sp("p9", "I5", "999.00", month="2025-05")]
    # per claim = per person: 100, 110, 90, 105, 400 → median 105, deviations 5, 5, 15, 0, 295 → MAD 5;
    # I5: 0.6745 × 295 / 5 = 39.7955
    [hit] = institution_outliers(spends, "2025-06", Thresholds())
    assert hit.subject == "I5" and hit.check == "institution_outlier"
    by_metric = {f["metric"]: f for f in hit.evidence["findings"]}
    assert set(by_metric) == {"per_claim", "per_person"}
    f = by_metric["per_claim"]
    assert (f["value"], f["peer_median"], f["peer_mad"], f["modified_z"], f["peers"]) == (
        D("400.00"), D("105.00"), D("5.00"), D("39.80"), 5)
    assert "I5" in hit.description and "39.80" in hit.description
    assert [(r.code, r.params["metric"], r.params["modified_z"]) for r in hit.reasons] == [
        ("institution_outlier", "per_claim", "39.80"), ("institution_outlier", "per_person", "39.80")]
    # Four institutions are too few peers by default; allowed with min_peers 3 (I5 left out of June: no hit).
    assert institution_outliers(spends[1:], "2025-06", Thresholds()) == []
    assert [h.subject for h in institution_outliers(spends[1:], "2025-06",
                                                    parse_thresholds({"institution_min_peers": 3}))] == ["I5"]


def test_institutions_are_compared_within_their_kind() -> None:
    chronic = [sp(f"p{i}", f"I{i}", "100.00") for i in range(5)]
    # A critical inpatient stay costs far more than a chronic month, but it has no peers of its kind here.
    critical = [sp("q1", "Q1", "50000.00", care="inpatient", source="critical")]
    assert institution_outliers(chronic + critical, "2025-06", Thresholds()) == []


def test_a_person_at_many_institutions() -> None:
    spends = [sp("p1", f"I{i}", "10.00") for i in range(4)] + [sp("p2", f"I{i}", "10.00") for i in range(3)]
    [hit] = person_patterns(spends, "2025-06", Thresholds())
    assert hit.subject == "p1" and hit.evidence["rules"] == [{"rule": "many_institutions", "count": 4, "limit": 4}]
    assert [(r.code, dict(r.params)) for r in hit.reasons] == [("many_institutions", {"count": "4", "limit": "4"})]


def test_a_person_far_above_their_own_history() -> None:
    person = "610702195803120012"
    history = [sp(person, "I1", "100.00", month="2025-03"), sp(person, "I1", "200.00", month="2025-04"),
               sp(person, "I1", "999.00", month="2024-11")]  # 7 months back: outside the history
    # baseline (100 + 200) / 2 = 150.00; 1500.00 > 3 × 150 and 1350.00 above it ≥ 1000.00
    [hit] = person_patterns([*history, sp(person, "I1", "1500.00")], "2025-06", Thresholds())
    rule = hit.evidence["rules"][0]
    assert (rule["rule"], rule["baseline"], rule["history_months"]) == ("above_own_history", D("150.00"),
                                                                        ["2025-03", "2025-04"])
    assert hit.description.startswith("Person 610702********0012 in 2025-06") and hit.evidence["person_id"] == person
    assert [r.code for r in hit.reasons] == ["above_own_history"]
    # 1000.00 is more than 3 × 150 but only 850.00 above it: no hit.
    assert person_patterns([*history, sp(person, "I1", "1000.00")], "2025-06", Thresholds()) == []
    # One paid month of history is not a baseline.
    assert person_patterns([history[0], sp(person, "I1", "5000.00")], "2025-06", Thresholds()) == []


def test_a_person_far_above_peers_with_the_same_disease() -> None:
    spends = [sp("a", "I1", "100.00"), sp("b", "I1", "100.00"), sp("c", "I2", "120.00"), sp("d", "I2", "80.00"),
              sp("e", "I3", "900.00"), sp("x", "I3", "5000.00", disease="DL")]  # dialysis: other peers
    # HTN: 100, 100, 120, 80, 900 → median 100, deviations 0, 0, 20, 20, 800 → MAD 20; e: 0.6745 × 800 / 20 = 26.98
    [hit] = person_patterns(spends, "2025-06", Thresholds())
    rule = hit.evidence["rules"][0]
    assert (hit.subject, rule["rule"], rule["modified_z"], rule["peers"], rule["disease"]) == (
        "e", "above_peers", D("26.98"), 5, "HTN")


def test_detect_runs_every_check_in_a_stable_order() -> None:
    may = [sp(f"p{i}", f"I{i}", "200.00", month="2025-05") for i in range(5)]
    june = [sp(f"p{i}", f"I{i}", "200.00") for i in range(4)] + [sp("p4", "I4", "600.00")]
    # May 1000.00, June 1400.00: +40% over 30%
    result = detect(may + june, "2025-06", Thresholds())
    assert (result.growth.current, result.growth.previous, result.growth.growth) == (D("1400.00"), D("1000.00"),
                                                                                    D("0.4000"))
    # I4 and its one person p4 stand out too: 600 against four 200s (MAD 0: mean-AD fallback, 400 / (1.2533 × 80)).
    assert [(h.check, h.subject) for h in result.hits] == [
        ("institution_outlier", "I4"), ("person_pattern", "p4"), ("spending_growth", "fund")]
    assert result.hits[1].evidence["rules"][0]["modified_z"] == D("3.99")
    calm = detect(may + june, "2025-06", parse_thresholds({"growth": "0.50", "institution_k": "100", "person_k": "4"}))
    assert calm.hits == []
    assert months_needed("2025-02", Thresholds())[:3] == ["2025-02", "2025-01", "2024-12"]


@pytest.mark.parametrize(("raw", "field"), [
    ({"nope": "1"}, "thresholds.nope"),
    ({"institution_k": 3.5}, "thresholds.institution_k"),      # a float is refused
    ({"institution_k": "abc"}, "thresholds.institution_k"),
    ({"growth": "-0.1"}, "thresholds.growth"),
    ({"person_institutions": "2.5"}, "thresholds.person_institutions"),
    ({"institution_min_peers": "2"}, "thresholds.institution_min_peers"),
    ({"person_min_excess": "10.001"}, "thresholds.person_min_excess"),
])
def test_bad_thresholds_are_refused_with_their_field(raw: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_thresholds(raw)
    assert exc.value.field == field


def test_thresholds_override_only_what_is_given() -> None:
    th = parse_thresholds({"person_k": "5", "person_institutions": 6})
    assert (th.person_k, th.person_institutions, th.institution_k) == (D(5), 6, D("3.5"))
    assert mask("610702195803120012") == "610702********0012" and mask("short") == "short"
