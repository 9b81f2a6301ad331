"""Pure translation of SpaceONE's query language to MongoDB documents: no I/O, gRPC or pymongo."""
