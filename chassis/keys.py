"""Keys (密钥) a service uses for personal data, pseudonyms and its audit trail, from a key provider: never from a
database the key protects, never from the source.

A key is named by purpose and tenant and versioned for rotation: new writes use the newest version, reads name the
version they need (`<purpose>/<tenant>/v<n>`). Where the keys live:
- embedded and local mode: files under `<data dir>/keys/` (created on first use, 0600);
- cluster mode: a Kubernetes secret mounted as a directory (`JINGBAN_KEY_DIR`), same layout
  `<purpose>/<tenant>/v<n>.key` (base64 of 32 random bytes).
Rotation adds a version (`jingban keys rotate`); old versions stay readable until re-encrypted.

Purposes in use: `pii` (encryption at rest of identity numbers, names, phones, documents), `blind-index` (keyed
lookups by identity number; not rotated without re-indexing), `message-key` (pseudonymous Kafka keys), `trail` (the
audit trail's MAC chain), `anchor` (signing the trail's checkpoints)."""

from __future__ import annotations

import base64
import os
import re
import secrets
import threading
from pathlib import Path

_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
KEY_BYTES = 32


class KeyNotFound(LookupError):
    """A key id names a version this provider does not hold."""


class KeyProvider:
    """Versioned 32-byte keys by (purpose, tenant). `create` makes the first version when none exists (embedded and
    local mode); in cluster mode keys are provisioned with the secret and a missing one is an error."""

    def __init__(self, root: Path | str, *, create: bool = True) -> None:
        self.root = Path(root)
        self._create = create
        self._lock = threading.Lock()
        self._cache: dict[str, bytes] = {}

    def _dir(self, purpose: str, tenant: str) -> Path:
        if not _NAME.match(purpose) or not _NAME.match(tenant):
            raise ValueError("invalid key purpose or tenant")
        return self.root / purpose / tenant

    def _versions(self, purpose: str, tenant: str) -> list[int]:
        d = self._dir(purpose, tenant)
        if not d.is_dir():
            return []
        return sorted(int(p.stem[1:]) for p in d.glob("v*.key") if p.stem[1:].isdigit())

    def current(self, purpose: str, tenant: str) -> tuple[str, bytes]:
        """The newest version: (key id, key bytes). Creates v1 when allowed and none exists."""
        with self._lock:
            versions = self._versions(purpose, tenant)
            if not versions:
                if not self._create:
                    raise KeyNotFound(f"no {purpose} key for tenant {tenant}")
                try:
                    self._write(purpose, tenant, 1)
                except FileExistsError:  # another process (local mode runs five) made it first: theirs it is
                    pass
                versions = [1]
        key_id = f"{purpose}/{tenant}/v{versions[-1]}"
        return key_id, self.get(key_id)

    def get(self, key_id: str) -> bytes:
        if key_id in self._cache:
            return self._cache[key_id]
        purpose, tenant, version = self._parse(key_id)
        path = self._dir(purpose, tenant) / f"v{version}.key"
        if not path.is_file():
            raise KeyNotFound(f"key {key_id} is not held by this provider")
        key = base64.b64decode(path.read_text().strip())
        if len(key) != KEY_BYTES:
            raise KeyNotFound(f"key {key_id} is not {KEY_BYTES} bytes")
        self._cache[key_id] = key
        return key

    def rotate(self, purpose: str, tenant: str) -> str:
        """Adds a version; returns its key id. New writes use it from now on."""
        with self._lock:
            versions = self._versions(purpose, tenant)
            version = (versions[-1] if versions else 0) + 1
            self._write(purpose, tenant, version)
        return f"{purpose}/{tenant}/v{version}"

    def _write(self, purpose: str, tenant: str, version: int) -> None:
        d = self._dir(purpose, tenant)
        d.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = d / f"v{version}.key"
        # Written whole under a private name, then linked into place: another process never reads half a key, and
        # the link fails (FileExistsError) when that version exists already.
        tmp = d / f".v{version}.{secrets.token_hex(8)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode())
            os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _parse(key_id: str) -> tuple[str, str, int]:
        parts = key_id.split("/")
        if len(parts) != 3 or not parts[2].startswith("v") or not parts[2][1:].isdigit():
            raise KeyNotFound(f"malformed key id {key_id!r}")
        return parts[0], parts[1], int(parts[2][1:])


class MemoryKeyProvider:
    """Keys held in memory only, same interface: the in-memory store's (its data lives as long as the process, and so
    do they) and unit tests'."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, bytes] = {}
        self._newest: dict[tuple[str, str], int] = {}

    def current(self, purpose: str, tenant: str) -> tuple[str, bytes]:
        with self._lock:
            if (purpose, tenant) not in self._newest:
                self._add(purpose, tenant, 1)
            key_id = f"{purpose}/{tenant}/v{self._newest[(purpose, tenant)]}"
        return key_id, self._keys[key_id]

    def get(self, key_id: str) -> bytes:
        KeyProvider._parse(key_id)
        if key_id not in self._keys:
            raise KeyNotFound(f"key {key_id} is not held by this provider")
        return self._keys[key_id]

    def rotate(self, purpose: str, tenant: str) -> str:
        with self._lock:
            version = self._newest.get((purpose, tenant), 0) + 1
            self._add(purpose, tenant, version)
        return f"{purpose}/{tenant}/v{version}"

    def _add(self, purpose: str, tenant: str, version: int) -> None:
        if not _NAME.match(purpose) or not _NAME.match(tenant):
            raise ValueError("invalid key purpose or tenant")
        self._keys[f"{purpose}/{tenant}/v{version}"] = secrets.token_bytes(KEY_BYTES)
        self._newest[(purpose, tenant)] = version
