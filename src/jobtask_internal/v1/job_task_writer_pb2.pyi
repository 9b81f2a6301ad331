from spaceone.api.inventory.v1 import collector_pb2 as _collector_pb2
from spaceone.api.inventory.v1 import job_task_pb2 as _job_task_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateJobTaskRequest(_message.Message):
    __slots__ = ("job_task_id", "job_id", "secret_id", "provider", "service_account_id", "project_id", "domain_id", "collector_id", "workspace_id")
    JOB_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    COLLECTOR_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    job_task_id: str
    job_id: str
    secret_id: str
    provider: str
    service_account_id: str
    project_id: str
    domain_id: str
    collector_id: str
    workspace_id: str
    def __init__(self, job_task_id: _Optional[str] = ..., job_id: _Optional[str] = ..., secret_id: _Optional[str] = ..., provider: _Optional[str] = ..., service_account_id: _Optional[str] = ..., project_id: _Optional[str] = ..., domain_id: _Optional[str] = ..., collector_id: _Optional[str] = ..., workspace_id: _Optional[str] = ...) -> None: ...

class JobTaskRef(_message.Message):
    __slots__ = ("job_task_id", "domain_id")
    JOB_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    job_task_id: str
    domain_id: str
    def __init__(self, job_task_id: _Optional[str] = ..., domain_id: _Optional[str] = ...) -> None: ...

class ReportProgressRequest(_message.Message):
    __slots__ = ("job_task_id", "domain_id", "created_count", "updated_count", "deleted_count", "disconnected_count", "failure_count", "errors")
    JOB_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DISCONNECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    job_task_id: str
    domain_id: str
    created_count: int
    updated_count: int
    deleted_count: int
    disconnected_count: int
    failure_count: int
    errors: _containers.RepeatedCompositeFieldContainer[_collector_pb2.ErrorInfo]
    def __init__(self, job_task_id: _Optional[str] = ..., domain_id: _Optional[str] = ..., created_count: _Optional[int] = ..., updated_count: _Optional[int] = ..., deleted_count: _Optional[int] = ..., disconnected_count: _Optional[int] = ..., failure_count: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[_collector_pb2.ErrorInfo, _Mapping]]] = ...) -> None: ...

class FinishJobTaskRequest(_message.Message):
    __slots__ = ("job_task_id", "domain_id", "status")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_NONE: _ClassVar[FinishJobTaskRequest.Outcome]
        SUCCESS: _ClassVar[FinishJobTaskRequest.Outcome]
        FAILURE: _ClassVar[FinishJobTaskRequest.Outcome]
    OUTCOME_NONE: FinishJobTaskRequest.Outcome
    SUCCESS: FinishJobTaskRequest.Outcome
    FAILURE: FinishJobTaskRequest.Outcome
    JOB_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    job_task_id: str
    domain_id: str
    status: FinishJobTaskRequest.Outcome
    def __init__(self, job_task_id: _Optional[str] = ..., domain_id: _Optional[str] = ..., status: _Optional[_Union[FinishJobTaskRequest.Outcome, str]] = ...) -> None: ...

class PurgeRequest(_message.Message):
    __slots__ = ("domain_id",)
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    domain_id: str
    def __init__(self, domain_id: _Optional[str] = ...) -> None: ...

class PurgeResponse(_message.Message):
    __slots__ = ("deleted_count",)
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    def __init__(self, deleted_count: _Optional[int] = ...) -> None: ...
