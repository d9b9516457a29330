"""The assessor pool's CSV (checked whole, every bad row named) and the visit's evidence (kinds, types, sniffed)."""

from __future__ import annotations

import pytest

from chassis.errors import InvalidInput, JingbanError, PayloadTooLarge, UnsupportedMediaType
from services.appraisal.disability.domain.assessors import parse_pool
from services.appraisal.disability.domain.visit import Evidence, check_evidence, evidence_kind, sniff

HEADER = "assessor_id,name,background,institution_id,degree"


def test_a_pool_file_gives_its_assessors_with_who_counts_as_medical() -> None:
    pool = parse_pool("\ufeff" + HEADER + ",active\nA1,王医,medical,C01,本科,\nA2,张护,Nursing,,大专,true\n"
                      "A3,陈康,rehabilitation,,本科,false\n\n")
    assert [(m.assessor_id, m.background, m.medical, m.institution_id, m.active) for m in pool] == [
        ("A1", "medical", True, "C01", True), ("A2", "nursing", True, "", True),
        ("A3", "rehabilitation", False, "", False)]
    assert pool[0].for_draw().institution == "C01" and pool[2].for_draw().medical is False


@pytest.mark.parametrize(("text", "field"), [
    ("", "body"),
    ("assessor_id,name\nA1,x\n", "header"),
    (HEADER + ",salary\nA1,王,medical,,本科,1\n", "header"),
    (HEADER + "\n", "body"),
    (HEADER + "\nA1,王,dentist,,本科\n", "row 2.background"),
    (HEADER + "\nA 1,王,medical,,本科\n", "row 2.assessor_id"),
    (HEADER + "\nA1,,medical,,本科\n", "row 2.name"),
    (HEADER + "\nA1,王,medical,,\n", "row 2.degree"),
    (HEADER + "\nA1,王,medical,C/1,本科\n", "row 2.institution_id"),
    (HEADER + "\nA1,王,medical,,本科,extra\n", "row 2"),
    (HEADER + "\nA1,王,medical,,本科\nA1,李,other,,本科\n", "row 3.assessor_id"),
])
def test_a_bad_pool_file_is_refused_whole_naming_the_row(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_pool(text)
    assert err.value.field == field


JPEG, PNG = b"\xff\xd8\xff\xe0" + b"\0" * 12, b"\x89PNG\r\n\x1a\n" + b"\0" * 8
MP3, MP3_FRAME = b"ID3\x04" + b"\0" * 12, b"\xff\xfb\x90\x00" + b"\0" * 12
WAV, M4A = b"RIFF\0\0\0\0WAVEfmt ", b"\0\0\0\x20ftypM4A \0\0\0\0"


@pytest.mark.parametrize(("ctype", "head", "ok"), [
    ("image/jpeg", JPEG, True), ("image/png", PNG, True), ("audio/mpeg", MP3, True), ("audio/mpeg", MP3_FRAME, True),
    ("audio/wav", WAV, True), ("audio/x-m4a", M4A, True), ("video/mp4", M4A, True),
    ("image/jpeg", PNG, False), ("audio/wav", b"RIFF\0\0\0\0AVI LIST", False), ("audio/mpeg", b"%PDF-1.4", False),
    ("application/pdf", b"%PDF-1.4", False),
])
def test_the_bytes_must_be_what_their_type_says(ctype: str, head: bytes, ok: bool) -> None:
    assert sniff(ctype, head) is ok


def test_evidence_fields_kinds_and_limits() -> None:
    assert (evidence_kind("photo"), evidence_kind("photo_2"), evidence_kind("recording1")) == (
        "photo", "photo", "recording")
    with pytest.raises(InvalidInput):
        evidence_kind("video")
    check_evidence(Evidence("photo", "a.jpg", "image/jpeg", 100), JPEG, 1000)
    cases: list[tuple[Evidence, bytes, type[JingbanError]]] = [
        (Evidence("photo", "a.wav", "audio/wav", 100), WAV, UnsupportedMediaType),  # a recording is no photo
        (Evidence("recording", "a.jpg", "image/jpeg", 100), JPEG, UnsupportedMediaType),
        (Evidence("photo", "a.jpg", "image/jpeg", 0), b"", InvalidInput),
        (Evidence("photo", "a.jpg", "image/jpeg", 2000), JPEG, PayloadTooLarge),
        (Evidence("photo", "a.jpg", "image/jpeg", 100), PNG, UnsupportedMediaType),
    ]
    for e, head, error in cases:
        with pytest.raises(error) as err:
            check_evidence(e, head, 1000)
        assert err.value.field == e.field
