"""Pure audit rules: no I/O, no drivers."""
