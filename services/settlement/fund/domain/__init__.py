"""The fund room's pure rules (专户资金): ledger.py the chart of accounts, entries and their checks (a payment the
bank cannot cover is `InsufficientFunds`), year_end.py the year-end money (service fee, deficit sharing, corridor,
premiums) with its reasons, payment_runs.py what a payment run pays; reasons.py is the room's catalogue of reason
and error codes. No I/O, no drivers."""
