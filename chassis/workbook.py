"""The one Excel helper (工作簿): sheets of rows to `.xlsx` bytes (openpyxl), the way every report and export is
handed to the agency — bold headers and totals, money as numbers shown with two decimals, sensible widths, and
text that would start a formula (`=`, `+`, `-`, `@`, tab, CR) kept as text, so a disease name like `=HYPERLINK(…)`
never runs in the agency's spreadsheet."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

MONEY = "0.00"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SIGNED_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")  # "-12.50": a number written as text, not a formula


@dataclass
class Sheet:
    """One worksheet: an optional bold header row, the rows, an optional bold total row. `widths` fixes column
    widths by letter (otherwise they follow the content); `bold_first_column` for key/value summaries."""

    title: str
    rows: list[list[Any]] = field(default_factory=list)
    header: list[str] | None = None
    total: list[Any] | None = None
    widths: Mapping[str, int] = field(default_factory=dict)
    bold_first_column: bool = False


def number_format(value: Decimal) -> str:
    """A Decimal is stored as a number and shown with its own places: money (two) as 0.00, a share as 0.0000."""
    places = -value.as_tuple().exponent if isinstance(value.as_tuple().exponent, int) else 2
    return MONEY if places == 2 else ("0." + "0" * places if places > 0 else "0")


def safe(value: Any) -> Any:
    """A cell value as written: text that a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`,
    a tab or a carriage return) gets a leading apostrophe; a plain signed number written as text ("-12.50") stays."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _SIGNED_NUMBER.fullmatch(value):
        return "'" + value
    return value


def workbook(sheets: Sequence[Sheet]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    bold = Font(bold=True)
    first = True
    for spec in sheets:
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = spec.title[:31]
        bold_rows: list[int] = []
        if spec.header is not None:
            ws.append([safe(v) for v in spec.header])
            bold_rows.append(ws.max_row)
        for row in spec.rows:
            ws.append([safe(v) for v in row])
        if spec.total is not None:
            ws.append([safe(v) for v in spec.total])
            bold_rows.append(ws.max_row)
        for n in bold_rows:
            for cell in ws[n]:
                cell.font = bold
        if spec.bold_first_column:
            for cell in ws["A"]:
                cell.font = bold
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, Decimal):
                    cell.number_format = number_format(cell.value)
        for column in ws.columns:
            letter = column[0].column_letter
            if letter in spec.widths:
                ws.column_dimensions[letter].width = spec.widths[letter]
                continue
            width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
            ws.column_dimensions[letter].width = min(max(10, width + 2), 60)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
