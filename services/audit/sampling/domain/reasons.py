"""The sampling room's catalogue (findings): why a loss is the carrier's in full (承办方全额承担), the
`carrier_reason` a carrier-caused finding names. Hanzhong: "因中标方监管不力、人情鉴定、审核不严、履职不力等
因素造成门诊慢特病基金损失的，由中标方全部承担"; Quzhou: "因中标单位违规操作、审核不严造成医保基金损失的，
中标单位要承担相应的经济和法律责任"."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("audit carrier liability", {
    "lax_review": "审核不严 the carrier's review was lax",
    "favouritism": "人情鉴定 an appraisal granted as a favour",
    "weak_supervision": "监管不力 the carrier supervised weakly",
    "poor_performance": "履职不力 the carrier performed its duties poorly",
    "irregular_operation": "违规操作 the carrier operated against the rules",
})

ERRORS: dict[str, str] = {}
