# The index step of jobtask-server, alone: settings as the server reads them (INDEX_MANAGEMENT=owner
# from the Job), then the job_task collection's indexes, then exit (0: done, 1: failed, 2: bad
# settings). Run by the chart's hook Job; the serving replicas run with INDEX_MANAGEMENT=off.
import sys

from jobtask.__main__ import load_settings
from jobtask.errors import JobTaskError
from jobtask.storage import connect_with

settings = load_settings()
if settings is None:
    sys.exit(2)
client, repository = connect_with(settings)
try:
    created = repository.ensure_indexes(
        retention_days=settings.job_task_retention_days,
        owner=settings.index_management == "owner",
        sharded=settings.mongodb_sharded,
    )
except JobTaskError as error:
    print(f"jobtask: cannot prepare the job_task collection's indexes: {error}", file=sys.stderr)
    sys.exit(1)
finally:
    client.close()
print(f"jobtask: indexes on {settings.mongodb_database}.job_task: {', '.join(created)}")
