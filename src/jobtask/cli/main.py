"""The `jobtask` command: each command parses its arguments, makes one call, prints the answer.

Server errors are one line on stderr and exit 1; usage errors exit 2; neither shows a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from importlib.metadata import version as installed_version
from typing import TYPE_CHECKING, Annotated, Final, TypeAlias, cast

import typer
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from jobtask.cli import parse, render
from jobtask.cli.client import (
    JobTaskClient,
)
from jobtask.cli.remote import Remote, command
from jobtask_internal.v1 import job_task_writer_pb2 as writer_pb2
from spaceone.api.inventory.v1 import job_task_pb2

app = typer.Typer(
    name="jobtask",
    help="Read and drive job tasks on a running jobtask server (gRPC).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _choices(enum: EnumTypeWrapper, *, lower: bool = False) -> type[StrEnum]:
    """A proto enum's names, less its zero value (none given), as the choices of an option."""
    names = [value.name for value in enum.DESCRIPTOR.values if value.number != 0]
    return cast(
        "type[StrEnum]",
        StrEnum(enum.DESCRIPTOR.name, {n: n.lower() if lower else n for n in names}),
    )


# JobTaskQuery.JobTaskStatus and FinishJobTaskRequest.Outcome, less their zero values: the choices
# of `list --status` and of `finish --status`, read from the protos this CLI sends.
# mypy cannot know the members of an enum built at run time: to it each is some StrEnum.
if TYPE_CHECKING:
    Status: TypeAlias = StrEnum
    Outcome: TypeAlias = StrEnum
else:
    Status = _choices(job_task_pb2.JobTaskQuery.JobTaskStatus)
    Outcome = _choices(writer_pb2.FinishJobTaskRequest.Outcome, lower=True)


# Rows `jobtask list` asks for without --limit: a server answers an unpaged list only up to its
# MAX_PAGE_SIZE (1000 by default), so an unpaged default would fail on a large domain.
LIST_LIMIT: Final = 100
# The server names the request's fields; the CLI user typed options.
_PAGE_OPTIONS: Final[Mapping[str, str]] = {"query.page.limit": "--limit"}


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"jobtask {installed_version('jobtask')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Read and drive job tasks on a running jobtask server (gRPC)."""


TaskId = Annotated[str, typer.Argument(metavar="TASK_ID", help="A job_task_id.")]
Filters = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FILTER",
        help="key=value, key!=value, key~value (contains), key!~value, key>=value, key<=value, "
        "key>value, key<value; numeric values compare as numbers unless quoted. Any other "
        "operator by name: key:operator=value (e.g. created_at:timediff_gte='now/d - 7d', "
        "provider:in=aws,azure).",
    ),
]
Only = Annotated[str | None, typer.Option("--only", help="Comma-separated fields to return.")]
Page = Annotated[int, typer.Option("--page", min=1, help="Page number, of --limit rows.")]
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="Rows per page.")]
ListLimit = Annotated[int, typer.Option("--limit", min=1, help="Rows per page.")]
Count = Annotated[int, typer.Option(min=0, help="Add this many.")]


@contextmanager
def _usage() -> Iterator[None]:
    """A ValueError from parsing the command line is a usage error (exit 2)."""
    try:
        yield
    except ValueError as error:
        raise typer.BadParameter(str(error)) from None


@command(app)
def get(
    task_id: TaskId,
    only: Only = None,
    *,
    remote: Remote,
) -> None:
    """Show one job task."""
    domain_id = remote.domain_id()
    with _usage():
        fields = parse.split_names(only, "--only") if only is not None else []
    with remote.session() as client:
        task = client.get(task_id, domain_id, fields)
    view = render.task_view(render.top_level(fields))
    remote.show(task, view)


@command(app, "list")
def list_tasks(
    filters: Filters = None,
    status: Annotated[Status | None, typer.Option(case_sensitive=False)] = None,
    sort: Annotated[str | None, typer.Option(help="[-]key[,[-]key...]; '-' is descending.")] = None,
    page: Page = 1,
    limit: ListLimit = LIST_LIMIT,
    only: Only = None,
    minimal: Annotated[
        bool, typer.Option("--minimal", help="Only the minimal view's fields.")
    ] = False,
    keyword: Annotated[
        str | None,
        typer.Option(help="Words, any of which job_task_id contains (ANDed with the filters)."),
    ] = None,
    *,
    remote: Remote,
) -> None:
    """List job tasks (newest first unless --sort says otherwise; 100 per page)."""
    domain_id = remote.domain_id()
    with _usage():
        query = parse.list_query(
            filters or [],
            sort=sort,
            page=page,
            limit=limit,
            only=only,
            minimal=minimal,
            keyword=keyword,
        )
    with remote.session(_PAGE_OPTIONS) as client:
        result = client.list(domain_id, query, status.value if status else None)
    view = render.tasks_view(render.top_level(query.only))
    remote.show(result, view)


@command(app)
def stat(
    filters: Filters = None,
    file: Annotated[
        typer.FileText | None,
        typer.Option("--file", "-f", help="A StatisticsQuery as JSON or YAML ('-': stdin)."),
    ] = None,
    by: Annotated[str | None, typer.Option(help="Count per value of these keys: k1[,k2].")] = None,
    count_name: Annotated[str | None, typer.Option(help="Name of --by's count.")] = None,
    sums: Annotated[
        list[str] | None, typer.Option("--sum", help="With --by: also sum this key.")
    ] = None,
    distinct: Annotated[str | None, typer.Option(help="The distinct values of a key.")] = None,
    page: Page = 1,
    limit: Limit = None,
    *,
    remote: Remote,
) -> None:
    """Statistics over job tasks: a StatisticsQuery from --file, or --by / --distinct."""
    domain_id = remote.domain_id()
    text = file.read() if file is not None else None
    with _usage():
        document = parse.stat_document(
            text, by=by, distinct=distinct, count_name=count_name, sums=sums or []
        )
        query = parse.stat_query(document, filters or [], page=page, limit=limit)
    with remote.session(_PAGE_OPTIONS) as client:
        result = client.stat(domain_id, query)
    view = render.stat_view(query.distinct or "value", order=parse.stat_columns(query))
    remote.show(result, view)


@command(app)
def delete(
    task_id: TaskId,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    *,
    remote: Remote,
) -> None:
    """Delete one job task (asks first when run in a terminal)."""
    domain_id = remote.domain_id()
    if not yes and sys.stdin.isatty():
        typer.confirm(f"Delete {task_id} from {domain_id}?", abort=True)
    with remote.session() as client:
        answer = client.delete(task_id, domain_id)
    view = render.message_view(f"deleted {task_id}")
    remote.show(answer, view)


@command(app)
def create(
    job_id: Annotated[str, typer.Option("--job-id", help="The job this task belongs to.")],
    secret_id: Annotated[str, typer.Option("--secret-id")] = "",
    provider: Annotated[str, typer.Option("--provider")] = "",
    service_account_id: Annotated[str, typer.Option("--service-account-id")] = "",
    project_id: Annotated[str, typer.Option("--project-id")] = "",
    collector_id: Annotated[str, typer.Option("--collector-id")] = "",
    workspace_id: Annotated[
        str, typer.Option("--workspace-id", help="SpaceONE 2.x's workspace of the task.")
    ] = "",
    task_id: Annotated[
        str, typer.Option("--task-id", help="Choose the job_task_id (a retry returns it).")
    ] = "",
    *,
    remote: Remote,
) -> None:
    """Create a PENDING job task."""
    request = writer_pb2.CreateJobTaskRequest(
        domain_id=remote.domain_id(),
        job_id=job_id,
        secret_id=secret_id,
        provider=provider,
        service_account_id=service_account_id,
        project_id=project_id,
        collector_id=collector_id,
        workspace_id=workspace_id,
        job_task_id=task_id,
    )
    with remote.session() as client:
        task = client.create(request)
    remote.show(task, render.task_view())


def _move(
    name: str, summary: str, call: Callable[[JobTaskClient, str, str], job_task_pb2.JobTaskInfo]
) -> Callable[..., None]:
    """A command that moves one task to another status and prints it."""

    def move(task_id: TaskId, *, remote: Remote) -> None:
        domain_id = remote.domain_id()
        with remote.session() as client:
            task = call(client, task_id, domain_id)
        remote.show(task, render.task_view())

    move.__doc__ = summary
    return command(app, name)(move)


start = _move("start", "PENDING -> IN_PROGRESS.", JobTaskClient.start)


@command(app)
def report(
    task_id: TaskId,
    created: Count = 0,
    updated: Count = 0,
    deleted: Count = 0,
    disconnected: Count = 0,
    failure: Count = 0,
    errors: Annotated[
        list[str] | None,
        typer.Option("--error", metavar="CODE:MESSAGE", help="An error to append (repeatable)."),
    ] = None,
    *,
    remote: Remote,
) -> None:
    """Add to an IN_PROGRESS task's counters and append errors."""
    domain_id = remote.domain_id()
    with _usage():
        reported = [parse.parse_error(error) for error in errors or []]
    request = writer_pb2.ReportProgressRequest(
        job_task_id=task_id,
        domain_id=domain_id,
        created_count=created,
        updated_count=updated,
        deleted_count=deleted,
        disconnected_count=disconnected,
        failure_count=failure,
        errors=reported,
    )
    with remote.session() as client:
        task = client.report(request)
    remote.show(task, render.task_view())


@command(app)
def finish(
    task_id: TaskId,
    status: Annotated[Outcome, typer.Option(case_sensitive=False, help="The outcome.")],
    *,
    remote: Remote,
) -> None:
    """IN_PROGRESS -> SUCCESS or FAILURE."""
    domain_id = remote.domain_id()
    with remote.session() as client:
        task = client.finish(task_id, domain_id, status.value.upper())
    remote.show(task, render.task_view())


cancel = _move("cancel", "PENDING or IN_PROGRESS -> CANCELED.", JobTaskClient.cancel)


@command(app)
def purge(
    all_domains: Annotated[
        bool, typer.Option("--all-domains", help="Every domain's, not only --domain's.")
    ] = False,
    *,
    remote: Remote,
) -> None:
    """Delete finished tasks older than the server's JOB_TASK_RETENTION_DAYS."""
    # The server reads an empty domain_id as every domain: only --all-domains may send one.
    domain_id = "" if all_domains else remote.domain_id()
    with remote.session() as client:
        answer = client.purge(domain_id)
    view = render.message_view(f"purged {answer.deleted_count} finished task(s)")
    remote.show(answer, view)
