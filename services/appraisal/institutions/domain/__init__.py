"""Pure rules of the institution registry: the agreement's state machine (agreement.py), an institution's
particulars (registration.py), the documents it hands in (documents.py) and the room's codes (reasons.py)."""
