"""Personal data at rest (个人信息加密存储, PIPL): identity numbers, names, phones and documents are sealed with
the tenant's own key before they reach a store, and a person is found by a keyed blind index of their identity
number, never by the number itself.

- **Sealing**: AES-256-GCM, key purpose `pii` of the tenant (chassis/keys.py), 12-byte random nonce, the tenant
  bound as associated data — a value copied into another tenant's database does not open there. A sealed value
  names the key version that sealed it, so a rotation (`jingban keys rotate --purpose pii`) changes only new
  writes; `Sealer.reseal` (and `reseal_collection`) moves old values to the newest key. Text is sealed into a
  string `pii:1:<key id>:<base64url of nonce + ciphertext>`; bytes (documents) into bytes
  `pii:1:<key id>:<nonce + ciphertext>` (no base64: a scan of an ID card stays its own size). Anything else read
  back (a value stored before sealing existed) is returned as it is.
- **Blind index**: HMAC-SHA256 with key purpose `blind-index` of the tenant over the normalised identity number
  (trimmed, upper-case X), hex. Deterministic per tenant, different across tenants. Rotating the blind-index key
  means re-indexing (`reseal_collection` recomputes the index from the sealed value); lookups that ask with
  `blind_indexes` (every key version held) find what is not re-indexed yet.
- **Ids built on a person** (settlement's `<person>#<version>`, `<person>|<year>`, audit's settled months): built
  on `id_index` instead — the same HMAC over the value exactly as given (two strings differing only in the case
  of the check letter stay two documents, as they were), equal to the blind index for a normalised number. Ids are
  never rewritten: after a blind-index rotation a document is found under its old id (`id_indexes`, every key
  version held, newest first), so an old blind-index key version must stay held while such documents live.
- **Where**: a service's stores seal on write and open on read (services and doors keep clear values in memory);
  the database a store is given carries the tenant's `Sealer` (`ServiceContext.db` attaches it; the in-memory store
  attaches one with keys held in memory, as short-lived as its data). A `Sealed` spec per collection says which
  fields are sealed and which identity-number fields get a blind index beside them.

What each store keeps — `index`: the identity number sealed, its blind index beside it (`person_bi`), queries by
the index; `sealed`: AES-GCM text; `json`: the value sealed whole as JSON; `bytes`: sealed bytes; `clear`: why.

| service · collection | field | kept | why |
|---|---|---|---|
| intake · applications | person_id | index | listed per person (an applicant's own) |
| | person_name, phone | sealed | |
| | rejection, timeline.*.note | sealed | may quote 1101's error (证件号码校验失败：<number>) |
| | agent | json | the agent's name and phone |
| | filed_by | json | an applicant files as themself: the subject is their identity number |
| | insurance, reason_codes, timeline.*.reason_codes | json | psn_no; 1101's error |
| | documents.*.filename | sealed | a file name may name the person |
| | status, kind, program, diseases, qualification_id, assigned_experts, dates | clear | queried; not identifying |
| | timeline.*.event, timeline.*.params | clear | codes, counts, document kinds, dates, filing number |
| intake · documents | content | bytes | ID card scans, medical records |
| | filename | sealed | |
| | application_id, kind, content_type, size, sha256 | clear | lookup; integrity |
| intake · care_applications | person_id | index | listed per person; one open application per person |
| | phone, documents.*.filename, timeline.*.note | sealed | |
| | agent, filed_by, reason_codes, screenings.*, timeline.*.reason_codes | json | the agent's name and phone; an |
| | | | applicant's subject; the clerk's notes |
| | status, lot, district, basis, insutype, disabled_since, assessors, assessment, dates | clear | queried |
| | timeline.*.event, timeline.*.params | clear | codes, counts, document kinds, lot, round, grade |
| intake · care_documents | content; filename | bytes; sealed | ID card scans, medical records, authorizations |
| intake · complaints | person_id | sealed | not a lookup key here |
| | phone, detail, filed_by | sealed | free text of the person; an applicant's subject |
| | subject, kind, status, resolution, resolved_by, dates | clear | staff's short texts; queried by status |
| intake · notifications | person_id | index | listed per person |
| | phone, text | sealed | a message may quote the case |
| intake · surveys | person_id | sealed | never read back (answers are aggregated) |
| | answers, comment | clear | scores; anonymous feedback read per period |
| archive · entries | person_id | index | a person's file; every person for a handover |
| | title | sealed | carries file names, reasons, complaint subjects |
| | attributes | json | name, psn_no, file names, reasons |
| | kind, occurred_at, tenant, source_event_id, imported_from | clear | order, dedupe, undoing an import |
| archive · export zips (files) | the whole zip | bytes | it holds every person's file |
| archive · exports, imports | records | clear | counts, sha256, staff subjects only |
| archive · person_accesses | person_id; subject, object_id | index; sealed | (the access-records room's store) |
| appraisal · cases | person_id | index | a person's qualifications (GetQualifications) |
| | person_name, psn_no, qualification.person_id | sealed | |
| | filing_error | sealed | the platform's errors may quote the person's numbers |
| | opinions, conclusion, draws, disease_code, statuses, dates | clear | staff's work; queried |
| appraisal · institutions | contact.name, contact.phone; every file name | sealed | the contact person |
| | interviews.*.attendees, interviews.*.violations | json | may name people |
| | id, kind, name, district, modes, beds, staff, statuses, terms, notes, dates | clear | queried; published |
| appraisal · institution_documents | content; filename | bytes; sealed | licences, evidence, minutes |
| appraisal · ltc_assessments | person_id | index | a person's assessments and re-checks |
| | visit.place, visit.notes, visit.evidence.*.filename, objection.reason, objection.by | sealed | the home's |
| | | | address, notes on the person; an applicant objects as themself |
| | visit.present | json | may name family members |
| | assessors, draws, conclusion (scores, grade, version), statuses, dates | clear | staff's work; queried |
| appraisal · ltc_assessors | name | sealed | (ids, background, institution, degree clear: the draw's inputs) |
| appraisal · ltc_evidence | content; filename | bytes; sealed | the visit's photos and recordings |
| settlement · ci_documents | content; filename | bytes; sealed | invoices, discharge summaries |
| settlement · ci_person_payables, ci_payments | person_id; bank_account | sealed; json | |
| settlement · person_states | _id; person_id | `<id index>#<version>`; index | reloaded per person after a conflict |
| | holdings, accounts, months, cause | clear | qualification ids, diseases, fen, statement ids |
| settlement · claims_<statement> | person_id | index | a statement's claims listed per person |
| settlement · settlements | persons.*.person_id | sealed | never queried (their events carry the person) |
| settlement · statement_documents | content; filename | bytes; sealed | settlement sheets list patients |
| settlement · ci_persons; ci_accounts | _id; person_id | on the id index (below); index | |
| settlement · ci_claims | person_id; digest, documents.*.filename | index; sealed | a year's claims per person; the |
| | | | digest hashes the claim's inputs, the number among them |
| settlement · ci_quota_members | _id; key; person_id | on the key's id index (below); sealed; index | |
| settlement · ci_reviews | person_id, note | sealed | never queried by person; the reviewer's text |
| settlement · ci_statements | lines.*.person_id | sealed | |
| audit · cases, applications, appraisals, complaints, benefits, ci_claims, findings | person_id | index | cases and |
| | | | findings per person (read model, sampling) |
| audit · benefits | _id | `<statement>:<id index>:<institution>:<month>` | one per person, institution, month |
| audit · ltc_applications, ltc_assessments, ltc_surveys | person_id | index | long-term care's reports count the |
| | | | persons covered and surveyed (read model) |
| audit · ltc_services, ltc_statements, ltc_patrols | persons | clear (a count) | the events' lists of persons are |
| | | | never kept, only how many |
| audit · applications; cases; findings | reject_reason; revoke_reason; description | sealed | may quote the |
| | | | number; free text |
| audit · sampling_plans | sampled.*.person_id | sealed | (strata hold case ids only) |
| audit · inspection_tasks; callbacks | person_id, notes; person_id, attempts.*.notes | sealed | a call-back's id |
| | | | is derived from the person's id index |
| audit · warnings | subject, description, report; evidence | sealed; json | a person's pattern names them; its id is |
| | | | derived from their id index |
| audit · trail | business_key | index (`business_bi`) | sealed BEFORE the MAC is computed: verification needs |
| | | | no pii key; entries are never resealed (the key version that sealed one must stay held) |
| audit · trail | payload_sha256 | clear | the payload itself is not kept |
| audit · sv_inspections | note, findings.*.description, report.summary, checklist.*.note, | sealed | free text may |
| | evidence.*.filename, evidence.*.note, dossier.anomalies.*.description | | name an insured person or a doctor |
| audit · sv_evidence; sv_record_samples | content, filename; results.*.note | bytes, sealed; sealed | photos, |
| | | | copies of records; notes on a patient's record (record ids are the hospital's case numbers: clear) |
| audit · sv_leads | summary, detail, verification.note | sealed | a tip's own words may name the person |
| audit · sv_cases; sv_case_inspections | findings.*.description, decisions/recoveries/closing notes, | sealed | |
| | documents.*.filename; findings.*.description | | a case file's free text names patients and doctors |
| audit · sv_case_documents; sv_agency_audit_reports | filename, content; content | sealed, bytes | case documents, |
| | | | the agency audit's written report (.docx) |
| audit · sv_agency_audits | checks.*.note, report.conclusion, report.recommendations | sealed | notes on a person's |
| | | | manual reimbursement |
| audit · review_claims (smart review) | person_id; facts | sealed + index (`person_bi`); json | the lines |
| | | | reviewed as history: the person's sex and birth date travel with them |
| audit · review_hits | decision.note | sealed | a reviewer's note may name the person; hits name claims and |
| | | | lines only |

Ids on an id index: `ci_persons` `<id index>`; `ci_accounts` `<id index>` + `|<year>`; `ci_quota_members`
`<year>|<stratum>|` + the id index of the member's key (a person, or a claim's key); `person_states`
`<id index>#<version>`; audit's `benefits` as above.

Stores of settlement (critical) and audit seal and re-key what they find stored clear when they start (documents
without a blind index). Not done (open work): pending events in `_outbox` carry their payload in clear until the
relay publishes them (seconds; the relay holds no key); trail entries appended before sealing keep their clear
business key (rewriting them would break their MAC) and are not found by a lookup by business key; chronic claim
lines stored before sealing have no blind index until resealed. Ids and draws derived from a person are derived
from the `id_index` (stores' `pseudonym`), never from an unkeyed hash of the number and a little known context,
which trying every number would reverse: `critical_claim.settled` (`<index>|<year>`), `benefits.settled`
(statement, index), a manual reimbursement's `M-<sha256>` (the claim as sent with the index for the number), the
review-quota draw (on the member's index), a chronic upload's digest and derived batch id (`b<…>`, keyed). Ids and
digests minted before stay as they were (events already published; a claim or batch stored under its earlier id is
looked up under it when sent again). The masked form shown in warnings and reports (first 6, last 4) leaves only
the birth date to guess.

`jingban keys rotate --purpose pii --tenant T` adds a key version; `jingban keys reseal` (jingban/keys_cli.py)
re-encrypts the collections it lists under the newest key (not yet settlement's person-keyed collections nor
audit's, whose `Sealed` specs their stores name; never the trail)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chassis.keys import KeyNotFound

PII = "pii"
BLIND_INDEX = "blind-index"
_TEXT = "pii:1:"
_DATA = b"pii:1:"
_NONCE = 12


class KeySource(Protocol):
    """What a sealer needs of the key provider (chassis.keys.KeyProvider)."""

    def current(self, purpose: str, tenant: str) -> tuple[str, bytes]: ...

    def get(self, key_id: str) -> bytes: ...


class SealBroken(Exception):
    """A sealed value does not open: another tenant's, tampered with, or sealed with a key this provider does not
    hold. The message never carries the value."""


class NoSealer(RuntimeError):
    """A store holding personal data was given a database without the tenant's sealer."""


def normalise_identity_number(identity_number: str) -> str:
    """The form the blind index is computed over: trimmed, the check letter upper-case (…X)."""
    return identity_number.strip().upper()


def blind_index(keys: KeySource, tenant: str, identity_number: str) -> str:
    """HMAC-SHA256 (purpose `blind-index` of the tenant) of the normalised identity number, hex."""
    _, key = keys.current(BLIND_INDEX, tenant)
    return _index(key, identity_number)


def _index(key: bytes, identity_number: str) -> str:
    return hmac.new(key, normalise_identity_number(identity_number).encode(), hashlib.sha256).hexdigest()


def is_sealed(value: Any) -> bool:
    return (isinstance(value, str) and value.startswith(_TEXT)) or (
        isinstance(value, bytes | bytearray) and bytes(value[: len(_DATA)]) == _DATA)


def key_id_of(value: str | bytes) -> str:
    """The key id a sealed value names."""
    if isinstance(value, str):
        return value[len(_TEXT):].split(":", 1)[0]
    rest = bytes(value[len(_DATA):])
    return rest.split(b":", 1)[0].decode()


class Sealer:
    """One tenant's sealing and blind index. Cheap to make (one per database handle); it reads the newest key
    version once, on first use."""

    def __init__(self, keys: KeySource, tenant: str) -> None:
        self.keys, self.tenant = keys, tenant
        self._current: tuple[str, bytes] | None = None
        self._index_key: bytes | None = None
        self._index_keys: list[bytes] | None = None

    def _aad(self, key_id: str) -> bytes:
        return f"jingban:pii:1:{self.tenant}:{key_id}".encode()

    def _newest(self) -> tuple[str, bytes]:
        if self._current is None:
            self._current = self.keys.current(PII, self.tenant)
        return self._current

    def _encrypt(self, plain: bytes) -> tuple[str, bytes]:
        key_id, key = self._newest()
        nonce = os.urandom(_NONCE)
        return key_id, nonce + AESGCM(key).encrypt(nonce, plain, self._aad(key_id))

    def _decrypt(self, key_id: str, blob: bytes) -> bytes:
        purpose, _, rest = key_id.partition("/")
        if purpose != PII or rest.split("/", 1)[0] != self.tenant:
            raise SealBroken(f"a sealed value of another tenant or purpose ({key_id}) in tenant {self.tenant}")
        try:
            key = self.keys.get(key_id)
            return AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], self._aad(key_id))
        except KeyNotFound as exc:
            raise SealBroken(f"key {key_id} of a sealed value is not held by this provider") from exc
        except (InvalidTag, ValueError) as exc:
            raise SealBroken(f"a sealed value ({key_id}) does not open in tenant {self.tenant}") from exc

    # ---- values ----

    def _opens(self, value: str | bytes) -> bool:
        """Whether a value that looks sealed really is this tenant's (input that merely starts with `pii:1:` is
        sealed like any other)."""
        try:
            self.open(value)
        except SealBroken:
            return False
        return True

    def seal(self, text: str | None) -> str | None:
        """Text sealed (`pii:1:<key id>:<b64>`); None, "" and values already sealed stay as they are."""
        if not text or (is_sealed(text) and self._opens(text)):
            return text
        key_id, blob = self._encrypt(text.encode())
        return f"{_TEXT}{key_id}:{base64.urlsafe_b64encode(blob).decode()}"

    def seal_bytes(self, data: bytes) -> bytes:
        if is_sealed(data) and self._opens(data):
            return bytes(data)
        key_id, blob = self._encrypt(bytes(data))
        return _DATA + key_id.encode() + b":" + blob

    def open(self, value: Any) -> Any:
        """A sealed value opened (text → str, bytes → bytes); anything else as it is."""
        if isinstance(value, str) and value.startswith(_TEXT):
            key_id, _, b64 = value[len(_TEXT):].partition(":")
            try:
                blob = base64.urlsafe_b64decode(b64.encode())
            except ValueError as exc:
                raise SealBroken(f"a sealed value ({key_id}) is malformed") from exc
            return self._decrypt(key_id, blob).decode()
        if isinstance(value, bytes | bytearray) and bytes(value[: len(_DATA)]) == _DATA:
            key_part, _, blob = bytes(value[len(_DATA):]).partition(b":")
            return self._decrypt(key_part.decode(), blob)
        return value

    def seal_json(self, value: Any) -> Any:
        if value is None or (is_sealed(value) and self._opens(value)):
            return value
        return self.seal(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def open_json(self, value: Any) -> Any:
        return json.loads(self.open(value)) if isinstance(value, str) and value.startswith(_TEXT) else value

    def reseal(self, value: Any) -> Any:
        """A sealed value under the newest key (unchanged when it already is; clear values get sealed)."""
        if is_sealed(value) and key_id_of(value) == self._newest()[0]:
            return value
        opened = self.open(value)
        if isinstance(opened, bytes | bytearray):
            return self.seal_bytes(opened)
        return self.seal(opened) if isinstance(opened, str) else opened

    def blind_index(self, identity_number: str) -> str:
        return _index(self._blind_key(), identity_number)

    def id_index(self, value: str) -> str:
        """A keyed pseudonym of a value exactly as given, to build a document id on a person (`<index>#<version>`,
        `<index>|<year>`): the blind index's HMAC without its normalisation, so two values that differ only in case
        (…x, …X) never share a document. Equal to `blind_index` for a value already in normal form (a validated
        identity number)."""
        return hmac.new(self._blind_key(), value.encode(), hashlib.sha256).hexdigest()

    def blind_indexes(self, identity_number: str) -> list[str]:
        """The blind index under every blind-index key version held, newest first: what a lookup asks for, so a
        document indexed (or keyed) before a rotation is still found until `jingban keys reseal` re-indexes it."""
        return [_index(key, identity_number) for key in self._blind_keys()]

    def id_indexes(self, value: str) -> list[str]:
        """`id_index` under every blind-index key version held, newest first: a document whose id was built before
        a rotation is found under its old id (ids are never rewritten)."""
        return [hmac.new(key, value.encode(), hashlib.sha256).hexdigest() for key in self._blind_keys()]

    def _blind_key(self) -> bytes:
        if self._index_key is None:
            self._index_key = self.keys.current(BLIND_INDEX, self.tenant)[1]
        return self._index_key

    def _blind_keys(self) -> list[bytes]:
        if self._index_keys is None:
            key_id, newest = self.keys.current(BLIND_INDEX, self.tenant)
            self._index_key = self._index_key or newest
            prefix, _, version = key_id.rpartition("/v")
            keys = [newest]
            for older in range(int(version) - 1 if version.isdigit() else 0, 0, -1):
                try:
                    keys.append(self.keys.get(f"{prefix}/v{older}"))
                except KeyNotFound:  # a version retired from the provider: nothing indexed under it is found
                    continue
            self._index_keys = keys
        return self._index_keys


# ---- the database a store is given carries its tenant's sealer ----

SEALER_ATTRIBUTE = "pii_sealer"


class SealingDatabase:
    """A tenant's database (any adapter's) with the tenant's sealer beside it; everything else passes through."""

    def __init__(self, db: Any, sealer: Sealer) -> None:
        self._db = db
        self.pii_sealer = sealer

    def __getitem__(self, name: str) -> Any:
        return self._db[name]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def with_sealer(db: Any, sealer: Sealer) -> SealingDatabase:
    return SealingDatabase(db, sealer)


def sealer_of(db: Any) -> Sealer:
    """The sealer of the tenant whose database this is; a database without one holds no personal data."""
    found = getattr(db, SEALER_ATTRIBUTE, None)  # a driver's database answers any name with a collection: check
    if isinstance(found, Sealer):
        return found
    raise NoSealer("this database was opened without the tenant's sealer (open it through ServiceContext.db)")


# ---- which fields of a collection's documents are personal data ----

def _paths(paths: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(p.split(".")) for p in paths)


def _apply(obj: Any, path: tuple[str, ...], fn: Callable[[Any], Any]) -> Any:
    """`obj` with `fn` applied at `path` (`*` = every element of a list); copies only along the path, skips what is
    missing."""
    if not path:
        return fn(obj)
    head, rest = path[0], path[1:]
    if head == "*":
        return [_apply(x, rest, fn) for x in obj] if isinstance(obj, list) else obj
    if not isinstance(obj, dict) or head not in obj:
        return obj
    return {**obj, head: _apply(obj[head], rest, fn)}


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _set(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    if len(path) == 1:
        return {**obj, path[0]: value}
    inner = obj.get(path[0])
    return {**obj, path[0]: _set(inner if isinstance(inner, dict) else {}, path[1:], value)}


def _drop(obj: Any, path: tuple[str, ...]) -> Any:
    if not isinstance(obj, dict) or path[0] not in obj:
        return obj
    if len(path) == 1:
        return {k: v for k, v in obj.items() if k != path[0]}
    return {**obj, path[0]: _drop(obj[path[0]], path[1:])}


@dataclass(frozen=True)
class Sealed:
    """The personal data of one collection's documents: `text` paths sealed as text, `json` paths sealed whole as
    JSON, `data` paths holding bytes, and `persons`: identity-number paths → the path of their blind index (the
    number itself sealed). Paths are dotted, `*` for every element of a list. `seal` works on whole documents and
    on the partial ones of a `$set` (paths absent are skipped); `open` also drops the blind indexes."""

    text: tuple[str, ...] = ()
    json: tuple[str, ...] = ()
    data: tuple[str, ...] = ()
    persons: dict[str, str] = field(default_factory=dict)

    def seal(self, sealer: Sealer, doc: dict[str, Any]) -> dict[str, Any]:
        out = doc
        for path, index in self.persons.items():
            number = _get(out, tuple(path.split(".")))
            if isinstance(number, str) and number and not is_sealed(number):
                out = _set(out, tuple(index.split(".")), sealer.blind_index(number))
        for path in _paths((*self.text, *self.persons)):
            out = _apply(out, path, lambda v: sealer.seal(v) if isinstance(v, str) else v)
        for path in _paths(self.json):
            out = _apply(out, path, sealer.seal_json)
        for path in _paths(self.data):
            out = _apply(out, path, lambda v: sealer.seal_bytes(v) if isinstance(v, bytes | bytearray) else v)
        return out

    def open(self, sealer: Sealer, doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is None:
            return None
        out = doc
        for path in _paths((*self.text, *self.persons, *self.data)):
            out = _apply(out, path, sealer.open)
        for path in _paths(self.json):
            out = _apply(out, path, sealer.open_json)
        for index in _paths(self.persons.values()):
            out = _drop(out, index)
        return out

    def open_all(self, sealer: Sealer, docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [d for d in (self.open(sealer, doc) for doc in docs) if d is not None]

    def reseal(self, sealer: Sealer, doc: dict[str, Any]) -> dict[str, Any]:
        """What to `$set` so a stored document's personal data is as written today: under the newest key, clear
        values sealed, blind indexes recomputed. Values already under the newest key are left alone (empty: no
        change)."""
        out = doc
        for path in _paths((*self.text, *self.persons, *self.data)):
            out = _apply(out, path, sealer.reseal)
        for path in _paths(self.json):
            out = _apply(out, path, lambda v: sealer.reseal(v) if is_sealed(v) else sealer.seal_json(v))
        for path, index in self.persons.items():
            number = sealer.open(_get(doc, tuple(path.split("."))))
            if isinstance(number, str) and number:
                out = _set(out, tuple(index.split(".")), sealer.blind_index(number))
        top = {p.split(".")[0] for p in (*self.text, *self.json, *self.data, *self.persons, *self.persons.values())}
        return {name: out[name] for name in sorted(top) if name in out and out[name] != doc.get(name)}


async def reseal_collection(collection: Any, sealed: Sealed, sealer: Sealer) -> int:
    """Re-encrypt a collection's personal data under the tenant's newest key (and seal what was stored clear,
    recompute blind indexes); returns how many documents changed. Safe beside a running service: each document is
    changed only while the fields it rewrites still hold what was read (a service's own write meanwhile used the
    newest key already). Idempotent: run it again after a crash."""
    changed = 0
    async for doc in collection.find({}, {"_outbox": 0}):
        changes = sealed.reseal(sealer, doc)
        if not changes:
            continue
        guard = {"_id": doc["_id"], **{name: doc.get(name) for name in changes}}
        result = await collection.update_one(guard, {"$set": changes})
        changed += int(result.modified_count)
    return changed
