"""Provincial platform adapter (医保信息平台接口): the one way every Jingban service speaks to the province.

- `envelope`: the JSON envelope every transaction rides in (msgid, inf_time, sign_no, input/output) and a
  pluggable `Codec` so a province that encrypts `input`/`output` (SM4) and signs (SM2) can be served later.
- `client.ProvincialClient`: async, typed calls for 9001, 1101, 2503, 2504, 5301, 3201, 3202 (and 9101, the
  file upload 3202 needs), retrying only transport failures, raising `ProvincialError` on a business refusal.
- `simulator`: the platform itself, as a FastAPI app (`create_app`) or a process (`python -m provincial.simulator`).

Field names of the platform (pinyin abbreviations) stay on the wire; the typed results use readable names.
"""

from __future__ import annotations

from provincial.client import ProvincialClient
from provincial.envelope import Codec, PlainCodec
from provincial.errors import ProvincialError, ProvincialProtocolError, ProvincialUnavailable
from provincial.models import (
    DetailMismatch,
    DetailRow,
    DetailsResult,
    Filing,
    FilingResult,
    Insurance,
    PersonInfo,
    SignIn,
    SpecialIdentity,
    TotalsResult,
)

__all__ = [
    "Codec",
    "DetailMismatch",
    "DetailRow",
    "DetailsResult",
    "Filing",
    "FilingResult",
    "Insurance",
    "PersonInfo",
    "PlainCodec",
    "ProvincialClient",
    "ProvincialError",
    "ProvincialProtocolError",
    "ProvincialUnavailable",
    "SignIn",
    "SpecialIdentity",
    "TotalsResult",
]
