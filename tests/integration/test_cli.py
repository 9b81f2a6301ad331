"""The `jobtask` CLI, in-process, against a real server (JobTask and JobTaskWriter) on port 0.

Expectations are computed from the dataset with plain Python; output is read as JSON, except
where the table itself is what is tested.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

import pytest
from typer.testing import CliRunner, Result

from jobtask.auth.security import load_security
from jobtask.cli.main import LIST_LIMIT, app
from jobtask.services.collector import JobTaskWriter, WriterLimits
from jobtask.services.reads import JobTaskService
from jobtask.settings import Settings
from jobtask.storage import MongoJobTaskRepository
from tests.support.dataset import DOMAIN, OTHER_DOMAIN, TASKS, tasks_in
from tests.support.edges import build_server
from tests.support.processes import free_port

pytestmark = pytest.mark.usefixtures("seeded")

Task = dict[str, Any]
Run = Callable[..., Result]
MINE: Final = tasks_in(DOMAIN)
FINISHED: Final = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
RETENTION_DAYS: Final = 7


@pytest.fixture
def server_address(settings: Settings, repository: MongoJobTaskRepository) -> Iterator[str]:
    """A server with the writer, whose retention makes every finished dataset task purgeable.

    Without the retention's TTL index: a real database would delete those tasks (finished in 2023)
    by itself within a minute, under the tests' feet."""
    limits = WriterLimits(max_errors=10, max_error_message_chars=200, retention_days=RETENTION_DAYS)
    writer = JobTaskWriter(repository, limits=limits, clock=lambda: datetime.now(UTC))
    # The server's largest page is the CLI's default page: an unpaged list of more would fail.
    service = JobTaskService(repository, max_page_size=LIST_LIMIT)
    running = build_server(settings, service, writer, security=load_security(settings))
    running.start()
    yield f"127.0.0.1:{running.port}"
    running.stop(grace=1)


@pytest.fixture
def cli(server_address: str) -> Run:
    """`cli("get", "job_task-…", "--json")`, with --server and (unless domain=None) --domain."""
    runner = CliRunner()

    def run(*args: str, domain: str | None = DOMAIN, stdin: str | None = None) -> Result:
        options = ["--server", server_address, *(["--domain", domain] if domain else [])]
        env = {"JOBTASK_SERVER": None, "JOBTASK_DOMAIN_ID": None}
        return runner.invoke(app, [*args, *options], input=stdin, env=env)

    return run


def _json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return json.loads(result.stdout)


def _failed(result: Result, code: int = 1) -> str:
    """The one line on stderr of a failed command (nothing on stdout, no traceback)."""
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    if code == 1:
        assert result.stderr.count("\n") == 1
    return result.stderr


def _ids(tasks: list[Task]) -> list[str]:
    return [task["job_task_id"] for task in tasks]


def _newest_first(tasks: list[Task]) -> list[Task]:
    return sorted(tasks, key=lambda t: (t["created_at"], t["job_task_id"]), reverse=True)


# get


def test_get_prints_the_task_as_proto_json(cli: Run) -> None:
    stored = next(t for t in MINE if t["job_task_id"] == "job_task-3f9c0a1b2c4d")
    task = _json(cli("get", "job_task-3f9c0a1b2c4d", "--json"))
    assert task["job_task_id"] == stored["job_task_id"]
    assert task["status"] == stored["status"]
    assert task["updated_count"] == stored["updated_count"]
    assert task["failure_count"] == stored["failure_count"]
    assert "created_count" not in task  # 0: canonical proto JSON leaves defaults out
    assert task["created_at"] == "2023-01-05T09:00:00.120Z"
    assert [e["error_code"] for e in task["errors"]] == [e["error_code"] for e in stored["errors"]]
    assert task["errors"][0]["additional"] == stored["errors"][0]["additional"]


def test_get_only_returns_the_fields_asked_for(cli: Run) -> None:
    task = _json(
        cli("get", "job_task-3f9c0a1b2c4d", "--only", "status,errors.error_code", "--json")
    )
    assert task == {
        "status": "FAILURE",
        "errors": [{"error_code": "ERROR_PLUGIN"}, {"error_code": "ERROR_AUTH"}],
    }


def test_get_shows_fields_and_errors_as_tables(cli: Run) -> None:
    result = cli("get", "job_task-3f9c0a1b2c4d")
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["job_task_id", "job_task-3f9c0a1b2c4d"] in lines
    assert ["status", "FAILURE"] in lines
    assert ["created_count", "0"] in lines
    assert "timeout while listing buckets" in result.stdout


def test_get_of_a_missing_task_is_not_found(cli: Run) -> None:
    line = _failed(cli("get", "job_task-000000000000"))
    assert line.startswith("jobtask: NOT_FOUND: ERROR_NOT_FOUND: ")


def test_get_of_another_domains_task_is_not_found(cli: Run) -> None:
    other = tasks_in(OTHER_DOMAIN)[0]["job_task_id"]
    assert _failed(cli("get", other)).startswith("jobtask: NOT_FOUND: ")


# list


def test_list_filters_sorts_and_pages(cli: Run) -> None:
    aws = [t for t in MINE if t["provider"] == "aws"]
    oldest_first = sorted(aws, key=lambda t: (t["created_at"], t["job_task_id"]))
    answer = _json(
        cli("list", "provider=aws", "--sort", "created_at", "--page", "2", "--limit", "2", "--json")
    )
    assert _ids(answer["results"]) == _ids(oldest_first[2:4])
    assert answer["total_count"] == len(aws)


def test_list_without_options_is_the_domains_tasks_newest_first(cli: Run) -> None:
    answer = _json(cli("list", "--json"))
    assert _ids(answer["results"]) == _ids(_newest_first(MINE))
    assert answer["total_count"] == len(MINE)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("provider=aws", lambda t: t["provider"] == "aws"),
        ("provider!=aws", lambda t: t["provider"] != "aws"),
        ("job_task_id~abcd", lambda t: "abcd" in t["job_task_id"].lower()),
        ("job_task_id!~aaaa", lambda t: "aaaa" not in t["job_task_id"].lower()),
        ("created_count>=5", lambda t: t["created_count"] >= 5),
        ("created_count>5", lambda t: t["created_count"] > 5),
        ("updated_count<=12", lambda t: t["updated_count"] <= 12),
        ("updated_count<12", lambda t: t["updated_count"] < 12),
        ("updated_count>=1.5", lambda t: t["updated_count"] >= 1.5),
        (
            "errors.error_code=ERROR_QUOTA",
            lambda t: "ERROR_QUOTA" in {e["error_code"] for e in t["errors"]},
        ),
        ("job_id=job-000000000002", lambda t: t["job_id"] == "job-000000000002"),
        ("provider:in=azure,google_cloud", lambda t: t["provider"] in {"azure", "google_cloud"}),
        ("created_count:not_in=0,5", lambda t: t["created_count"] not in {0, 5}),
        (
            "created_at:datetime_lt=2023-01-06T00:00:00Z",
            lambda t: t["created_at"] < datetime(2023, 1, 6),
        ),
        ("created_at:timediff_lt=now/d - 1d", lambda t: True),
        (
            'errors:match={"error_code": {"$in": ["ERROR_AUTH", "ERROR_QUOTA"]}}',
            lambda t: {"ERROR_AUTH", "ERROR_QUOTA"} & {e["error_code"] for e in t["errors"]},
        ),
    ],
)
def test_list_filter_expressions(
    cli: Run, expression: str, expected: Callable[[Task], bool]
) -> None:
    answer = _json(cli("list", expression, "--json"))
    wanted = [t for t in MINE if expected(t)]
    assert wanted, "each row must select something"
    assert _ids(answer.get("results", [])) == _ids(_newest_first(wanted))


def test_list_filters_and_status_are_anded(cli: Run) -> None:
    answer = _json(cli("list", "provider=aws", "created_count>0", "--status", "success", "--json"))
    wanted = [
        t
        for t in MINE
        if t["provider"] == "aws" and t["created_count"] > 0 and t["status"] == "SUCCESS"
    ]
    assert sorted(_ids(answer["results"])) == sorted(_ids(wanted))


def test_list_minimal_only_and_keyword(cli: Run) -> None:
    minimal = _json(cli("list", "--minimal", "--limit", "1", "--json"))["results"][0]
    assert "provider" not in minimal and "job_task_id" in minimal
    only = _json(cli("list", "--only", "job_task_id,status", "--json"))["results"]
    assert {tuple(sorted(task)) for task in only} == {("job_task_id", "status")}
    found = _json(cli("list", "--keyword", "ABCD", "--json"))
    assert _ids(found["results"]) == [
        t["job_task_id"] for t in MINE if "abcd" in t["job_task_id"].lower()
    ]


def test_list_without_limit_asks_for_the_default_page_of_a_domain_larger_than_a_page(
    cli: Run, seeded: Any
) -> None:
    """Unpaged, a domain with more tasks than the server's MAX_PAGE_SIZE could not be listed."""
    extra = LIST_LIMIT + 5 - len(MINE)
    template = {key: value for key, value in MINE[0].items() if key != "_id"}
    seeded.insert_many([{**template, "job_task_id": f"job_task-{n:012x}"} for n in range(extra)])
    answer = _json(cli("list", "--json"))
    assert answer["total_count"] == LIST_LIMIT + 5
    assert len(answer["results"]) == LIST_LIMIT
    assert cli("list").stdout.rstrip().endswith(f"{LIST_LIMIT} of {LIST_LIMIT + 5}")


def test_a_page_limit_error_names_the_option_typed(cli: Run) -> None:
    message = _failed(cli("list", "--limit", str(LIST_LIMIT + 1)))
    assert "--limit" in message
    assert "query.page.limit" not in message


def test_an_empty_list_says_so(cli: Run) -> None:
    result = cli("list", "provider=nobody")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "no tasks"
    assert _json(cli("list", "provider=nobody", "--json")) == {"total_count": 0}


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"jobtask {version('jobtask')}"


def test_list_table_shows_tasks_and_n_of_total(cli: Run) -> None:
    result = cli("list", "provider=aws", "--limit", "2")
    assert result.exit_code == 0, result.output
    aws = _newest_first([t for t in MINE if t["provider"] == "aws"])
    header, *rows = [line for line in result.stdout.splitlines() if "job_task" in line]
    assert header.split("┃")[1].strip() == "job_task_id"
    assert [row.split("│")[1].strip() for row in rows] == _ids(aws[:2])
    first = [cell.strip() for cell in rows[0].split("│")[1:-1]]
    stored = aws[0]
    assert first[:7] == [
        stored["job_task_id"],
        stored["status"],
        str(stored["created_count"]),
        str(stored["updated_count"]),
        str(stored["deleted_count"]),
        str(stored["disconnected_count"]),
        str(stored["failure_count"]),
    ]
    assert first[7] == "aws"
    assert result.stdout.rstrip().endswith(f"2 of {len(aws)}")


def test_list_with_an_unknown_field_is_invalid_argument(cli: Run) -> None:
    line = _failed(cli("list", "no_such_field=1"))
    assert line.startswith("jobtask: INVALID_ARGUMENT: ERROR_INVALID_PARAMETER: ")
    assert "no_such_field" in line


# stat


def _stat(cli: Run, *args: str) -> Any:
    result = cli("stat", *args, "--json")
    # Only while the server's stat is unfinished; it runs for real once stat is served.
    if result.exit_code == 1 and result.stderr.startswith("jobtask: UNIMPLEMENTED"):
        pytest.skip(f"the server does not serve stat yet: {result.stderr.strip()}")
    return _json(result)


def test_stat_by_counts_and_sums_per_group(cli: Run) -> None:
    answer = _stat(cli, "--by", "status", "--count-name", "n", "--sum", "updated_count")
    counts = Counter(t["status"] for t in MINE)
    sums: Counter[str] = Counter()
    for task in MINE:
        sums[task["status"]] += task["updated_count"]
    rows = answer["results"]
    assert {r["status"]: r["n"] for r in rows} == counts
    assert {r["status"]: r["updated_count"] for r in rows} == sums
    assert [r["n"] for r in rows] == sorted((r["n"] for r in rows), reverse=True)


def test_stat_distinct_with_a_filter(cli: Run) -> None:
    answer = _stat(cli, "--distinct", "provider", "status=SUCCESS")
    wanted = {t["provider"] for t in MINE if t["status"] == "SUCCESS"}
    assert set(answer["results"]) == wanted


def test_stat_from_a_yaml_file(cli: Run, tmp_path: Path) -> None:
    query = tmp_path / "query.yaml"
    query.write_text(
        "filter:\n"
        "  - {k: provider, v: aws, o: eq}\n"
        "aggregate:\n"
        "  - group:\n"
        "      keys: [{key: job_id, name: job}]\n"
        "      fields: [{name: total, operator: count}]\n"
    )
    answer = _stat(cli, "--file", str(query))
    wanted = Counter(t["job_id"] for t in MINE if t["provider"] == "aws")
    assert {r["job"]: r["total"] for r in answer["results"]} == wanted


def test_stat_table_has_a_column_per_key(cli: Run) -> None:
    _stat(cli, "--by", "provider")
    result = cli("stat", "--by", "provider")
    assert result.exit_code == 0, result.output
    header = next(line for line in result.stdout.splitlines() if "provider" in line)
    assert [c.strip() for c in header.split("┃")[1:-1]] == ["provider", "count"]
    providers = Counter(t["provider"] for t in MINE)
    assert result.stdout.rstrip().endswith(f"{len(providers)} rows")


# delete


def test_delete_removes_the_task(cli: Run) -> None:
    assert _json(cli("delete", "job_task-aaaa00000001", "--yes", "--json")) == {}
    assert _failed(cli("get", "job_task-aaaa00000001")).startswith("jobtask: NOT_FOUND")
    # Without a terminal there is nobody to ask: no --yes needed.
    result = cli("delete", "job_task-aaaa00000002")
    assert result.exit_code == 0, result.output
    assert result.stdout == "deleted job_task-aaaa00000002\n"


def test_delete_of_a_missing_task_is_not_found(cli: Run) -> None:
    assert _failed(cli("delete", "job_task-000000000000", "--yes")).startswith(
        "jobtask: NOT_FOUND: ERROR_NOT_FOUND: "
    )


# the writer


def test_a_whole_lifecycle(cli: Run) -> None:
    created = _json(
        cli(
            "create",
            "--job-id",
            "job-0123456789ab",
            "--secret-id",
            "secret-1",
            "--provider",
            "aws",
            "--service-account-id",
            "sa-1",
            "--project-id",
            "project-1",
            "--collector-id",
            "collector-1",
            "--json",
        )
    )
    task_id = created["job_task_id"]
    assert created["status"] == "PENDING"
    assert created["provider"] == "aws" and created["domain_id"] == DOMAIN
    assert _json(cli("start", task_id, "--json"))["status"] == "IN_PROGRESS"
    reported = _json(
        cli(
            "report",
            task_id,
            "--created",
            "12",
            "--updated",
            "40",
            "--failure",
            "1",
            "--error",
            "ERROR_PLUGIN:timeout while listing buckets",
            "--error",
            "ERROR_AUTH:denied: ec2",
            "--json",
        )
    )
    assert (reported["created_count"], reported["updated_count"], reported["failure_count"]) == (
        12,
        40,
        1,
    )
    assert reported["errors"] == [
        {"error_code": "ERROR_PLUGIN", "message": "timeout while listing buckets"},
        {"error_code": "ERROR_AUTH", "message": "denied: ec2"},
    ]
    finished = _json(cli("finish", task_id, "--status", "FAILURE", "--json"))
    assert finished["status"] == "FAILURE" and "finished_at" in finished
    assert _json(cli("get", task_id, "--json")) == finished


def test_create_with_a_chosen_id_then_cancel(cli: Run) -> None:
    created = cli("create", "--job-id", "job-1", "--task-id", "job_task-0000000000aa")
    assert created.exit_code == 0, created.output
    assert "job_task-0000000000aa" in created.stdout and "PENDING" in created.stdout
    canceled = _json(cli("cancel", "job_task-0000000000aa", "--json"))
    assert canceled["status"] == "CANCELED"


def test_finish_of_a_pending_task_is_failed_precondition(cli: Run) -> None:
    line = _failed(cli("finish", "job_task-aaaa00000004", "--status", "success"))
    assert line.startswith("jobtask: FAILED_PRECONDITION: ERROR_INVALID_STATE: ")


def test_cancel_of_a_finished_task_is_failed_precondition(cli: Run) -> None:
    line = _failed(cli("cancel", "job_task-aaaa00000001"))
    assert line.startswith("jobtask: FAILED_PRECONDITION: ERROR_INVALID_STATE: ")


def test_create_of_an_existing_id_with_other_content_is_already_exists(cli: Run) -> None:
    line = _failed(cli("create", "--job-id", "job-other", "--task-id", "job_task-aaaa00000001"))
    assert line.startswith("jobtask: ALREADY_EXISTS: ")


def test_create_in_a_workspace_is_a_retry_only_in_that_workspace(cli: Run) -> None:
    """--workspace-id is stored, and part of what a retried create must name again; the answer
    is 1.x's JobTaskInfo, without it."""
    task = ("create", "--job-id", "job-1", "--task-id", "job_task-0000000000bb")
    created = _json(cli(*task, "--workspace-id", "workspace-1", "--json"))
    assert "workspace_id" not in created

    assert _json(cli(*task, "--workspace-id", "workspace-1", "--json")) == created
    line = _failed(cli(*task, "--workspace-id", "workspace-2"))
    assert line.startswith("jobtask: ALREADY_EXISTS: ")


def test_purge_one_domain_then_all(cli: Run) -> None:
    def finished(domain_id: str) -> int:
        return sum(1 for t in tasks_in(domain_id) if t["status"] in FINISHED and t["finished_at"])

    assert _json(cli("purge", "--json")) == {"deleted_count": finished(DOMAIN)}
    remaining = _json(cli("list", "--json"))["results"]
    assert {t["status"] for t in remaining} <= {"PENDING", "IN_PROGRESS"}
    result = cli("purge", "--all-domains", domain=None)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"purged {finished(OTHER_DOMAIN)} finished task(s)\n"
    assert len(TASKS) == finished(DOMAIN) + finished(OTHER_DOMAIN) + len(remaining)


# failures outside the server


@pytest.mark.parametrize("command", [["get", "job_task-1"], ["list"], ["purge", "--all-domains"]])
def test_an_unreachable_server_is_one_line(command: list[str]) -> None:
    address = f"127.0.0.1:{free_port()}"
    result = CliRunner().invoke(app, [*command, "--server", address, "--domain", DOMAIN])
    assert _failed(result) == (
        f"jobtask: cannot reach {address} (UNAVAILABLE): is the server running? (make run)\n"
    )


def test_server_and_domain_come_from_the_environment(server_address: str) -> None:
    env = {"JOBTASK_SERVER": server_address, "JOBTASK_DOMAIN_ID": DOMAIN}
    result = CliRunner().invoke(app, ["list", "--json"], env=env)
    assert _json(result)["total_count"] == len(MINE)


@pytest.mark.parametrize(
    ("args", "domain", "message"),
    [
        (["list", "provider"], DOMAIN, "is not a filter"),
        (["stat", "--distinct", "provider", "--page", "2"], DOMAIN, "--page needs --limit"),
        (["list", "--status", "DONE"], DOMAIN, "--status"),
        (["list", "--sort", "-"], DOMAIN, "--sort"),
        (["list"], None, "--domain"),
        (["purge"], None, "--domain"),
        (["get"], DOMAIN, "TASK_ID"),
        (["finish", "job_task-aaaa00000003", "--status", "maybe"], DOMAIN, "--status"),
        (["finish", "job_task-aaaa00000003"], DOMAIN, "--status"),
        (["report", "job_task-aaaa00000003", "--created", "-1"], DOMAIN, "--created"),
        (["report", "job_task-aaaa00000003", "--error", "no code"], DOMAIN, "CODE:MESSAGE"),
        (["create"], DOMAIN, "--job-id"),
        (["stat"], DOMAIN, "give one of --file, --by or --distinct"),
        (["stat", "--by", "status", "--distinct", "provider"], DOMAIN, "not --by and --distinct"),
        (["stat", "--file", "/nonexistent/query.yaml"], DOMAIN, "--file"),
        (["nosuchcommand"], DOMAIN, "nosuchcommand"),
    ],
)
def test_usage_errors_exit_2(cli: Run, args: list[str], domain: str | None, message: str) -> None:
    assert message in _failed(cli(*args, domain=domain), code=2)


def test_stat_file_from_stdin_with_bad_content_is_a_usage_error(cli: Run) -> None:
    result = cli("stat", "--file", "-", stdin="aggregate: {unknown: 1}\n")
    assert "not a StatisticsQuery" in _failed(result, code=2)
