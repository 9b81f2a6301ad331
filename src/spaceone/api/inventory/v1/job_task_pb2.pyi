from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.api import annotations_pb2 as _annotations_pb2
from spaceone.api.core.v1 import query_pb2 as _query_pb2
from spaceone.api.inventory.v1 import collector_pb2 as _collector_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobTaskRequest(_message.Message):
    __slots__ = ("job_task_id", "domain_id")
    JOB_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    job_task_id: str
    domain_id: str
    def __init__(self, job_task_id: _Optional[str] = ..., domain_id: _Optional[str] = ...) -> None: ...

class GetJobTaskRequest(_message.Message):
    __slots__ = ("job_task_id", "domain_id", "only")
    JOB_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    ONLY_FIELD_NUMBER: _ClassVar[int]
    job_task_id: str
    domain_id: str
    only: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, job_task_id: _Optional[str] = ..., domain_id: _Optional[str] = ..., only: _Optional[_Iterable[str]] = ...) -> None: ...

class JobTaskQuery(_message.Message):
    __slots__ = ("query", "job_task_id", "status", "job_id", "secret_id", "provider", "service_account_id", "project_id", "domain_id")
    class JobTaskStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        JOB_TASK_STATE_NONE: _ClassVar[JobTaskQuery.JobTaskStatus]
        PENDING: _ClassVar[JobTaskQuery.JobTaskStatus]
        CANCELED: _ClassVar[JobTaskQuery.JobTaskStatus]
        IN_PROGRESS: _ClassVar[JobTaskQuery.JobTaskStatus]
        SUCCESS: _ClassVar[JobTaskQuery.JobTaskStatus]
        FAILURE: _ClassVar[JobTaskQuery.JobTaskStatus]
    JOB_TASK_STATE_NONE: JobTaskQuery.JobTaskStatus
    PENDING: JobTaskQuery.JobTaskStatus
    CANCELED: JobTaskQuery.JobTaskStatus
    IN_PROGRESS: JobTaskQuery.JobTaskStatus
    SUCCESS: JobTaskQuery.JobTaskStatus
    FAILURE: JobTaskQuery.JobTaskStatus
    QUERY_FIELD_NUMBER: _ClassVar[int]
    JOB_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    query: _query_pb2.Query
    job_task_id: str
    status: JobTaskQuery.JobTaskStatus
    job_id: str
    secret_id: str
    provider: str
    service_account_id: str
    project_id: str
    domain_id: str
    def __init__(self, query: _Optional[_Union[_query_pb2.Query, _Mapping]] = ..., job_task_id: _Optional[str] = ..., status: _Optional[_Union[JobTaskQuery.JobTaskStatus, str]] = ..., job_id: _Optional[str] = ..., secret_id: _Optional[str] = ..., provider: _Optional[str] = ..., service_account_id: _Optional[str] = ..., project_id: _Optional[str] = ..., domain_id: _Optional[str] = ...) -> None: ...

class JobTaskInfo(_message.Message):
    __slots__ = ("job_task_id", "status", "created_count", "updated_count", "failure_count", "deleted_count", "disconnected_count", "errors", "job_id", "secret_id", "provider", "service_account_id", "project_id", "domain_id", "created_at", "started_at", "finished_at")
    class JobTaskStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        JOB_TASK_STATE_NONE: _ClassVar[JobTaskInfo.JobTaskStatus]
        PENDING: _ClassVar[JobTaskInfo.JobTaskStatus]
        CANCELED: _ClassVar[JobTaskInfo.JobTaskStatus]
        IN_PROGRESS: _ClassVar[JobTaskInfo.JobTaskStatus]
        SUCCESS: _ClassVar[JobTaskInfo.JobTaskStatus]
        FAILURE: _ClassVar[JobTaskInfo.JobTaskStatus]
    JOB_TASK_STATE_NONE: JobTaskInfo.JobTaskStatus
    PENDING: JobTaskInfo.JobTaskStatus
    CANCELED: JobTaskInfo.JobTaskStatus
    IN_PROGRESS: JobTaskInfo.JobTaskStatus
    SUCCESS: JobTaskInfo.JobTaskStatus
    FAILURE: JobTaskInfo.JobTaskStatus
    JOB_TASK_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_COUNT_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    DISCONNECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    JOB_ID_FIELD_NUMBER: _ClassVar[int]
    SECRET_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    SERVICE_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_ID_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    job_task_id: str
    status: JobTaskInfo.JobTaskStatus
    created_count: int
    updated_count: int
    failure_count: int
    deleted_count: int
    disconnected_count: int
    errors: _containers.RepeatedCompositeFieldContainer[_collector_pb2.ErrorInfo]
    job_id: str
    secret_id: str
    provider: str
    service_account_id: str
    project_id: str
    domain_id: str
    created_at: str
    started_at: str
    finished_at: str
    def __init__(self, job_task_id: _Optional[str] = ..., status: _Optional[_Union[JobTaskInfo.JobTaskStatus, str]] = ..., created_count: _Optional[int] = ..., updated_count: _Optional[int] = ..., failure_count: _Optional[int] = ..., deleted_count: _Optional[int] = ..., disconnected_count: _Optional[int] = ..., errors: _Optional[_Iterable[_Union[_collector_pb2.ErrorInfo, _Mapping]]] = ..., job_id: _Optional[str] = ..., secret_id: _Optional[str] = ..., provider: _Optional[str] = ..., service_account_id: _Optional[str] = ..., project_id: _Optional[str] = ..., domain_id: _Optional[str] = ..., created_at: _Optional[str] = ..., started_at: _Optional[str] = ..., finished_at: _Optional[str] = ...) -> None: ...

class JobTasksInfo(_message.Message):
    __slots__ = ("results", "total_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[JobTaskInfo]
    total_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[JobTaskInfo, _Mapping]]] = ..., total_count: _Optional[int] = ...) -> None: ...

class JobTaskStatQuery(_message.Message):
    __slots__ = ("query", "domain_id")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_ID_FIELD_NUMBER: _ClassVar[int]
    query: _query_pb2.StatisticsQuery
    domain_id: str
    def __init__(self, query: _Optional[_Union[_query_pb2.StatisticsQuery, _Mapping]] = ..., domain_id: _Optional[str] = ...) -> None: ...
