"""The specific error codes a handover import is refused with at the door (ERRORS: `{"error": {"code", ...}}`),
beside chassis' generic ones: the caps that keep a zip bomb out (handover.py `check_caps`)."""

from __future__ import annotations

ERRORS = {
    "archive_too_many_members": "the handover zip lists more members than a handover holds (one per person, the "
                                "manifest and the checksums); nothing in it was read (params: limit)",
    "archive_member_too_large": "a member of the handover zip declares more bytes than one person's file may hold; "
                                "nothing was decompressed (params: member, limit)",
    "archive_too_large": "the handover zip declares more bytes once decompressed than a handover holds; nothing was "
                         "decompressed (params: declared, limit)",
}
