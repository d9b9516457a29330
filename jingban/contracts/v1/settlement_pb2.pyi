from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetAccumulatorsRequest(_message.Message):
    __slots__ = ("person_id", "year")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    year: int
    def __init__(self, person_id: _Optional[str] = ..., year: _Optional[int] = ...) -> None: ...

class Accumulators(_message.Message):
    __slots__ = ("person_id", "year", "accounts")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    year: int
    accounts: _containers.RepeatedCompositeFieldContainer[BenefitAccount]
    def __init__(self, person_id: _Optional[str] = ..., year: _Optional[int] = ..., accounts: _Optional[_Iterable[_Union[BenefitAccount, _Mapping]]] = ...) -> None: ...

class BenefitAccount(_message.Message):
    __slots__ = ("disease_code", "benefit_start", "paid_fen", "qualification_id")
    DISEASE_CODE_FIELD_NUMBER: _ClassVar[int]
    BENEFIT_START_FIELD_NUMBER: _ClassVar[int]
    PAID_FEN_FIELD_NUMBER: _ClassVar[int]
    QUALIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    disease_code: str
    benefit_start: str
    paid_fen: int
    qualification_id: str
    def __init__(self, disease_code: _Optional[str] = ..., benefit_start: _Optional[str] = ..., paid_fen: _Optional[int] = ..., qualification_id: _Optional[str] = ...) -> None: ...
