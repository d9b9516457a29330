"""Zip bombs at the handover import (移交导入): an archive with too many members, a member or a whole declaring more
bytes than a handover holds, is refused with its own code (field `export`) before anything in it is decompressed —
the member count is taken from the raw central directory, before zipfile builds anything, whatever the end record
claims."""

from __future__ import annotations

import io
import struct
import zipfile
from typing import Any

import pytest

from chassis.errors import InvalidInput
from services.archive.handover.domain import handover
from services.archive.handover.domain.handover import (
    ARCHIVE_MEMBER_TOO_LARGE,
    ARCHIVE_TOO_LARGE,
    ARCHIVE_TOO_MANY_MEMBERS,
    central_directory_members,
    check_caps,
    verify_export,
)
from services.archive.handover.domain.reasons import ERRORS
from tests.unit.archive.handover.test_handover import export


def zipped(members: dict[str, bytes], **kwargs: Any) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, **kwargs) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def refusal(content: bytes, **caps: int) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        verify_export(content, **caps)
    assert caught.value.field == "export" and caught.value.http_status == 422
    assert caught.value.code in ERRORS
    return caught.value


def test_a_real_handover_is_within_every_cap() -> None:
    content, _ = export()
    assert central_directory_members(content, 10) == 4
    assert verify_export(content).valid


def test_too_many_members_is_refused_before_zipfile_reads_the_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    content = zipped({f"persons/p{i}.json": b"{}" for i in range(12)})

    def never(*_: Any, **__: Any) -> None:
        raise AssertionError("zipfile must not read an archive over the member cap")

    monkeypatch.setattr(handover.zipfile, "ZipFile", never)
    error = refusal(content, max_members=10)
    assert error.code == ARCHIVE_TOO_MANY_MEMBERS and error.params == {"limit": "10"}


def test_an_end_record_that_understates_the_count_does_not_fool_the_cap() -> None:
    content = bytearray(zipped({f"persons/p{i}.json": b"{}" for i in range(12)}))
    end = bytes(content).rfind(b"PK\x05\x06")
    content[end + 8:end + 12] = struct.pack("<2H", 1, 1)  # "one member" on this disk and in all
    assert central_directory_members(bytes(content), 100) == 12
    assert refusal(bytes(content), max_members=10).code == ARCHIVE_TOO_MANY_MEMBERS


def test_a_bomb_member_is_refused_before_it_is_decompressed(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = zipped({"manifest.json": b"{}", "persons/p1.json": b"\0" * (8 * 1024 * 1024)})
    assert len(bomb) < 64 * 1024  # 8 MiB of zeros in a few KiB

    def never(*_: Any, **__: Any) -> bytes:
        raise AssertionError("a member over its cap must not be decompressed")

    monkeypatch.setattr(zipfile.ZipFile, "read", never)
    error = refusal(bomb, max_member_bytes=1024 * 1024)
    assert error.code == ARCHIVE_MEMBER_TOO_LARGE
    assert error.params == {"member": "persons/p1.json", "limit": str(1024 * 1024)}


def test_the_whole_declared_size_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    many = zipped({f"persons/p{i}.json": b"\0" * (512 * 1024) for i in range(6)})
    monkeypatch.setattr(zipfile.ZipFile, "read", lambda *_: pytest.fail("nothing is decompressed"))
    error = refusal(many, max_total_bytes=2 * 1024 * 1024)
    assert error.code == ARCHIVE_TOO_LARGE and error.params["declared"] == str(6 * 512 * 1024)


def test_the_default_caps_stop_a_classic_bomb() -> None:
    # 65 MiB of zeros, one member: over the 64 MiB a person's file may hold, in about 65 KiB on the wire.
    bomb = zipped({"persons/p1.json": b"\0" * (handover.MAX_MEMBER_BYTES + 1024 * 1024)})
    assert len(bomb) < 200 * 1024
    assert refusal(bomb).code == ARCHIVE_MEMBER_TOO_LARGE


def test_a_zip64_directory_is_counted_too() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for i in range(0x10000 + 5):  # past 65,535 entries: the end record defers to the zip64 record
            zf.writestr(zipfile.ZipInfo(f"{i}"), b"")
    content = out.getvalue()
    assert content.rfind(b"PK\x06\x06") > 0
    assert central_directory_members(content, 10**6) == 0x10000 + 5
    assert central_directory_members(content, 100) == 101  # stops counting past the cap
    assert refusal(content, max_members=0x10000).code == ARCHIVE_TOO_MANY_MEMBERS


def test_not_a_zip_is_still_answered_by_the_verification() -> None:
    assert central_directory_members(b"not a zip", 10) is None
    check_caps(b"not a zip")  # nothing to count: zipfile says what is wrong
    assert verify_export(b"not a zip").errors[0].startswith("not a zip archive")
