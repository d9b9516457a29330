"""Lots (片区, long-term care, Wenzhou): which carrier's tenant takes a person — by the person's district, five lots
A–E, one carrier each; persons insured at city level (市本级) spread evenly over A, B and C by a recorded,
reproducible rule — and how the city-level persons' assessment fees are shared by A, B and C. The lot table is data
(programs/wz-ltc/lots.yaml).

The pure rules (domain/); long-term care applications (care_applications/) route each person by `lot_for` and
refuse a filing at another lot's tenant (`wrong_lot`)."""
