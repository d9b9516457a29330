"""Local-mode end-to-end tests: whole flows across five service processes on real Kafka and FerretDB."""

from __future__ import annotations

import pytest

from tests.conftest import REAL_INFRA_DEADLINE


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A flow is several eventually-consistent steps, each allowed REAL_INFRA_DEADLINE: the whole test gets three
    (the project-wide 300 s timeout would cut a slow but healthy flow short on a busy machine)."""
    for item in items:
        if "tests/e2e/" in item.nodeid.replace("\\", "/") or item.nodeid.startswith("e2e/"):
            item.add_marker(pytest.mark.timeout(3 * REAL_INFRA_DEADLINE))
