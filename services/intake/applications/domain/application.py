"""An application (申请) for a chronic/special disease status, and the rules it must satisfy on arrival."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from chassis.errors import Conflict, InvalidInput, PayloadTooLarge, UnsupportedMediaType
from chassis.reasons import Reason, as_json
from services.intake.applications.domain.program_fields import InpatientRecords

# Document kinds the agency asks for (申请表, 二级以上医院近两年病历, 身份证, 社保卡或银行卡).
DOCUMENT_KINDS = ("application_form", "medical_record", "id_card", "insurance_card", "other")
ALLOWED_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]\Z")  # ASCII digits (`\d` is any script's), no final newline


def valid_resident_id(value: str) -> bool:
    """GB 11643-1999 resident identity number: 17 digits, a birth date, and the mod-11 check character."""
    if not _ID_RE.match(value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17]


DISEASE_CODE = r"^[A-Z][A-Z0-9]{1,9}$"
MAX_DISEASES = 10  # a sanity bound; the tenders name no limit ("两种或两种以上")


@dataclass(frozen=True)
class Filing:
    """What an applicant, a window clerk or an agent files (the door's checked form): a first application for one
    or more diseases (申请两种及以上病种), or a re-review (复审) of a qualification the person holds."""

    person_id: str
    person_name: str
    disease_code: str | None = None
    diseases: tuple[str, ...] = ()
    kind: str = "initial"  # initial | review (复审)
    qualification_id: str | None = None
    channel: str = "online"  # online | window | agent
    phone: str | None = None
    program: str = "hz-chronic"
    program_given: bool = False  # the form named its program (else the tenant's own program applies)
    treating_hospital: str = ""
    agent: dict[str, str] | None = None  # who files for the applicant (代办): name, relation, phone
    district: str | None = None  # the program's own fields (program_fields.py), as declared
    inpatient_records: InpatientRecords | None = None


def check_filer(role: str, subject: str, filing: Filing) -> None:
    """An applicant files only for themself; an agent's filing (through a clerk) names the agent."""
    if role == "applicant" and subject != filing.person_id:
        raise InvalidInput("an applicant files only for themself; an agent files through a clerk",
                           "application.person_id")
    if filing.channel == "agent" and filing.agent is None:
        raise InvalidInput("an agent filing names the agent", "application.agent")


@dataclass(frozen=True)
class UploadedDocument:
    kind: str
    filename: str
    content_type: str
    size: int


def check_document(doc: UploadedDocument, max_bytes: int) -> None:
    """Refuse a document before anything is stored: unknown kind, wrong type, too big, empty."""
    field = f"documents.{doc.kind}"
    if doc.kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"unknown document kind {doc.kind!r}; expected one of {list(DOCUMENT_KINDS)}", doc.kind)
    if doc.content_type not in ALLOWED_CONTENT_TYPES:
        raise UnsupportedMediaType(
            f"{doc.filename}: content type {doc.content_type!r} not accepted; use JPEG, PNG or PDF", field)
    if doc.size > max_bytes:
        raise PayloadTooLarge(f"{doc.filename}: {doc.size} bytes exceeds the {max_bytes}-byte limit", field)
    if doc.size == 0:
        raise InvalidInput(f"{doc.filename}: file is empty", field)


def sniff_matches(content_type: str, head: bytes) -> bool:
    """The bytes must be what the declared type says (a renamed .exe is not a photo)."""
    if content_type == "application/pdf":
        return head.startswith(b"%PDF-")
    if content_type == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if content_type == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    return False


# The applicant-visible life of an application (申请状态).
STATUS_LABELS = {
    "submitted": "已提交 submitted, awaiting preliminary review",
    "documents_missing": "待补充材料 documents missing",
    "complete": "受理完成 complete, appraisal being organised",
    "in_appraisal": "鉴定中 experts appointed",
    "approved": "鉴定通过 approved",
    "not_approved": "鉴定未通过 not approved",
    "filed": "已备案 filed with the provincial platform",
    "rejected": "不予受理 rejected",
    "revoked": "已撤销 revoked",
    "decided": "鉴定已出结论 each disease decided (see disease_status)",
    "review_passed": "复审通过 re-review passed, benefits continue",
    "review_failed": "复审未通过 re-review failed, qualification revoked",
    "renewed": "待遇继续 benefits continue until the next re-review",
}
REVIEWABLE = frozenset({"submitted"})


def missing_documents(required: list[str] | tuple[str, ...], provided: list[str]) -> list[str]:
    """The disease's checklist (材料清单) minus what the applicant has provided."""
    have = set(provided)
    return [k for k in required if k not in have]


def check_review(status: str, decision: str, checklist_missing: list[str], requested: list[str]) -> None:
    if status not in REVIEWABLE:
        raise Conflict(f"application is {status}; only a submitted application can be reviewed",
                       code="application_not_reviewable")
    if decision == "complete" and checklist_missing:
        raise Conflict(f"cannot complete: required documents missing {checklist_missing}",
                       code="required_documents_missing", params={"missing": ",".join(checklist_missing)})
    if decision == "missing" and not (requested or checklist_missing):
        raise InvalidInput("say which documents are missing", "missing", code="missing_documents_unnamed")


# What the platform writes on the timeline (办理进度), by a stable code: each entry says which (`event`) with its
# values (`params`) beside the English `note`, so a page says it in the person's language without reading the note.
# Params are codes, counts and dates only — never a name, an identity number or a phone (they stay clear at rest);
# what a person wrote (the clerk's note, the experts' reason, 1101's error) stays in the sealed `note` and reasons.
TIMELINE_EVENTS: dict[str, str] = {
    "submitted": "filed (params: channel)",
    "documents_added": "documents added (count, kinds, still_missing)",
    "review_completed": "the preliminary review found it complete (note: the clerk's)",
    "documents_requested": "the clerk asked for documents (missing; note: the clerk's)",
    "review_refused": "refused at the preliminary review (note: the clerk's)",
    "not_insured": "refused: 1101 does not confirm the person insured (1101's error: in the note and reasons only)",
    # appraisal's decisions; on an application of several diseases each also names its `disease` (code)
    "experts_appointed": "experts drawn for the case",
    "appraisal_concluded": "the experts concluded (outcome approved|not_approved; note: their reason)",
    "review_concluded": "a re-review concluded (outcome: appraisal's code; note: the reason)",
    "benefits_granted": "qualification granted (benefit_start)",
    "qualification_filed": "qualification filed (filing_serial)",
    "qualification_revoked": "qualification revoked (note: the reason)",
    "review_due": "a re-review falls due (due_on)",
    "benefits_renewed": "benefits continue after a re-review (review_due, null when none)",
}


def timeline_entry(status: str, at: str, note: str = "", reasons: Sequence[Reason] = (), event: str = "",
                   params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One step of the applicant-visible timeline; a decision's step carries its reasons' codes too, and every step
    the platform writes its `event` code (TIMELINE_EVENTS) and `params`."""
    entry: dict[str, Any] = {"status": status, "label": STATUS_LABELS.get(status, status), "at": at, "note": note}
    if event:
        entry["event"], entry["params"] = event, dict(params or {})
    if reasons:
        entry["reason_codes"] = as_json(reasons)
    return entry


def applied_diseases(body: Filing, several_allowed: bool) -> list[str]:
    """The diseases of an application, in the order given, each once: `disease_code` (the one-disease form) first,
    then `diseases`. A first application names at least one (several only where the program allows it); a re-review
    names the qualification, and at most its one disease (checked against the qualification by the caller)."""
    codes = list(dict.fromkeys([*([body.disease_code] if body.disease_code else []), *body.diseases]))
    if body.kind == "review":
        if not body.qualification_id:
            raise InvalidInput("a re-review (复审) names the qualification it re-reviews",
                               "application.qualification_id")
        if len(codes) > 1:
            raise InvalidInput("a re-review concerns the one disease of its qualification", "application.diseases")
        return codes
    if body.qualification_id:
        raise InvalidInput("only a re-review (kind: review) names a qualification", "application.qualification_id")
    if not codes:
        raise InvalidInput("name the disease applied for: `disease_code`, or `diseases` for several",
                           "application.diseases")
    if len(codes) > 1 and not several_allowed:
        raise InvalidInput(f"this program takes one disease per application; {len(codes)} given",
                           "application.diseases")
    return codes


def checklist_union(checklists: Sequence[Sequence[str]]) -> list[str]:
    """Documents required for several diseases (材料清单): every disease's, each once, in first-named order."""
    return list(dict.fromkeys(kind for checklist in checklists for kind in checklist))


# Per-disease progress of an application listing several diseases: the application's own status sums them up.
UNDECIDED = frozenset({"submitted", "documents_missing", "complete", "in_appraisal"})


def overall_status(diseases: Sequence[str], per_disease: dict[str, str], stored: str) -> str:
    """One status for an application of several diseases: theirs when they agree; `in_appraisal` while any is
    still being appraised; `decided` once each has its own outcome (see `disease_status`)."""
    if len(diseases) < 2 or not per_disease:
        return stored
    states = [per_disease.get(d, "complete") for d in diseases]
    if len(set(states)) == 1:
        return states[0]
    if any(s in UNDECIDED for s in states):
        return "in_appraisal"
    return "decided"


# What an applicant, a clerk or a reader sees of an application.
DOC_KEYS = ("document_id", "kind", "filename", "content_type", "size", "sha256")


def diseases_of(app: dict[str, Any]) -> list[str]:
    """Every disease of an application (applications filed before `diseases` existed name one)."""
    return list(app.get("diseases") or [app["disease_code"]])


def public_view(app: dict[str, Any]) -> dict[str, Any]:
    return {
        "application_id": app["_id"], "person_id": app["person_id"], "person_name": app["person_name"],
        "disease_code": app["disease_code"], "channel": app["channel"], "program": app["program"],
        "diseases": diseases_of(app), "kind": app.get("kind", "initial"),
        "qualification_id": app.get("qualification_id"), "disease_status": app.get("disease_status") or {},
        "status": overall_status(diseases_of(app), app.get("disease_status") or {}, app["status"]),
        "submitted_at": app["submitted_at"], "filed_by": app.get("filed_by"),
        "treating_hospital": app.get("treating_hospital", ""), "agent": app.get("agent"),
        "insurance": app.get("insurance"), "missing": app.get("missing", []),
        "documents": [{k: d[k] for k in DOC_KEYS} for d in app.get("documents", [])],
        "timeline": app.get("timeline", []),
        **{k: app[k] for k in ("district", "district_name", "inpatient_records") if k in app},
        # Why the review decided as it did (documents missing, rejected): codes beside the timeline's sentences.
        **({"reason_codes": app["reason_codes"]} if "reason_codes" in app else {}),
    }
