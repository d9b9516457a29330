"""Long-term care supervision (长护险监管巡查, Wenzhou tender 三、4–5): the quotas the carrier is held to — each quarter
at least 20% of the care services checked and 100% over the year (4.2), every designated institution patrolled on
site at least once a quarter (5.4), every disabled person's status surveyed once a year (5.3) — and who may patrol:
at least two people, one of them medical or nursing, each with a college degree or above (5.1).

So far: the pure rules (domain/), each attainment with what is still missing. Doors, plans and records come with
the rest of issue 12."""
