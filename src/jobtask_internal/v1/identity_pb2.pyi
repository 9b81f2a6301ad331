from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetAPIKeyRequest(_message.Message):
    __slots__ = ("api_key_id", "domain_id")
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    api_key_id: str
    domain_id: str
    def __init__(self, api_key_id: _Optional[str] = ..., domain_id: _Optional[str] = ...) -> None: ...

class APIKeyInfo(_message.Message):
    __slots__ = ("api_key_id", "state", "user_id", "domain_id")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        NONE_STATE: _ClassVar[APIKeyInfo.State]
        ENABLED: _ClassVar[APIKeyInfo.State]
        DISABLED: _ClassVar[APIKeyInfo.State]
    NONE_STATE: APIKeyInfo.State
    ENABLED: APIKeyInfo.State
    DISABLED: APIKeyInfo.State
    API_KEY_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    api_key_id: str
    state: APIKeyInfo.State
    user_id: str
    domain_id: str
    def __init__(self, api_key_id: _Optional[str] = ..., state: _Optional[_Union[APIKeyInfo.State, str]] = ..., user_id: _Optional[str] = ..., domain_id: _Optional[str] = ...) -> None: ...

class AppCheckRequest(_message.Message):
    __slots__ = ("client_id", "domain_id")
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    client_id: str
    domain_id: str
    def __init__(self, client_id: _Optional[str] = ..., domain_id: _Optional[str] = ...) -> None: ...

class CheckAppInfo(_message.Message):
    __slots__ = ("permissions", "projects")
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    permissions: _containers.RepeatedScalarFieldContainer[str]
    projects: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, permissions: _Optional[_Iterable[str]] = ..., projects: _Optional[_Iterable[str]] = ...) -> None: ...
