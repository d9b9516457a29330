"""Pure archive rules: no I/O, no drivers."""
