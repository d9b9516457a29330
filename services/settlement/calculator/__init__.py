"""The benefit calculator (`jingban calc`, 待遇测算): one self-contained case in (its own small policy table, the
person, the claims), the calculation out, through the same pure rules the service uses — chronic, critical illness,
and fund finance (corridor, service_fee, year_end, premium). No I/O.

Door: the CLI (jingban/calc_cli.py) calls `service.calculate.calculate`. No events, no store."""
