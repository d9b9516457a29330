"""Pure rules of long-term care applications: the filing (filing.py) and the screening (screening.py)."""
