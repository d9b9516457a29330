"""Jingban (经办): the runtime entry points (CLI, embedded and local modes) and the generated
contract bindings in `contracts` (regenerate with `make proto`; never edit by hand)."""
