"""The violation catalogue of the Karamay tender (二(一)2) as data: every item of the tender coded, named in Chinese and
English, each group's codes in order; the checklists by institution kind; the smart-review rules mapped onto items."""

from __future__ import annotations

import pytest

from chassis.programs import load_program
from services.audit.inspections.domain.catalogue import load_catalogue, parse_catalogue
from services.audit.inspections.domain.settings import KINDS, METHODS, parse_settings

# The tender's items, in its words and order (二(一)2(1)–(5)).
TENDER = {
    "hospital": ["分解收费", "超标准收费", "重复收费", "套用项目收费", "不合理诊疗", "挂床住院", "换串药品和耗材",
                 "诱导住院", "虚构医疗服务", "伪造医疗文书票据", "倒刷医保卡", "特殊病种诊断认定", "超量用药",
                 "重复用药", "超范围用药"],
    "pharmacy": ["聚敛倒刷医保卡", "诱导参保人员购买生活用品及化妆品"],
    "doctor": ["故意忽略人证不符", "虚构医疗服务", "伪造医疗文书票据", "协助参保人变现", "不合理诊疗",
               "其他欺诈骗保行为"],
    "insured": ["伪造医疗文书骗取医保待遇", "变卖医保结算的药品或诊疗项目", "串通服务机构串换医保项目", "空刷医保卡",
                "套取和倒卖药品及耗材", "冒卡（名）就医"],
    "agency": ["制度审核不全", "违规支付医保费用", "各项险种及待遇落实情况"],
}
PREFIX = {"hospital": "H", "pharmacy": "P", "doctor": "D", "insured": "I", "agency": "A"}
# The smart-review rules of issue 13 (their codes are part of the contract).
RULE_CODES = ("over_price", "duplicate_charge", "unbundling", "sex_restricted", "age_restricted", "over_quantity",
              "duplicate_medication", "split_admission", "phantom_bed", "non_medical_goods", "card_pooling")


def test_every_item_of_the_tender_is_coded_in_order_with_both_names() -> None:
    cat = load_catalogue()
    for group, names in TENDER.items():
        items = [i for i in cat.items.values() if i.group == group]
        assert [i.name for i in items] == names, group
        assert [i.code for i in items] == [f"{PREFIX[group]}{n:02d}" for n in range(1, len(names) + 1)]
        assert all(i.en.strip() for i in items)
    assert len(cat.items) == sum(len(v) for v in TENDER.values()) == 32


def test_the_checklists_by_kind_cover_every_group_and_only_theirs() -> None:
    cat = load_catalogue()
    assert [i.code for i in cat.checklist("pharmacy")] == ["P01", "P02", *(f"I{n:02d}" for n in range(1, 7))]
    assert [i.code for i in cat.checklist("agency")] == ["A01", "A02", "A03"]
    hospital = {i.code for i in cat.checklist("hospital")}
    assert len(hospital) == 15 + 6 + 6 and "P01" not in hospital and "A01" not in hospital
    covered = {i.group for kind in KINDS for i in cat.checklist(kind)}
    assert covered == set(TENDER)  # every item is on some kind's checklist
    assert cat.valid_for("hospital", "H06") and not cat.valid_for("pharmacy", "H06")
    assert not cat.valid_for("hospital", "X99") and not cat.valid_for("clinic", "H01")


def test_the_smart_review_rules_point_at_items() -> None:
    cat = load_catalogue()
    mapped = {r for i in cat.items.values() for r in i.rules}
    assert mapped == set(RULE_CODES)  # every rule maps somewhere, and no unknown rule is named
    assert cat.codes_of_rule("over_price") == ["H02"] and cat.codes_of_rule("card_pooling") == ["P01"]
    assert cat.codes_of_rule("non_medical_goods") == ["P02"] and cat.codes_of_rule("phantom_bed") == ["H06"]
    assert cat.codes_of_rule("duplicate_charge") == ["H03"] and cat.codes_of_rule("unbundling") == ["H01"]


@pytest.mark.parametrize("broken", [
    {"groups": {"hospital": {"name": "x", "items": [{"code": "H02", "name": "a", "en": "a"}]}}},
    {"groups": {"clinic": {"name": "x", "items": []}}},
    {"groups": {"hospital": {"name": "x", "items": [{"code": "H01", "name": "a", "en": ""}]}}},
])
def test_a_malformed_catalogue_is_refused(broken: dict[str, object]) -> None:
    data = {"version": "v", "checklists": {"hospital": ["hospital"], "pharmacy": [], "agency": []}, **broken}
    with pytest.raises(ValueError):
        parse_catalogue(data)


def test_the_programs_settings_read_as_the_tender_says() -> None:
    s = parse_settings(load_program("km-supervision").settings["supervision"])
    assert dict(s.report_days) == {"hospital": 3, "pharmacy": 1, "agency": 3}
    assert s.methods == METHODS and s.min_team == 2
    assert (str(s.sampling_rate), str(s.problem_rate_expected), s.sampling_years) == ("0.025", "0.40", 2)
    assert dict(s.institutions) == {"hospital": 17, "pharmacy": 143, "agency": 1}
    assert s.term_to.isoformat() == "2024-11-20" and s.trainings == 4
    assert dict(s.flight_inspection_trips) == {"xinjiang": 4, "outside_xinjiang": 2}
    with pytest.raises(ValueError):
        parse_settings({**load_program("km-supervision").settings["supervision"], "min_team": 1})
