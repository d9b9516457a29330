"""Fixtures of the cluster tests: the pinned kustomize and every target rendered once per session."""

from __future__ import annotations

import pytest

from tests.cluster.render import Doc, build, kustomize_binary, targets


@pytest.fixture(scope="session")
def kustomize() -> str:
    return kustomize_binary()


@pytest.fixture(scope="session")
def rendered(kustomize: str) -> dict[str, list[Doc]]:
    """Objects of every overlay (by directory name) and of the base ("base")."""
    return {name: build(kustomize, path) for name, path in targets().items()}
