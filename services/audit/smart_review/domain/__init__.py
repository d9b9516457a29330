"""The smart-review engine (智能审核), pure: the catalogue and claims parsed and checked (catalogue.py, claims.py),
the rules as data and their settings (rules.py), one check per rule (checks.py), `review` (engine.py)."""
