from contracts.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetApplicationRequest(_message.Message):
    __slots__ = ("application_id",)
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    application_id: str
    def __init__(self, application_id: _Optional[str] = ...) -> None: ...

class Application(_message.Message):
    __slots__ = ("application_id", "person_id", "person_name", "disease_code", "channel", "status", "submitted_at", "documents", "program", "disease_codes", "kind", "qualification_id", "insutype")
    APPLICATION_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    PERSON_NAME_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SUBMITTED_AT_FIELD_NUMBER: _ClassVar[int]
    DOCUMENTS_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    DISEASE_CODES_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUALIFICATION_ID_FIELD_NUMBER: _ClassVar[int]
    INSUTYPE_FIELD_NUMBER: _ClassVar[int]
    application_id: str
    person_id: str
    person_name: str
    disease_code: str
    channel: str
    status: str
    submitted_at: str
    documents: _containers.RepeatedCompositeFieldContainer[_common_pb2.DocumentRef]
    program: str
    disease_codes: _containers.RepeatedScalarFieldContainer[str]
    kind: str
    qualification_id: str
    insutype: str
    def __init__(self, application_id: _Optional[str] = ..., person_id: _Optional[str] = ..., person_name: _Optional[str] = ..., disease_code: _Optional[str] = ..., channel: _Optional[str] = ..., status: _Optional[str] = ..., submitted_at: _Optional[str] = ..., documents: _Optional[_Iterable[_Union[_common_pb2.DocumentRef, _Mapping]]] = ..., program: _Optional[str] = ..., disease_codes: _Optional[_Iterable[str]] = ..., kind: _Optional[str] = ..., qualification_id: _Optional[str] = ..., insutype: _Optional[str] = ...) -> None: ...
