"""Derived ids (uuid5): the tasks, call-backs and findings a plan causes, and the warnings a check opens, are the
same on every retry."""

from __future__ import annotations

import uuid

_NS = uuid.UUID("0b7c2f4e-9d1a-4c3b-8e5f-6a7b8c9d0e1f")


def derived_id(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "|".join(parts)))
