"""Fund operation analysis' pure figures (operations.py: spending, budget burn, ledger, year result) and the
program settings they are read with (settings.py)."""
