"""The audit trail (审计留痕): every event of a tenant, in the order audit received it, each entry sealed with a
keyed MAC (HMAC-SHA256) over all its content — its position, the id of the key used and the MAC of the entry before
it included. The key comes from the key provider and is never in the audit database, so whoever can write that
database can still edit, delete or cut entries, but cannot make the chain whole again: recomputing a hash without
the key gives a MAC that does not verify. Truncating the tail leaves a whole chain, which is why the head is
anchored outside audit (domain/anchors.py) and `TrailCheck` checks the trail against those anchors.

Pure: the caller hands over the key bytes (`MacKey`, and the keys a check needs by key id); nothing here reads a
key, a database or a clock."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.audit.trail.domain.anchors import anchor_signature_valid
from services.audit.trail.domain.reasons import PROBLEMS

GENESIS = "0" * 64  # the "MAC before the first entry"
UNSEALED = ("_id", "mac")  # everything else an entry holds is under its MAC
MAX_PROBLEMS = 200  # problems listed in one answer; `problems_total` counts them all


@dataclass(frozen=True)
class MacKey:
    """A trail key as the key provider gives it: its id (`trail/<tenant>/v<n>`, stored with each entry so a
    rotated key still verifies the entries it sealed) and its bytes (never shown, never stored)."""

    key_id: str
    secret: bytes = field(repr=False)


def sealed_bytes(entry: Mapping[str, Any]) -> bytes:
    """What an entry's MAC covers: all its fields but `_id` and `mac`, as canonical JSON."""
    body = {k: v for k, v in entry.items() if k not in UNSEALED}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_mac(secret: bytes, entry: Mapping[str, Any]) -> str:
    return hmac.new(secret, sealed_bytes(entry), hashlib.sha256).hexdigest()


def next_entry(previous: Mapping[str, Any] | None, fields: Mapping[str, Any], key: MacKey) -> dict[str, Any]:
    """The entry `fields` becomes after `previous` (the tail: its `seq` and `mac`; None for the first)."""
    seq = previous["seq"] + 1 if previous else 1
    prev_mac = previous["mac"] if previous else GENESIS
    entry = {**fields, "seq": seq, "key_id": key.key_id, "prev_mac": prev_mac}
    entry["mac"] = entry_mac(key.secret, entry)
    return entry


def chain(previous: Mapping[str, Any] | None, batch: Iterable[Mapping[str, Any]], key: MacKey) -> list[dict[str, Any]]:
    """The entries a batch of events becomes after `previous`, in order: the same entries one `next_entry` after
    another would give."""
    out: list[dict[str, Any]] = []
    for fields in batch:
        out.append(next_entry(out[-1] if out else previous, fields, key))
    return out


def _recomputed(secret: bytes, entry: Mapping[str, Any]) -> str:
    """The MAC the entry should carry; "" for content audit never writes (a value JSON cannot hold)."""
    try:
        return entry_mac(secret, entry)
    except (TypeError, ValueError):
        return ""


@dataclass(frozen=True)
class Problem:
    code: str  # a code of reasons.PROBLEMS
    seq: int
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "seq": self.seq, "detail": self.detail}


@dataclass(frozen=True)
class Verification:
    """A trail checked: `entries` read, `anchored_through` the newest position an authentic anchor names (0: none),
    the first MAX_PROBLEMS problems in trail order and how many there were in all."""

    entries: int
    anchored_through: int
    problems: tuple[Problem, ...]
    problems_total: int

    @property
    def valid(self) -> bool:
        return self.problems_total == 0

    def codes(self) -> set[str]:
        return {p.code for p in self.problems}

    def to_json(self) -> dict[str, Any]:
        return {"valid": self.valid, "entries": self.entries, "anchored_through": self.anchored_through,
                "problems": [p.to_json() for p in self.problems], "problems_total": self.problems_total}


class TrailCheck:
    """Checks one tenant's trail a page at a time (a trail can be long): feed the entries in stored order with
    `entries`, and after each page the anchors whose position is at most the page's last (`anchors`, in position
    order); then the rest of the anchors and `finish`.

    Entries: a gap in the positions or a broken link to the previous MAC is `deleted`; a MAC that does not verify
    under the key the entry names (among `keys`, the trail keys held for this tenant) is `rewritten`. Anchors:
    each must verify under the public key of the anchor key it names (`public_keys`) and name this tenant, else
    `anchor_signature_invalid` and it is set aside; an authentic anchor at a position the trail holds must name that
    entry's MAC, and the newest authentic anchor must not lie beyond the trail's last entry — else `truncated`."""

    def __init__(self, tenant: str, max_problems: int = MAX_PROBLEMS) -> None:
        self._tenant, self._max = tenant, max_problems
        self._expected, self._prev_mac, self._count, self._last = 1, GENESIS, 0, 0
        self._page: dict[int, str] = {}  # position → MAC of the last page's entries whose MAC verified
        self._newest: Mapping[str, Any] | None = None  # the newest authentic anchor
        self._problems: list[Problem] = []
        self._total = 0

    def _problem(self, code: str, seq: int, detail: str) -> None:
        PROBLEMS.reason(code)  # only codes of the catalogue
        self._total += 1
        if len(self._problems) < self._max:
            self._problems.append(Problem(code, seq, detail))

    def entries(self, page: Sequence[Mapping[str, Any]], keys: Mapping[str, bytes]) -> None:
        self._page = {}
        for entry in page:
            self._entry(entry, keys)

    def _entry(self, e: Mapping[str, Any], keys: Mapping[str, bytes]) -> None:
        self._count += 1
        stored_at = e.get("_id", e.get("seq"))
        seq = e.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq != stored_at:
            self._problem("rewritten", int(stored_at) if isinstance(stored_at, int) else self._expected,
                          f"the entry stored at {stored_at} claims position {seq!r}")
            seq = stored_at if isinstance(stored_at, int) else self._expected
        if seq > self._expected:
            gone = f"entry {self._expected} is" if seq == self._expected + 1 else \
                f"entries {self._expected}–{seq - 1} are"
            self._problem("deleted", self._expected, f"{gone} missing before entry {seq}")
        elif seq < self._expected:
            self._problem("rewritten", seq, f"entry {seq} comes again after entry {self._expected - 1}")
        elif e.get("prev_mac", e.get("prev_hash")) != self._prev_mac:
            self._problem("deleted", seq, f"entry {seq} does not link to the MAC of entry {seq - 1}: "
                          "an entry between them was removed or replaced")
        key_id = e.get("key_id")
        secret = keys.get(key_id) if isinstance(key_id, str) else None
        mac = e.get("mac", e.get("hash"))  # `hash`: an entry of the unkeyed chain before MACs, linked all the same
        sealed = False
        if secret is None:
            why = "names no MAC key" if not key_id else f"names MAC key {key_id!r}, which this trail does not hold"
            self._problem("rewritten", seq, f"entry {seq} {why}")
        elif not isinstance(mac, str) or not hmac.compare_digest(_recomputed(secret, e), mac):
            self._problem("rewritten", seq, f"entry {seq}'s content does not match its MAC")
        else:
            sealed = True
        self._prev_mac = mac if isinstance(mac, str) else ""
        self._expected = max(self._expected, seq + 1)
        self._last = max(self._last, seq)
        if sealed:  # an anchor is compared with entries audit sealed; a rewritten one is reported already
            self._page[seq] = self._prev_mac

    def anchors(self, batch: Iterable[Mapping[str, Any]], public_keys: Mapping[str, bytes]) -> None:
        for anchor in batch:
            seq = anchor.get("seq")
            if not isinstance(seq, int):
                self._problem("anchor_signature_invalid", 0, f"an anchor names no position ({seq!r})")
                continue
            public_key = public_keys.get(str(anchor.get("key_id", "")))
            if anchor.get("tenant") != self._tenant:
                self._problem("anchor_signature_invalid", seq,
                              f"the anchor at {seq} names tenant {anchor.get('tenant')!r}")
                continue
            if public_key is None or not anchor_signature_valid(anchor, public_key):
                why = f"anchor key {anchor.get('key_id')!r} is not held" if public_key is None else \
                    "its signature does not verify"
                self._problem("anchor_signature_invalid", seq, f"the anchor at {seq}: {why}")
                continue
            if self._newest is None or seq >= self._newest["seq"]:
                self._newest = anchor
            if seq in self._page and self._page[seq] != anchor.get("head_mac"):
                self._problem("truncated", seq, f"entry {seq} is not the one anchored at {anchor.get('at')}: the "
                              "trail was cut back and written again from there")

    def finish(self) -> Verification:
        newest = self._newest
        if newest is not None and newest["seq"] > self._last:
            seq = newest["seq"]
            self._problem("truncated", seq, f"the anchor of {newest.get('at')} names entry {seq}, the trail ends at "
                          f"entry {self._last}: entries {self._last + 1}–{seq} are gone")
        return Verification(self._count, newest["seq"] if newest is not None else 0, tuple(self._problems),
                            self._total)


def verify(entries: Iterable[Mapping[str, Any]], keys: Mapping[str, bytes], tenant: str = "",
           anchors: Iterable[Mapping[str, Any]] = (), public_keys: Mapping[str, bytes] | None = None
           ) -> Verification:
    """A whole trail at once (tests and tools): its entries in stored order, the trail keys by id, and its anchors.
    Without a tenant, that of the first entry."""
    listed = list(entries)
    check = TrailCheck(tenant or (str(listed[0].get("tenant", "")) if listed else ""))
    check.entries(listed, keys)
    check.anchors(sorted(anchors, key=lambda a: a.get("seq", 0)), public_keys or {})
    return check.finish()
