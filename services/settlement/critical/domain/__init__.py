"""The critical illness room's pure rules (大病保险): claims.py adjudicates a claim on the year account (deductible,
ratio by tier, year cap), review_quota.py draws large claims for review (按比例抽查), statements.py decides what
statement a claim goes on and how a reconciliation balances; reasons.py is the room's catalogue of reason and error
codes. No I/O, no drivers."""
