"""Smart claim review (智能审核): every claim upload of every program is screened before payment by rules held as
versioned data with parameters (domain/rules.py, the program's review-rules file): over-standard charges
(超标准收费), duplicate charges (重复收费), unbundled charges (分解收费), sex- and age-restricted items, over-quantity
(超量), duplicate medication (重复用药), split admissions (分解住院), phantom beds (挂床住院), non-medical goods sold at
pharmacies and pooled card swiping (聚敛刷卡). Each hit names its rule, the claim and lines it covers, the amount in
question and a reason (code + detail); a reviewer confirms (the amount is refused, 拒付) or dismisses it.

The engine is pure (domain/: catalogue.py, claims.py, rules.py, checks.py, engine.py); `jingban review [FILE]` runs
it as a CLI (jingban/review_cli.py)."""
