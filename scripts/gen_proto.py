"""Regenerate the contracts package from proto/ (one command: `make proto`): Python bindings for every .proto
and the event catalogue (catalogue.yaml) copied beside them, into contracts/ at the repository root."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parents[1]


def generate(out: Path) -> None:
    protos = sorted(str(p.relative_to(ROOT / "proto")) for p in (ROOT / "proto").rglob("*.proto"))
    include = str(Path(protoc.__file__).parent / "_proto")
    args = ["protoc", f"-I{ROOT / 'proto'}", f"-I{include}", f"--python_out={out}", f"--pyi_out={out}",
            f"--grpc_python_out={out}", *protos]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for pkg in {p.parent for p in out.rglob("*_pb2.py")}:
        # Every level must be a package so `contracts.v1` imports without namespace tricks.
        for level in [pkg, *pkg.parents]:
            if level == out or out not in level.parents:
                break
            (level / "__init__.py").touch()
    for data in (ROOT / "proto").rglob("*.yaml"):
        shutil.copyfile(data, out / data.relative_to(ROOT / "proto"))


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)
