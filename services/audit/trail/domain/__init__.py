"""The trail's pure rules: the hash chain (domain/trail.py)."""
