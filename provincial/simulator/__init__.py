"""A simulator of the provincial platform (医保信息平台模拟): `create_app(state)` in-process, or
`python -m provincial.simulator --port 8190` as its own process. Configure it with `SimulatorState` methods or
the `/admin/...` endpoints (persons, settlement totals, faults, sessions)."""

from __future__ import annotations

from provincial.simulator.app import PLATFORM_PATH, create_app
from provincial.simulator.state import Identity, SimulatorState

__all__ = ["PLATFORM_PATH", "Identity", "SimulatorState", "create_app"]
