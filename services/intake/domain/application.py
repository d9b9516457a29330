"""An application (申请) for a chronic/special disease status, and the rules it must satisfy on arrival."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

from chassis.errors import Conflict, InvalidInput, PayloadTooLarge, UnsupportedMediaType

# Document kinds the agency asks for (申请表, 二级以上医院近两年病历, 身份证, 社保卡或银行卡).
DOCUMENT_KINDS = ("application_form", "medical_record", "id_card", "insurance_card", "other")
ALLOWED_CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


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


class AgentIn(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    relation: str = Field(min_length=1, max_length=20)
    phone: str = Field(pattern=r"^1\d{10}$")


DISEASE_CODE = r"^[A-Z][A-Z0-9]{1,9}$"
MAX_DISEASES = 10  # a sanity bound; the tenders name no limit ("两种或两种以上")


class ApplicationIn(BaseModel):
    """What an applicant, a window clerk or an agent files: a first application for one or more diseases
    (申请两种及以上病种), or a re-review (复审) of a qualification the person holds."""

    person_id: str = Field(description="resident ID number (身份证号), 18 characters")
    person_name: str = Field(min_length=1, max_length=50)
    disease_code: str | None = Field(default=None, pattern=DISEASE_CODE,
                                     description="one disease code from the program's policy (kept for compatibility; "
                                                 "`diseases` lists several)")
    diseases: list[Annotated[str, Field(pattern=DISEASE_CODE)]] = Field(
        default_factory=list, max_length=MAX_DISEASES, description="every disease applied for, each appraised apart")
    kind: Literal["initial", "review"] = Field(default="initial", description="initial | review (复审)")
    qualification_id: str | None = Field(default=None, min_length=1, max_length=64,
                                         description="re-review: the qualification (资格) to re-review")
    channel: Literal["online", "window", "agent"] = "online"
    phone: str | None = Field(default=None, pattern=r"^1\d{10}$")
    program: str = Field(default="hz-chronic", pattern=r"^[a-z0-9-]{2,40}$")
    treating_hospital: str = Field(default="", max_length=40, description="code of the diagnosing hospital")
    agent: AgentIn | None = Field(default=None, description="who files for the applicant (代办)")

    @field_validator("person_id")
    @classmethod
    def _resident_id(cls, v: str) -> str:
        v = v.strip().upper()
        if not valid_resident_id(v):
            raise ValueError("not a valid 18-character resident ID number (check digit or birth date wrong)")
        return v


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


class ReviewIn(BaseModel):
    """Preliminary review (初审) by a clerk."""

    decision: Literal["complete", "missing", "reject"]
    missing: list[str] = Field(default_factory=list, description="document kinds the applicant must add")
    note: str = Field(default="", max_length=1000)

    @field_validator("missing")
    @classmethod
    def _kinds(cls, v: list[str]) -> list[str]:
        unknown = [k for k in v if k not in DOCUMENT_KINDS]
        if unknown:
            raise ValueError(f"unknown document kinds {unknown}; expected from {list(DOCUMENT_KINDS)}")
        return v


def missing_documents(required: list[str] | tuple[str, ...], provided: list[str]) -> list[str]:
    """The disease's checklist (材料清单) minus what the applicant has provided."""
    have = set(provided)
    return [k for k in required if k not in have]


def check_review(status: str, decision: str, checklist_missing: list[str], requested: list[str]) -> None:
    if status not in REVIEWABLE:
        raise Conflict(f"application is {status}; only a submitted application can be reviewed")
    if decision == "complete" and checklist_missing:
        raise Conflict(f"cannot complete: required documents missing {checklist_missing}")
    if decision == "missing" and not (requested or checklist_missing):
        raise InvalidInput("say which documents are missing", "missing")


def timeline_entry(status: str, at: str, note: str = "") -> dict[str, str]:
    return {"status": status, "label": STATUS_LABELS.get(status, status), "at": at, "note": note}


def applied_diseases(body: ApplicationIn, several_allowed: bool) -> list[str]:
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
