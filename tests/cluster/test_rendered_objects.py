"""The rendered objects do not drift: every overlay (and the base) renders exactly the objects in
tests/cluster/golden/<target>.yaml.

The goldens were first captured with kustomize v5.7.1 before the five per-service Deployment files of
deploy/k8s/base became one shape (base/service-shape) named per service, proving that refactor changed
nothing; re-captured for issue 11 (no Secret in the base, per-service credentials, keys and TLS mounted,
NetworkPolicies naming their peers). The comparison is of objects, not text: documents are parsed and
matched by (kind, namespace, name), so document order, key order, quoting and comments do not
matter; every field value (list order included) does.

After an INTENDED change to the manifests, re-capture the goldens and review their diff:

    JINGBAN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/cluster -q -p no:cacheprovider
"""

from __future__ import annotations

import copy
import difflib
import os
import random
from pathlib import Path

import pytest
import yaml

from tests.cluster.render import K8S, Doc, build_text, parse, targets

pytestmark = pytest.mark.cluster

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("JINGBAN_UPDATE_GOLDEN") == "1"

Key = tuple[str, str, str]


def key(doc: Doc) -> Key:
    meta = doc.get("metadata", {})
    return (doc["kind"], meta.get("namespace", ""), meta["name"])


def by_key(docs: list[Doc]) -> dict[Key, Doc]:
    out: dict[Key, Doc] = {}
    for doc in docs:
        k = key(doc)
        assert k not in out, f"rendered twice: {k}"
        out[k] = doc
    return out


def differences(expected: list[Doc], actual: list[Doc]) -> list[str]:
    """What differs between two renderings, as readable lines: missing and unexpected objects, and
    a unified diff of each object that changed (both dumped with sorted keys)."""
    want, got = by_key(expected), by_key(actual)
    out = [f"missing: {'/'.join(k)}" for k in sorted(want.keys() - got.keys())]
    out += [f"unexpected: {'/'.join(k)}" for k in sorted(got.keys() - want.keys())]
    for k in sorted(want.keys() & got.keys()):
        if want[k] != got[k]:
            a = yaml.safe_dump(want[k], sort_keys=True).splitlines()
            b = yaml.safe_dump(got[k], sort_keys=True).splitlines()
            name = "/".join(k)
            out.append(f"changed: {name}")
            out += difflib.unified_diff(a, b, f"golden {name}", f"rendered {name}", lineterm="")
    return out


def test_every_target_has_a_golden() -> None:
    names = set(targets())
    assert {"hz-p1", "hz-p2", "qz-ci", "xy-c", "wz-a", "wz-b", "wz-c", "wz-d", "wz-e", "km-sv", "shared",
            "base"} <= names
    if not UPDATE:
        assert {p.stem for p in GOLDEN.glob("*.yaml")} == names, "an overlay without a golden (or the reverse)"


@pytest.mark.parametrize("target", sorted(targets()))
def test_rendering_matches_golden(kustomize: str, target: str) -> None:
    golden = GOLDEN / f"{target}.yaml"
    text = build_text(kustomize, targets()[target])
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no golden for {target}: see this module's docstring"
    expected, actual = parse(golden.read_text(encoding="utf-8")), parse(text)
    assert expected, f"{golden} is empty"
    problems = differences(expected, actual)
    assert not problems, f"{target} renders other objects than {golden.name}:\n" + "\n".join(problems)


def test_the_base_deployments_share_one_shape() -> None:
    """What the goldens protect: one Deployment/Service/PDB shape, named per service, not five copies."""
    base = K8S / "base"
    shapes = [
        p.relative_to(base).as_posix()
        for p in sorted(base.rglob("*.yaml"))
        if any(d.get("kind") == "Deployment" for d in parse(p.read_text(encoding="utf-8")))
    ]
    assert shapes == ["service-shape/shape.yaml"]


def test_comparison_ignores_order_and_catches_a_change() -> None:
    golden = parse((GOLDEN / "hz-p1.yaml").read_text(encoding="utf-8"))
    shuffled = copy.deepcopy(golden)
    random.Random(10).shuffle(shuffled)
    for doc in shuffled:  # key order within a mapping does not matter either
        doc["metadata"] = dict(reversed(list(doc["metadata"].items())))
    assert differences(golden, shuffled) == []

    changed = copy.deepcopy(golden)
    (dep,) = [d for d in changed if d["kind"] == "Deployment" and d["metadata"]["name"] == "audit"]
    dep["spec"]["template"]["spec"]["containers"][0]["env"].reverse()  # list order does matter
    del changed[[d["kind"] for d in changed].index("PodDisruptionBudget")]
    problems = "\n".join(differences(golden, changed))
    assert "changed: Deployment/jingban-hz-p1/audit" in problems
    assert "missing: PodDisruptionBudget/jingban-hz-p1/" in problems

    renamed = copy.deepcopy(golden)
    renamed[0]["metadata"]["name"] += "-x"
    assert any(p.startswith("unexpected: ") for p in differences(golden, renamed))
