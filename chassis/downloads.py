"""Downloads (下载): every file a service hands out — a person's document, a report's chart or workbook, a handover
archive, a statement's documents — goes out as an attachment the browser saves rather than renders, with its declared
type and no sniffing (`X-Content-Type-Options: nosniff`), and not kept in shared caches (personal data). The file
name is the service's (ids, a period), never an uploaded one, and is made header-safe here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import quote

from fastapi import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg", "application/zip": ".zip",
              XLSX: ".xlsx", "text/csv": ".csv", "application/json": ".json"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def disposition(filename: str, media_type: str = "") -> str:
    """`attachment; filename="<ascii>"` (and `filename*=UTF-8''…` when the name is not plain ASCII): quotes, slashes,
    control characters and line breaks never reach the header. The type's extension is added when missing."""
    name = filename.strip().replace("\\", "/").rsplit("/", 1)[-1] or "download"
    ext = EXTENSIONS.get(media_type.split(";", 1)[0].strip().lower(), "")
    if ext and not name.lower().endswith(ext):
        name += ext
    ascii_name = _UNSAFE.sub("_", name).strip("._") or "download"
    header = f'attachment; filename="{ascii_name}"'
    printable = "".join(ch for ch in name if ch.isprintable())
    if printable != ascii_name:
        header += f"; filename*=UTF-8''{quote(printable, safe='')}"
    return header


def download_headers(filename: str, media_type: str = "") -> dict[str, str]:
    return {"Content-Disposition": disposition(filename, media_type), "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store"}


def attachment(content: bytes, media_type: str, filename: str,
               headers: Mapping[str, str] | None = None) -> Response:
    """The file as a download (see the module's docstring); `headers` adds e.g. `X-Content-SHA256`."""
    return Response(content, media_type=media_type or "application/octet-stream",
                    headers={**(headers or {}), **download_headers(filename, media_type)})
