from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Filter(_message.Message):
    __slots__ = ("key", "k", "value", "v", "operator", "o")
    KEY_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    V_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    O_FIELD_NUMBER: _ClassVar[int]
    key: str
    k: str
    value: _struct_pb2.Value
    v: _struct_pb2.Value
    operator: str
    o: str
    def __init__(self, key: _Optional[str] = ..., k: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., v: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., operator: _Optional[str] = ..., o: _Optional[str] = ...) -> None: ...

class SortKey(_message.Message):
    __slots__ = ("key", "desc")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    key: str
    desc: bool
    def __init__(self, key: _Optional[str] = ..., desc: _Optional[bool] = ...) -> None: ...

class Sort(_message.Message):
    __slots__ = ("key", "desc", "keys")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    key: str
    desc: bool
    keys: _containers.RepeatedCompositeFieldContainer[SortKey]
    def __init__(self, key: _Optional[str] = ..., desc: _Optional[bool] = ..., keys: _Optional[_Iterable[_Union[SortKey, _Mapping]]] = ...) -> None: ...

class Page(_message.Message):
    __slots__ = ("start", "limit")
    START_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    start: int
    limit: int
    def __init__(self, start: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class Query(_message.Message):
    __slots__ = ("filter", "filter_or", "sort", "page", "minimal", "count_only", "only", "keyword")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FILTER_OR_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    MINIMAL_FIELD_NUMBER: _ClassVar[int]
    COUNT_ONLY_FIELD_NUMBER: _ClassVar[int]
    ONLY_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_FIELD_NUMBER: _ClassVar[int]
    filter: _containers.RepeatedCompositeFieldContainer[Filter]
    filter_or: _containers.RepeatedCompositeFieldContainer[Filter]
    sort: Sort
    page: Page
    minimal: bool
    count_only: bool
    only: _containers.RepeatedScalarFieldContainer[str]
    keyword: str
    def __init__(self, filter: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ..., filter_or: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ..., sort: _Optional[_Union[Sort, _Mapping]] = ..., page: _Optional[_Union[Page, _Mapping]] = ..., minimal: _Optional[bool] = ..., count_only: _Optional[bool] = ..., only: _Optional[_Iterable[str]] = ..., keyword: _Optional[str] = ...) -> None: ...

class AggregateGroupKey(_message.Message):
    __slots__ = ("key", "k", "name", "n", "date_format")
    KEY_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    DATE_FORMAT_FIELD_NUMBER: _ClassVar[int]
    key: str
    k: str
    name: str
    n: str
    date_format: str
    def __init__(self, key: _Optional[str] = ..., k: _Optional[str] = ..., name: _Optional[str] = ..., n: _Optional[str] = ..., date_format: _Optional[str] = ...) -> None: ...

class AggregateGroupSubField(_message.Message):
    __slots__ = ("key", "k", "name", "n")
    KEY_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    key: str
    k: str
    name: str
    n: str
    def __init__(self, key: _Optional[str] = ..., k: _Optional[str] = ..., name: _Optional[str] = ..., n: _Optional[str] = ...) -> None: ...

class AggregateSubCondition(_message.Message):
    __slots__ = ("key", "k", "value", "v", "operator", "o")
    KEY_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    V_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    O_FIELD_NUMBER: _ClassVar[int]
    key: str
    k: str
    value: _struct_pb2.Value
    v: _struct_pb2.Value
    operator: str
    o: str
    def __init__(self, key: _Optional[str] = ..., k: _Optional[str] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., v: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ..., operator: _Optional[str] = ..., o: _Optional[str] = ...) -> None: ...

class AggregateGroupField(_message.Message):
    __slots__ = ("key", "k", "name", "n", "operator", "o", "fields", "conditions")
    KEY_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    O_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    CONDITIONS_FIELD_NUMBER: _ClassVar[int]
    key: str
    k: str
    name: str
    n: str
    operator: str
    o: str
    fields: _containers.RepeatedCompositeFieldContainer[AggregateGroupSubField]
    conditions: _containers.RepeatedCompositeFieldContainer[AggregateSubCondition]
    def __init__(self, key: _Optional[str] = ..., k: _Optional[str] = ..., name: _Optional[str] = ..., n: _Optional[str] = ..., operator: _Optional[str] = ..., o: _Optional[str] = ..., fields: _Optional[_Iterable[_Union[AggregateGroupSubField, _Mapping]]] = ..., conditions: _Optional[_Iterable[_Union[AggregateSubCondition, _Mapping]]] = ...) -> None: ...

class AggregateGroup(_message.Message):
    __slots__ = ("keys", "fields")
    KEYS_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    keys: _containers.RepeatedCompositeFieldContainer[AggregateGroupKey]
    fields: _containers.RepeatedCompositeFieldContainer[AggregateGroupField]
    def __init__(self, keys: _Optional[_Iterable[_Union[AggregateGroupKey, _Mapping]]] = ..., fields: _Optional[_Iterable[_Union[AggregateGroupField, _Mapping]]] = ...) -> None: ...

class AggregateProjectField(_message.Message):
    __slots__ = ("key", "k", "name", "n", "operator", "o")
    KEY_FIELD_NUMBER: _ClassVar[int]
    K_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    N_FIELD_NUMBER: _ClassVar[int]
    OPERATOR_FIELD_NUMBER: _ClassVar[int]
    O_FIELD_NUMBER: _ClassVar[int]
    key: str
    k: str
    name: str
    n: str
    operator: str
    o: str
    def __init__(self, key: _Optional[str] = ..., k: _Optional[str] = ..., name: _Optional[str] = ..., n: _Optional[str] = ..., operator: _Optional[str] = ..., o: _Optional[str] = ...) -> None: ...

class AggregateProject(_message.Message):
    __slots__ = ("fields", "exclude_keys")
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    EXCLUDE_KEYS_FIELD_NUMBER: _ClassVar[int]
    fields: _containers.RepeatedCompositeFieldContainer[AggregateProjectField]
    exclude_keys: bool
    def __init__(self, fields: _Optional[_Iterable[_Union[AggregateProjectField, _Mapping]]] = ..., exclude_keys: _Optional[bool] = ...) -> None: ...

class AggregateUnwind(_message.Message):
    __slots__ = ("path",)
    PATH_FIELD_NUMBER: _ClassVar[int]
    path: str
    def __init__(self, path: _Optional[str] = ...) -> None: ...

class AggregateCount(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class AggregateSort(_message.Message):
    __slots__ = ("key", "desc", "keys")
    KEY_FIELD_NUMBER: _ClassVar[int]
    DESC_FIELD_NUMBER: _ClassVar[int]
    KEYS_FIELD_NUMBER: _ClassVar[int]
    key: str
    desc: bool
    keys: _containers.RepeatedCompositeFieldContainer[SortKey]
    def __init__(self, key: _Optional[str] = ..., desc: _Optional[bool] = ..., keys: _Optional[_Iterable[_Union[SortKey, _Mapping]]] = ...) -> None: ...

class StatisticsAggregate(_message.Message):
    __slots__ = ("unwind", "group", "count", "sort", "project", "limit", "skip")
    UNWIND_FIELD_NUMBER: _ClassVar[int]
    GROUP_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    SORT_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SKIP_FIELD_NUMBER: _ClassVar[int]
    unwind: AggregateUnwind
    group: AggregateGroup
    count: AggregateCount
    sort: AggregateSort
    project: AggregateProject
    limit: int
    skip: int
    def __init__(self, unwind: _Optional[_Union[AggregateUnwind, _Mapping]] = ..., group: _Optional[_Union[AggregateGroup, _Mapping]] = ..., count: _Optional[_Union[AggregateCount, _Mapping]] = ..., sort: _Optional[_Union[AggregateSort, _Mapping]] = ..., project: _Optional[_Union[AggregateProject, _Mapping]] = ..., limit: _Optional[int] = ..., skip: _Optional[int] = ...) -> None: ...

class StatisticsQuery(_message.Message):
    __slots__ = ("filter", "filter_or", "aggregate", "page", "distinct", "keyword")
    FILTER_FIELD_NUMBER: _ClassVar[int]
    FILTER_OR_FIELD_NUMBER: _ClassVar[int]
    AGGREGATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    DISTINCT_FIELD_NUMBER: _ClassVar[int]
    KEYWORD_FIELD_NUMBER: _ClassVar[int]
    filter: _containers.RepeatedCompositeFieldContainer[Filter]
    filter_or: _containers.RepeatedCompositeFieldContainer[Filter]
    aggregate: _containers.RepeatedCompositeFieldContainer[StatisticsAggregate]
    page: Page
    distinct: str
    keyword: str
    def __init__(self, filter: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ..., filter_or: _Optional[_Iterable[_Union[Filter, _Mapping]]] = ..., aggregate: _Optional[_Iterable[_Union[StatisticsAggregate, _Mapping]]] = ..., page: _Optional[_Union[Page, _Mapping]] = ..., distinct: _Optional[str] = ..., keyword: _Optional[str] = ...) -> None: ...
