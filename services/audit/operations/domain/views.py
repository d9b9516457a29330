"""How an operation report looks over HTTP (no internal fields; which tenant's database holds it)."""

from __future__ import annotations

import json
from typing import Any

from chassis.calendar import deadline_view


def operation_view(r: dict[str, Any], stored_in: str) -> dict[str, Any]:
    keys = ("kind", "period", "start", "end", "scope", "program", "tenants", "due_on", "produced_at", "produced_on",
            "overdue", "interim", "produced_by", "settings")
    view = {"report_id": r["_id"], "stored_in": stored_in, **{k: r.get(k) for k in keys}, "deadline": deadline_view(r),
            "files": {name: {k: f[k] for k in ("name", "sha256", "size", "content_type")}
                      for name, f in r.get("files", {}).items()}}
    if "figures_json" in r:
        view["figures"] = json.loads(r["figures_json"])
    return view
