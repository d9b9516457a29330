"""Recovery without a person (自动恢复): what a crash of settlement left half-done is finished when it starts again,
through the rooms' services (chronic statements, critical illness statements and claims, fund year ends and
allocations).

No door: one background pass at start (main.py), kept in `Recovery.finished` / `Recovery.left`. No events of its own.
Store: `store.py` (interim, read only: the critical illness leftovers it looks for)."""
