"""The anomaly checks' catalogue (异常预警): why a hit was raised. A hit's `check` says which check
(spending_growth, institution_outlier, person_pattern); its reasons say which rule fired, with the figures."""

from __future__ import annotations

from chassis.reasons import ReasonCatalogue

REASONS = ReasonCatalogue("audit anomaly checks", {
    "spending_growth": "基金支出增长 the month's fund payments grew over the month before above the threshold",
    "institution_outlier": "机构异常 an institution's payment per claim or per person paid is far above its peers' "
                           "(modified z-score above k)",
    "many_institutions": "多机构就医 a person was paid by this many institutions or more in one month",
    "above_own_history": "个人异常增长 a person's month is far above their own usual paid month",
    "above_peers": "个人异常 a person's month is far above the persons paid for the same main disease "
                   "(modified z-score above k)",
})

ERRORS: dict[str, str] = {}
