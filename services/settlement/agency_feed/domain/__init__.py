"""Pure rules of the agency feed: a push's states, its backoff and how the list shows it (pushes.py)."""
