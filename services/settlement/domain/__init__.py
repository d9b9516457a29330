"""Pure settlement rules: no I/O, no drivers."""
