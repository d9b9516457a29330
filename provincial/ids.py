"""Resident identity numbers (居民身份证号码, GB 11643-1999): the mod-11 check character and what the number says."""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def normalize(cert_no: str) -> str:
    """Trim and upper-case: a lower-case check character `x` is common on forms and means `X`."""
    return cert_no.strip().upper()


def check_character(first17: str) -> str:
    """The 18th character (校验码) for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def birth_date(cert_no: str) -> date:
    """Digits 7-14 (出生日期码); raises ValueError when they are not a date."""
    return date(int(cert_no[6:10]), int(cert_no[10:12]), int(cert_no[12:14]))


def valid_resident_id(cert_no: str) -> bool:
    """18 characters, a real birth date, and the right check character."""
    value = normalize(cert_no)
    if not _SHAPE.match(value):
        return False
    try:
        birth_date(value)
    except ValueError:
        return False
    return check_character(value[:17]) == value[17]


def gender(cert_no: str) -> str:
    """GB/T 2261.1 code from the sequence digit (顺序码): odd 1 male, even 2 female."""
    return "1" if int(cert_no[16]) % 2 else "2"


def division(cert_no: str) -> str:
    """The first six digits: the administrative division (行政区划) where the number was issued."""
    return cert_no[:6]
