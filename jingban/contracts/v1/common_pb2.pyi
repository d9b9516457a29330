from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

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
    __slots__ = ("qualification_id", "person_id", "disease_code", "application_id", "case_id", "granted_on", "benefit_start", "status")
    QUALIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODE_FIELD_NUMBER: _ClassVar[int]
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    CASE_ID_FIELD_NUMBER: _ClassVar[int]
    GRANTED_ON_FIELD_NUMBER: _ClassVar[int]
    BENEFIT_START_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    qualification_id: str
    person_id: str
    disease_code: str
    application_id: str
    case_id: str
    granted_on: str
    benefit_start: str
    status: str
    def __init__(self, qualification_id: _Optional[str] = ..., person_id: _Optional[str] = ..., disease_code: _Optional[str] = ..., application_id: _Optional[str] = ..., case_id: _Optional[str] = ..., granted_on: _Optional[str] = ..., benefit_start: _Optional[str] = ..., status: _Optional[str] = ...) -> None: ...
