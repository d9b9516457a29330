"""Rendering deploy/k8s for the cluster tests: the pinned kustomize from deploy/k8s/tools.sh
(built from source with the Go toolchain and cached; offline once cached) and `kustomize build`
of a target parsed into its objects."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
TOOLS = K8S / "tools.sh"

Doc = dict[str, Any]


def targets() -> dict[str, Path]:
    """Every overlay under deploy/k8s/overlays by name, and the base as "base"."""
    overlays = sorted(p for p in (K8S / "overlays").iterdir() if (p / "kustomization.yaml").is_file())
    return {**{p.name: p for p in overlays}, "base": K8S / "base"}


def kustomize_binary() -> str:
    proc = subprocess.run(["bash", str(TOOLS)], capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, f"deploy/k8s/tools.sh failed:\n{proc.stderr}"
    path = proc.stdout.strip().splitlines()[-1]
    assert Path(path).is_file(), f"tools.sh printed {path!r}, which is not a file"
    return path


def build_text(kustomize: str, target: Path) -> str:
    proc = subprocess.run([kustomize, "build", str(target)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"kustomize build {target} failed:\n{proc.stderr}"
    return proc.stdout


def parse(text: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all(text) if d]


def build(kustomize: str, target: Path) -> list[Doc]:
    docs = parse(build_text(kustomize, target))
    assert docs, f"kustomize build {target} rendered nothing"
    return docs
