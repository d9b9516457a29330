"""Writes what the web app reads of the services at build time, from the repository itself (nothing started):
each service's OpenAPI document (src/api/openapi/<service>.json, built in memory as the services build their apps)
and the programs' catalogue (src/api/programs.json: codes, names, carriers, the intake form's settings).

Run from the repository root: `.venv/bin/python web/scripts/gen_api.py` (or /work/main/.venv/bin/python).
`npm run check-routes` then checks that every route the SPA calls (src/api/endpoints.ts) is in these documents."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "web" / "src" / "api"


def openapi_documents() -> dict[str, dict[str, Any]]:
    from jingban.embedded import EmbeddedPlatform

    platform = EmbeddedPlatform()
    docs = {}
    for name, host in platform.hosts.items():
        parts = host.spec.build(host.context)
        docs[name] = parts.app.openapi()
    return docs


def family(settings: dict[str, Any]) -> str:
    """Which pages serve the program: long-term care, critical illness, fund supervision or chronic disease."""
    if "ltc" in settings:
        return "ltc"
    if "critical" in settings:
        return "critical"
    if "supervision" in settings:
        return "supervision"
    return "chronic"


def ltc_districts(directory: Path) -> dict[str, Any]:
    """Long-term care: each lot's districts (lots.yaml) and the city level's name, for the application form."""
    import yaml

    lots_file = directory / "lots.yaml"
    if not lots_file.is_file():
        return {}
    data = yaml.safe_load(lots_file.read_text(encoding="utf-8")) or {}
    lots = {lot["tenant"]: list(lot.get("districts", {})) for lot in (data.get("lots") or {}).values()}
    city = (data.get("city_level") or {}).get("district", "")
    return {"ltc_districts": lots, "city_level": city}


def programs() -> list[dict[str, Any]]:
    from chassis.programs import PROGRAMS_DIR, load_program

    out = []
    for path in sorted(PROGRAMS_DIR.glob("*/program.yaml")):
        program = load_program(path.parent.name)
        intake = program.settings.get("intake", {})
        extra = ltc_districts(path.parent) if family(program.settings) == "ltc" else {}
        out.append({
            "code": program.code, "name": program.name, "agency": program.agency,
            "family": family(program.settings),
            "tenants": [{"tenant": t.tenant, "name": t.name, "share": str(t.share)} for t in program.tenants],
            # The application form's program fields (the service checks them again; these only shape the form).
            "intake": {k: intake[k] for k in ("district_required", "districts", "multiple_diseases",
                                              "inpatient_records") if k in intake},
            **extra,
        })
    return out


def main() -> None:
    (OUT / "openapi").mkdir(parents=True, exist_ok=True)
    for name, doc in openapi_documents().items():
        (OUT / "openapi" / f"{name}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n",
                                                       encoding="utf-8")
    (OUT / "programs.json").write_text(json.dumps(programs(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT / 'openapi'}/*.json and {OUT / 'programs.json'}")


if __name__ == "__main__":
    main()
