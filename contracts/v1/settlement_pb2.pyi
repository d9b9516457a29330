from contracts.v1 import common_pb2 as _common_pb2
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
    __slots__ = ("person_id", "year", "accounts", "year_cap", "paid", "deductible_used")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    YEAR_FIELD_NUMBER: _ClassVar[int]
    ACCOUNTS_FIELD_NUMBER: _ClassVar[int]
    YEAR_CAP_FIELD_NUMBER: _ClassVar[int]
    PAID_FIELD_NUMBER: _ClassVar[int]
    DEDUCTIBLE_USED_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    year: int
    accounts: _containers.RepeatedCompositeFieldContainer[BenefitAccount]
    year_cap: str
    paid: str
    deductible_used: str
    def __init__(self, person_id: _Optional[str] = ..., year: _Optional[int] = ..., accounts: _Optional[_Iterable[_Union[BenefitAccount, _Mapping]]] = ..., year_cap: _Optional[str] = ..., paid: _Optional[str] = ..., deductible_used: _Optional[str] = ...) -> None: ...

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

class GetPolicyRequest(_message.Message):
    __slots__ = ("program", "on_date")
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    ON_DATE_FIELD_NUMBER: _ClassVar[int]
    program: str
    on_date: str
    def __init__(self, program: _Optional[str] = ..., on_date: _Optional[str] = ...) -> None: ...

class ClaimLine(_message.Message):
    __slots__ = ("disease", "amount", "covered", "item_code", "description")
    DISEASE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    COVERED_FIELD_NUMBER: _ClassVar[int]
    ITEM_CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    disease: str
    amount: str
    covered: bool
    item_code: str
    description: str
    def __init__(self, disease: _Optional[str] = ..., amount: _Optional[str] = ..., covered: _Optional[bool] = ..., item_code: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...

class AdjudicateRequest(_message.Message):
    __slots__ = ("person_id", "claim_id", "date", "institution_code", "lines", "program")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    DATE_FIELD_NUMBER: _ClassVar[int]
    INSTITUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    claim_id: str
    date: str
    institution_code: str
    lines: _containers.RepeatedCompositeFieldContainer[ClaimLine]
    program: str
    def __init__(self, person_id: _Optional[str] = ..., claim_id: _Optional[str] = ..., date: _Optional[str] = ..., institution_code: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ClaimLine, _Mapping]]] = ..., program: _Optional[str] = ...) -> None: ...

class LineResult(_message.Message):
    __slots__ = ("payable", "reasons", "reason_codes")
    PAYABLE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    REASON_CODES_FIELD_NUMBER: _ClassVar[int]
    payable: str
    reasons: _containers.RepeatedScalarFieldContainer[str]
    reason_codes: _containers.RepeatedCompositeFieldContainer[_common_pb2.Reason]
    def __init__(self, payable: _Optional[str] = ..., reasons: _Optional[_Iterable[str]] = ..., reason_codes: _Optional[_Iterable[_Union[_common_pb2.Reason, _Mapping]]] = ...) -> None: ...

class Adjudication(_message.Message):
    __slots__ = ("claim_id", "payable", "patient_pays", "lines", "policy_version")
    CLAIM_ID_FIELD_NUMBER: _ClassVar[int]
    PAYABLE_FIELD_NUMBER: _ClassVar[int]
    PATIENT_PAYS_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    claim_id: str
    payable: str
    patient_pays: str
    lines: _containers.RepeatedCompositeFieldContainer[LineResult]
    policy_version: str
    def __init__(self, claim_id: _Optional[str] = ..., payable: _Optional[str] = ..., patient_pays: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[LineResult, _Mapping]]] = ..., policy_version: _Optional[str] = ...) -> None: ...
