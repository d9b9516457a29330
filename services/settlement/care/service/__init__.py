"""The care room's use cases: covers, institutions and plans (care.py) on the in-memory book (book.py), uploads of
service records (records.py), monthly statements and their payment (statements.py), assessment fees (fees.py)."""
