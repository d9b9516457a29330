from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DocumentRef(_message.Message):
    __slots__ = ("document_id", "kind", "filename", "content_type", "size", "sha256")
    DOCUMENT_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    document_id: str
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    def __init__(self, document_id: _Optional[str] = ..., kind: _Optional[str] = ..., filename: _Optional[str] = ..., content_type: _Optional[str] = ..., size: _Optional[int] = ..., sha256: _Optional[str] = ...) -> None: ...

class ExpertOpinion(_message.Message):
    __slots__ = ("expert_id", "approve", "comment", "given_at")
    EXPERT_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVE_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    GIVEN_AT_FIELD_NUMBER: _ClassVar[int]
    expert_id: str
    approve: bool
    comment: str
    given_at: str
    def __init__(self, expert_id: _Optional[str] = ..., approve: _Optional[bool] = ..., comment: _Optional[str] = ..., given_at: _Optional[str] = ...) -> None: ...

class Qualification(_message.Message):
    __slots__ = ("qualification_id", "person_id", "disease_code", "application_id", "case_id", "granted_on", "benefit_start", "status", "review_due", "filing_serial", "policy_version", "insutype")
    QUALIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODE_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    GRANTED_ON_FIELD_NUMBER: _ClassVar[int]
    BENEFIT_START_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_DUE_FIELD_NUMBER: _ClassVar[int]
    FILING_SERIAL_FIELD_NUMBER: _ClassVar[int]
    POLICY_VERSION_FIELD_NUMBER: _ClassVar[int]
    INSUTYPE_FIELD_NUMBER: _ClassVar[int]
    qualification_id: str
    person_id: str
    disease_code: str
    application_id: str
    case_id: str
    granted_on: str
    benefit_start: str
    status: str
    review_due: str
    filing_serial: str
    policy_version: str
    insutype: str
    def __init__(self, qualification_id: _Optional[str] = ..., person_id: _Optional[str] = ..., disease_code: _Optional[str] = ..., application_id: _Optional[str] = ..., case_id: _Optional[str] = ..., granted_on: _Optional[str] = ..., benefit_start: _Optional[str] = ..., status: _Optional[str] = ..., review_due: _Optional[str] = ..., filing_serial: _Optional[str] = ..., policy_version: _Optional[str] = ..., insutype: _Optional[str] = ...) -> None: ...

class DiseasePolicy(_message.Message):
    __slots__ = ("code", "name", "category", "annual_cap", "deductible", "ratio", "start", "review_months", "specialty", "required_documents")
    CODE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ANNUAL_CAP_FIELD_NUMBER: _ClassVar[int]
    DEDUCTIBLE_FIELD_NUMBER: _ClassVar[int]
    RATIO_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    REVIEW_MONTHS_FIELD_NUMBER: _ClassVar[int]
    SPECIALTY_FIELD_NUMBER: _ClassVar[int]
    REQUIRED_DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    code: str
    name: str
    category: str
    annual_cap: str
    deductible: str
    ratio: str
    start: str
    review_months: int
    specialty: str
    required_documents: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, code: _Optional[str] = ..., name: _Optional[str] = ..., category: _Optional[str] = ..., annual_cap: _Optional[str] = ..., deductible: _Optional[str] = ..., ratio: _Optional[str] = ..., start: _Optional[str] = ..., review_months: _Optional[int] = ..., specialty: _Optional[str] = ..., required_documents: _Optional[_Iterable[str]] = ...) -> None: ...

class PolicyTable(_message.Message):
    __slots__ = ("program", "version", "effective_from", "effective_to", "monthly_cap_multiple", "second_disease_weight", "diseases", "label")
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_FROM_FIELD_NUMBER: _ClassVar[int]
    EFFECTIVE_TO_FIELD_NUMBER: _ClassVar[int]
    MONTHLY_CAP_MULTIPLE_FIELD_NUMBER: _ClassVar[int]
    SECOND_DISEASE_WEIGHT_FIELD_NUMBER: _ClassVar[int]
    DISEASES_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    program: str
    version: str
    effective_from: str
    effective_to: str
    monthly_cap_multiple: int
    second_disease_weight: str
    diseases: _containers.RepeatedCompositeFieldContainer[DiseasePolicy]
    label: str
    def __init__(self, program: _Optional[str] = ..., version: _Optional[str] = ..., effective_from: _Optional[str] = ..., effective_to: _Optional[str] = ..., monthly_cap_multiple: _Optional[int] = ..., second_disease_weight: _Optional[str] = ..., diseases: _Optional[_Iterable[_Union[DiseasePolicy, _Mapping]]] = ..., label: _Optional[str] = ...) -> None: ...

class Reason(_message.Message):
    __slots__ = ("code", "detail", "params")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CODE_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    code: str
    detail: str
    params: _containers.ScalarMap[str, str]
    def __init__(self, code: _Optional[str] = ..., detail: _Optional[str] = ..., params: _Optional[_Mapping[str, str]] = ...) -> None: ...
