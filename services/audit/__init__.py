"""audit (稽核): review rules, sampling, inspections, warnings, and the tamper-evident trail of every event."""
