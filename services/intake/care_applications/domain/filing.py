"""A long-term care application as filed (长护险失能等级评定申请): who files it (the person on a phone, a clerk at the
window, an agent through a clerk), on which basis (illness after treatment, or old age), the person's lot, and the
documents it needs. Pure: the door's checked form and today's date come in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from chassis.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from chassis.reasons import Reason
from services.intake.applications.domain.application import ALLOWED_CONTENT_TYPES, sniff_matches, valid_resident_id
from services.intake.lots.domain.routing import Lot, Lots, lot_for

__all__ = ["DOCUMENT_KINDS", "Filing", "Uploaded", "birth_date", "check_filing", "check_upload", "lot_of_person",
           "required_documents", "valid_resident_id"]

# The documents of an application (申请材料): the ID card always; medical records showing six months of disability
# after treatment (illness basis); an agent's authorization (代办委托书) when an agent files; anything else.
DOCUMENT_KINDS = ("id_card", "medical_records", "agent_authorization", "other")
CHANNELS = ("online", "window", "agent")
BASES = ("illness", "old_age")


@dataclass(frozen=True)
class Filing:
    """The door's checked `application` JSON."""

    person_id: str
    district: str  # a lots.yaml district (鹿城区 …) or the city level (市本级)
    channel: str  # online | window | agent
    basis: str  # illness | old_age
    insutype: str  # 310 employees | 390 residents
    disabled_since: date | None = None
    care_institution_id: str = ""
    phone: str | None = None
    agent: Mapping[str, str] | None = None  # name, phone, relation


def birth_date(person_id: str) -> date:
    """The birth date the identity number carries (digits 7–14)."""
    return date(int(person_id[6:10]), int(person_id[10:12]), int(person_id[12:14]))


def check_filing(role: str, subject: str, filing: Filing, members: Iterable[str], today: date) -> None:
    """Refuse a filing before anything is stored: an applicant for someone else, a non-member, an agent unnamed,
    the basis and its date disagreeing."""
    if role == "applicant" and subject != filing.person_id:
        raise InvalidInput("an applicant files only for themself; an agent files through a clerk",
                           "application.person_id", code="applicant_not_person")
    member_types = sorted(members)
    if filing.insutype not in member_types:
        raise InvalidInput(f"insurance type {filing.insutype!r} is not one of the program's members "
                           f"{member_types}", "application.insutype", code="not_a_member",
                           params={"insutype": filing.insutype, "members": ",".join(member_types)})
    if filing.channel == "agent" and not filing.agent:
        raise InvalidInput("an agent's filing names the agent (name, phone, relation)", "application.agent",
                           code="agent_required")
    if filing.basis == "illness":
        if filing.disabled_since is None:
            raise InvalidInput("an illness basis says since when the person is disabled", "application.disabled_since",
                               code="disabled_since_required")
        if filing.disabled_since > today or filing.disabled_since < birth_date(filing.person_id):
            raise InvalidInput("disabled_since is after today or before the person's birth",
                               "application.disabled_since", code="disabled_since_out_of_range")
    elif filing.disabled_since is not None:
        raise InvalidInput("an old-age basis has no disabled_since (it belongs to an illness basis)",
                           "application.disabled_since", code="disabled_since_only_for_illness")


def lot_of_person(lots: Lots, district: str, person_id: str) -> tuple[Lot, Reason]:
    """The person's lot (片区) by their district, a city-level person's by the recorded rule (lots/domain/routing.py);
    an unknown district is refused naming the application's field."""
    try:
        return lot_for(lots, district, person_id)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, f"application.{exc.field or 'district'}", code=exc.code) from None


def required_documents(basis: str, channel: str) -> list[str]:
    """What an application needs (材料清单): the ID card; medical records on an illness basis (none for old age);
    an agent's authorization when an agent files."""
    return ["id_card", *(["medical_records"] if basis == "illness" else []),
            *(["agent_authorization"] if channel == "agent" else [])]


@dataclass(frozen=True)
class Uploaded:
    kind: str
    filename: str
    content_type: str
    size: int


def check_upload(doc: Uploaded, head: bytes, max_bytes: int) -> None:
    """Refuse a document before anything is stored: unknown kind, wrong type, too big, empty, bytes not of the
    declared type (a renamed .exe is not a scan)."""
    field = f"documents.{doc.kind}"
    if doc.kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"unknown document kind {doc.kind!r}; expected one of {list(DOCUMENT_KINDS)}", doc.kind,
                           code="document_kind_unknown")
    if doc.content_type not in ALLOWED_CONTENT_TYPES:
        raise UnsupportedMediaType(f"{doc.kind}: content type {doc.content_type!r} not accepted; use JPEG, PNG or "
                                   "PDF", field)
    if doc.size > max_bytes:
        raise PayloadTooLarge(f"{doc.kind}: {doc.size} bytes exceeds the {max_bytes}-byte limit", field)
    if doc.size == 0:
        raise InvalidInput(f"{doc.kind}: file is empty", field)
    if not sniff_matches(doc.content_type, head):
        raise UnsupportedMediaType(f"{doc.kind}: content is not {doc.content_type}", field)
