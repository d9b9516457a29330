"""Every download (chassis/downloads.py) is an attachment with its type, `nosniff` and no caching, and its file name
is header-safe whatever it was built from."""

from __future__ import annotations

import pytest

from chassis.downloads import XLSX, attachment, disposition


def test_an_attachment_carries_nosniff_disposition_and_no_store() -> None:
    r = attachment(b"%PDF-1.4", "application/pdf", "APP-1-d1", {"X-Content-SHA256": "ab"})
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"] == 'attachment; filename="APP-1-d1.pdf"'
    assert r.headers["cache-control"] == "no-store" and r.headers["x-content-sha256"] == "ab"
    assert r.media_type == "application/pdf" and r.body == b"%PDF-1.4"


@pytest.mark.parametrize(("name", "media", "expected"), [
    ("reconciliation-hz-p1-2025.xlsx", XLSX, 'attachment; filename="reconciliation-hz-p1-2025.xlsx"'),
    ("hz-chronic-x1", "application/zip", 'attachment; filename="hz-chronic-x1.zip"'),
    ("chart", "image/png; charset=binary", 'attachment; filename="chart.png"'),
    ('a"; filename="evil.html', "", 'attachment; filename="a_filename_evil.html"; '
                                    "filename*=UTF-8''a%22%3B%20filename%3D%22evil.html"),
    ("../../etc/passwd", "", 'attachment; filename="passwd"'),
    ("月报\r\nSet-Cookie: x", "", 'attachment; filename="Set-Cookie_x"; '
                                  "filename*=UTF-8''%E6%9C%88%E6%8A%A5Set-Cookie%3A%20x"),
    ("", "", 'attachment; filename="download"'),
])
def test_file_names_are_header_safe(name: str, media: str, expected: str) -> None:
    header = disposition(name, media)
    assert header == expected
    assert "\r" not in header and "\n" not in header
