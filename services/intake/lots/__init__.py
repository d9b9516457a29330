"""Lots (片区, long-term care, Wenzhou): which carrier's tenant takes a person — by the person's district, five lots
A–E, one carrier each; persons insured at city level (市本级) spread evenly over A, B and C by a recorded,
reproducible rule — and how the city-level persons' assessment fees are shared by A, B and C. The lot table is data
(programs/wz-ltc/lots.yaml).

So far: the pure rules (domain/). Routing applications to the lot's tenant comes with the rest of issue 12."""
