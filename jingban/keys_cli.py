"""`jingban keys rotate|reseal`: the key provider's keys (chassis/keys.py) and the personal data they seal
(chassis/pii.py).

- `rotate --purpose pii --tenant T` adds a key version in the key directory (`--key-dir`, else `$JINGBAN_KEY_DIR`,
  else `<data dir>/keys`); new writes use it at once, values sealed before still open. In cluster mode the key
  directory is a mounted Kubernetes secret: rotate into a copy of it and apply that as the secret's new version.
  Only the key id is printed, never a key.
- `reseal [--service S] [--tenant T]` moves every sealed value of the services' MongoDB stores (and archive's
  export zips) to the newest `pii` key, seals what was stored clear and recomputes the blind indexes (after a
  `blind-index` rotation lookups miss until this has run). Safe beside running services; run it again after an
  interruption. Prints counts, never a value.

Exit status: 0 done, 1 a store or key unreadable, 2 bad input."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from chassis.config import Settings

PURPOSES = ("pii", "blind-index", "message-key", "trail", "anchor")


def sealed_collections() -> dict[str, list[tuple[str, Any]]]:
    """Service → its collections holding personal data and how (each store's `Sealed` spec)."""
    from services.appraisal.cases.store import CASE, CASES
    from services.appraisal.institutions import store as institutions
    from services.archive.accesses.store import ACCESS, PERSON_ACCESSES
    from services.archive.person_files.store import ENTRIES, ENTRY
    from services.audit.readmodel.store import SEALED as READMODEL
    from services.audit.sampling import store as sampling
    from services.audit.warnings.store import WARNING, WARNINGS
    from services.intake.applications.store import APPLICATION, APPLICATIONS, DOCUMENT, DOCUMENTS
    from services.intake.care_applications import store as care_applications
    from services.intake.complaints.store import COMPLAINT, COMPLAINTS
    from services.intake.notifications.store import NOTIFICATION, NOTIFICATIONS
    from services.intake.surveys.store import SURVEY, SURVEYS
    from services.settlement.chronic import store as chronic
    from services.settlement.chronic.store import person_book
    from services.settlement.critical import store as critical
    from services.settlement.critical.store import CLAIM_DOCUMENT, PAYMENTS, PERSON_PAYABLES, TO_PERSON
    from services.settlement.critical.store import DOCUMENTS as CI_DOCUMENTS
    from services.settlement.statement_documents.store import STATEMENT_DOCUMENT, STATEMENT_DOCUMENTS

    # Ids built on a person (person states, critical persons and accounts) are never rewritten: after a blind-index
    # rotation they are found under the old key version, which must stay held. Chronic claim lines live in one
    # collection per statement (claims_<statement>) and the audit trail is never resealed (its MACs cover it).
    return {"intake": [(APPLICATIONS, APPLICATION), (DOCUMENTS, DOCUMENT), (COMPLAINTS, COMPLAINT),
                       (NOTIFICATIONS, NOTIFICATION), (SURVEYS, SURVEY),
                       (care_applications.CARE_APPLICATIONS, care_applications.APPLICATION),
                       (care_applications.CARE_DOCUMENTS, care_applications.DOCUMENT)],
            "appraisal": [(CASES, CASE), (institutions.INSTITUTIONS, institutions.INSTITUTION),
                          (institutions.INSTITUTION_DOCUMENTS, institutions.DOCUMENT)],
            "archive": [(ENTRIES, ENTRY), (PERSON_ACCESSES, ACCESS)],  # files, and who read them (查阅记录)
            "settlement": [(CI_DOCUMENTS, CLAIM_DOCUMENT), (PERSON_PAYABLES, TO_PERSON), (PAYMENTS, TO_PERSON),
                           (STATEMENT_DOCUMENTS, STATEMENT_DOCUMENT), (person_book.PERSON_STATES, person_book.SNAPSHOT),
                           (chronic.SETTLEMENTS, chronic.SETTLED_PERSONS), (critical.PERSONS, critical.PERSON),
                           (critical.ACCOUNTS, critical.PERSON), (critical.CLAIMS, critical.CLAIM),
                           (critical.QUOTA_MEMBERS, critical.MEMBER), (critical.REVIEWS, critical.REVIEW),
                           (critical.STATEMENTS, critical.STATEMENT)],
            "audit": [*READMODEL.items(), (sampling.PLANS, sampling.PLAN), (sampling.TASKS, sampling.TASK),
                      (sampling.CALLBACKS, sampling.CALLBACK), (WARNINGS, WARNING)]}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="keys_command", required=True)
    rotate = sub.add_parser("rotate", help="add a key version: new writes use it, old values still open")
    rotate.add_argument("--purpose", required=True, choices=PURPOSES)
    rotate.add_argument("--tenant", required=True)
    rotate.add_argument("--key-dir", default="", help="default $JINGBAN_KEY_DIR, else <data dir>/keys")
    reseal = sub.add_parser("reseal", help="move sealed personal data to the newest key, re-index blind indexes")
    reseal.add_argument("--service", action="append", choices=("intake", "appraisal", "archive", "settlement"),
                        help="only this service (repeatable; default all that hold personal data)")
    reseal.add_argument("--tenant", action="append", help="only this tenant (repeatable; default all served)")
    reseal.add_argument("--key-dir", default="", help="default $JINGBAN_KEY_DIR, else <data dir>/keys")


def _fail(code: int, message: str, field: str = "") -> int:
    print(json.dumps({"error": {"code": "invalid_input" if code == 2 else "unavailable", "message": message,
                                **({"field": field} if field else {})}}, ensure_ascii=False), file=sys.stderr)
    return code


def run(args: argparse.Namespace) -> int:
    from chassis.keys import KeyNotFound, KeyProvider

    if args.keys_command == "rotate":
        settings = Settings.from_env()
        keys = KeyProvider(args.key_dir or settings.keys_path)
        try:
            key_id = keys.rotate(args.purpose, args.tenant)
        except ValueError as exc:
            return _fail(2, str(exc), "tenant")
        print(json.dumps({"rotated": key_id}))
        if args.purpose == "blind-index":
            print("lookups by identity number miss until `jingban keys reseal` has re-indexed", file=sys.stderr)
        return 0
    try:
        counts = asyncio.run(reseal(args.service or list(sealed_collections()), args.tenant, args.key_dir))
    except KeyNotFound as exc:
        return _fail(1, str(exc))
    except ValueError as exc:
        return _fail(2, str(exc))
    print(json.dumps(counts, indent=1, sort_keys=True))
    return 0


async def reseal(services: Iterable[str], tenants: Iterable[str] | None, key_dir: str = "") -> dict[str, int]:
    """`<service>/<tenant>/<collection>` → documents changed (and `archive/<tenant>/exports` → zips resealed)."""
    from chassis.keys import KeyProvider
    from chassis.pii import Sealer, reseal_collection
    from chassis.store.mongo import MongoStore

    specs = sealed_collections()
    counts: dict[str, int] = {}
    for service in services:
        settings = Settings.from_env(service)
        if not settings.mongodb_uri:
            raise ValueError("reseal works on the MongoDB store (MONGODB_URI): embedded mode's store "
                             "lives and dies with its process")
        keys = KeyProvider(key_dir or settings.keys_path, create=False)
        store = MongoStore(settings.mongodb_uri, settings.db_prefix)
        try:
            for tenant in tenants or settings.tenants:
                sealer = Sealer(keys, tenant)
                db = store.database(service, tenant)
                for collection, spec in specs[service]:
                    counts[f"{service}/{tenant}/{collection}"] = await reseal_collection(db[collection], spec,
                                                                                        sealer)
                if service == "archive":
                    counts[f"archive/{tenant}/exports"] = await asyncio.to_thread(
                        _reseal_files, Path(settings.data_dir) / "exports" / tenant, sealer)
        finally:
            await store.close()
    return counts


def _reseal_files(folder: Path, sealer: Any) -> int:
    """archive's export zips under the newest key (written whole, then swapped in)."""
    changed = 0
    for path in sorted(folder.glob("*.zip")) if folder.is_dir() else []:
        held = path.read_bytes()
        fresh = sealer.reseal(held)
        if fresh != held:
            tmp = path.with_suffix(".part")
            tmp.write_bytes(fresh)
            tmp.replace(path)
            changed += 1
    return changed
