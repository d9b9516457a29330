"""The trail's pure rules: the MAC chain and its check against anchors (domain/trail.py), the anchors' signature
and the anchoring policy (domain/anchors.py), the verification's problem codes (domain/reasons.py). Keys come in as
bytes; nothing here reads a key, a database or a clock."""
