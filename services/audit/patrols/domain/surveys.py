"""The yearly status survey of a disabled person (失能人员基本状态调查, tender 二、(二)5.3): what was found."""

from __future__ import annotations

STATUSES = ("unchanged", "improved", "worsened", "deceased", "moved")
# Found deceased or moved away: out of the next years' survey populations (this year's survey counts).
LEFT = frozenset({"deceased", "moved"})
