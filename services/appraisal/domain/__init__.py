"""Pure appraisal rules: no I/O, no drivers."""
