from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ErrorInfo(_message.Message):
    __slots__ = ("error_code", "message", "additional")
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ADDITIONAL_FIELD_NUMBER: _ClassVar[int]
    error_code: str
    message: str
    additional: _struct_pb2.Struct
    def __init__(self, error_code: _Optional[str] = ..., message: _Optional[str] = ..., additional: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ...) -> None: ...
