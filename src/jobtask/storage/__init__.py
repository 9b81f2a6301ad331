"""Storage of job tasks in the `job_task` collection: the only package that speaks pymongo.

- `driver`: the driver's errors become ours in one place, and every operation's bounds (maxTimeMS
  from the call's deadline, the driver's own timeout within short deadlines; neither with
  MONGODB_SEND_MAX_TIME_MS=false);
- `breaker`: once the database could not be reached, operations fail at once until the driver
  sees a server again (the health probe's ping keeps looking), so an outage does not hold every
  worker thread;
- `reads` (the service's port) and `writes` (the writer's), over one `base.CollectionAccess`;
- `indexes`: the indexes and the retention's TTL index (INDEX_MANAGEMENT);
- `repository`: one object with both ports, index administration and the probe's ping;
  `connection`: the client and the command observers.
"""

from jobtask.storage.connection import CommandObserver, connect, connect_with
from jobtask.storage.driver import failure_detail
from jobtask.storage.indexes import INDEXES
from jobtask.storage.repository import MongoJobTaskRepository

__all__ = [
    "INDEXES",
    "CommandObserver",
    "MongoJobTaskRepository",
    "connect",
    "connect_with",
    "failure_detail",
]
