from contracts.v1 import events_pb2 as _events_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetPersonFileRequest(_message.Message):
    __slots__ = ("person_id",)
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    def __init__(self, person_id: _Optional[str] = ...) -> None: ...

class PersonFile(_message.Message):
    __slots__ = ("person_id", "entries", "accesses")
    PERSON_ID_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    ACCESSES_FIELD_NUMBER: _ClassVar[int]
    person_id: str
    entries: _containers.RepeatedCompositeFieldContainer[FileEntry]
    accesses: _containers.RepeatedCompositeFieldContainer[FileAccess]
    def __init__(self, person_id: _Optional[str] = ..., entries: _Optional[_Iterable[_Union[FileEntry, _Mapping]]] = ..., accesses: _Optional[_Iterable[_Union[FileAccess, _Mapping]]] = ...) -> None: ...

class FileAccess(_message.Message):
    __slots__ = ("access_id", "subject", "role", "accessed_at", "object_kind", "object_id", "action", "service", "trace_id")
    ACCESS_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    ACCESSED_AT_FIELD_NUMBER: _ClassVar[int]
    OBJECT_KIND_FIELD_NUMBER: _ClassVar[int]
    OBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    access_id: str
    subject: str
    role: str
    accessed_at: str
    object_kind: str
    object_id: str
    action: str
    service: str
    trace_id: str
    def __init__(self, access_id: _Optional[str] = ..., subject: _Optional[str] = ..., role: _Optional[str] = ..., accessed_at: _Optional[str] = ..., object_kind: _Optional[str] = ..., object_id: _Optional[str] = ..., action: _Optional[str] = ..., service: _Optional[str] = ..., trace_id: _Optional[str] = ...) -> None: ...

class FileEntry(_message.Message):
    __slots__ = ("entry_id", "kind", "title", "occurred_at", "attributes")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    kind: str
    title: str
    occurred_at: str
    attributes: _containers.ScalarMap[str, str]
    def __init__(self, entry_id: _Optional[str] = ..., kind: _Optional[str] = ..., title: _Optional[str] = ..., occurred_at: _Optional[str] = ..., attributes: _Optional[_Mapping[str, str]] = ...) -> None: ...

class ListTrailAnchorsRequest(_message.Message):
    __slots__ = ("after", "limit")
    AFTER_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    after: str
    limit: int
    def __init__(self, after: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class TrailAnchorPage(_message.Message):
    __slots__ = ("anchors", "next")
    ANCHORS_FIELD_NUMBER: _ClassVar[int]
    NEXT_FIELD_NUMBER: _ClassVar[int]
    anchors: _containers.RepeatedCompositeFieldContainer[KeptTrailAnchor]
    next: str
    def __init__(self, anchors: _Optional[_Iterable[_Union[KeptTrailAnchor, _Mapping]]] = ..., next: _Optional[str] = ...) -> None: ...

class KeptTrailAnchor(_message.Message):
    __slots__ = ("anchor", "event_id", "received_at", "signature_valid", "problem")
    ANCHOR_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_FIELD_NUMBER: _ClassVar[int]
    SIGNATURE_VALID_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    anchor: _events_pb2.TrailAnchored
    event_id: str
    received_at: str
    signature_valid: bool
    problem: str
    def __init__(self, anchor: _Optional[_Union[_events_pb2.TrailAnchored, _Mapping]] = ..., event_id: _Optional[str] = ..., received_at: _Optional[str] = ..., signature_valid: _Optional[bool] = ..., problem: _Optional[str] = ...) -> None: ...
