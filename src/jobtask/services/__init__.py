"""The use cases, named by use: `reads` (get, list, delete, stat of SpaceONE's JobTask) and
`collector` (the writer API). They see our domain types only, never a protobuf message."""
