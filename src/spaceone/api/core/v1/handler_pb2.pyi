from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthorizationRequest(_message.Message):
    __slots__ = ("service", "resource", "verb", "scope", "domain_id", "project_id", "project_group_id", "user_id", "require_project_id", "require_project_group_id", "require_user_id", "require_domain_id")
    class Scope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        NONE: _ClassVar[AuthorizationRequest.Scope]
        SYSTEM: _ClassVar[AuthorizationRequest.Scope]
        DOMAIN: _ClassVar[AuthorizationRequest.Scope]
        PROJECT: _ClassVar[AuthorizationRequest.Scope]
        USER: _ClassVar[AuthorizationRequest.Scope]
        PUBLIC: _ClassVar[AuthorizationRequest.Scope]
        PUBLIC_OR_DOMAIN: _ClassVar[AuthorizationRequest.Scope]
        DOMAIN_OR_PROJECT: _ClassVar[AuthorizationRequest.Scope]
    NONE: AuthorizationRequest.Scope
    SYSTEM: AuthorizationRequest.Scope
    DOMAIN: AuthorizationRequest.Scope
    PROJECT: AuthorizationRequest.Scope
    USER: AuthorizationRequest.Scope
    PUBLIC: AuthorizationRequest.Scope
    PUBLIC_OR_DOMAIN: AuthorizationRequest.Scope
    DOMAIN_OR_PROJECT: AuthorizationRequest.Scope
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    VERB_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_PROJECT_GROUP_ID_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_USER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    service: str
    resource: str
    verb: str
    scope: AuthorizationRequest.Scope
    domain_id: str
    project_id: str
    project_group_id: str
    user_id: str
    require_project_id: bool
    require_project_group_id: bool
    require_user_id: bool
    require_domain_id: bool
    def __init__(self, service: _Optional[str] = ..., resource: _Optional[str] = ..., verb: _Optional[str] = ..., scope: _Optional[_Union[AuthorizationRequest.Scope, str]] = ..., domain_id: _Optional[str] = ..., project_id: _Optional[str] = ..., project_group_id: _Optional[str] = ..., user_id: _Optional[str] = ..., require_project_id: _Optional[bool] = ..., require_project_group_id: _Optional[bool] = ..., require_user_id: _Optional[bool] = ..., require_domain_id: _Optional[bool] = ...) -> None: ...

class AuthorizationResponse(_message.Message):
    __slots__ = ("role_type", "projects", "project_groups")
    ROLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    PROJECTS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_GROUPS_FIELD_NUMBER: _ClassVar[int]
    role_type: str
    projects: _containers.RepeatedScalarFieldContainer[str]
    project_groups: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, role_type: _Optional[str] = ..., projects: _Optional[_Iterable[str]] = ..., project_groups: _Optional[_Iterable[str]] = ...) -> None: ...

class AuthenticationRequest(_message.Message):
    __slots__ = ("domain_id",)
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    domain_id: str
    def __init__(self, domain_id: _Optional[str] = ...) -> None: ...

class AuthenticationResponse(_message.Message):
    __slots__ = ("domain_id", "public_key")
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_KEY_FIELD_NUMBER: _ClassVar[int]
    domain_id: str
    public_key: str
    def __init__(self, domain_id: _Optional[str] = ..., public_key: _Optional[str] = ...) -> None: ...

class EventRequest(_message.Message):
    __slots__ = ("service", "resource", "verb", "status", "message")
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    VERB_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    service: str
    resource: str
    verb: str
    status: str
    message: _struct_pb2.Struct
    def __init__(self, service: _Optional[str] = ..., resource: _Optional[str] = ..., verb: _Optional[str] = ..., status: _Optional[str] = ..., message: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
