"""What every command shares: where and how it calls the server (--server, --domain, --workspace,
--spaceone-api, --timeout) and how it prints (--json), given to each command as one `Remote`."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from inspect import Parameter
from typing import Annotated, Any, Final

import grpc
import typer
from google.protobuf.message import Message

from jobtask.cli import render
from jobtask.cli.client import (
    DEFAULT_SERVER,
    CallFailed,
    ConnectionSetupError,
    JobTaskClient,
    connect,
    token_domain,
)
from jobtask.cli.lines import Line, Metadata, line

Server = Annotated[
    str, typer.Option("--server", envvar="JOBTASK_SERVER", help="host:port of the server.")
]
Domain = Annotated[
    str,
    typer.Option(
        "--domain",
        envvar="JOBTASK_DOMAIN_ID",
        help="The domain_id to work in (default: the did claim of JOBTASK_TOKEN).",
    ),
]
Workspace = Annotated[
    str,
    typer.Option(
        "--workspace",
        envvar="JOBTASK_WORKSPACE_ID",
        help="SpaceONE 2.x: the workspace_id to work in, sent as x_workspace_id (default: the "
        "whole domain); create: the task's workspace.",
    ),
]
SpaceoneApi = Annotated[
    int,
    typer.Option(
        "--spaceone-api",
        envvar="JOBTASK_SPACEONE_API",
        min=1,
        max=2,
        help="The SpaceONE line the server speaks (its SPACEONE_API): 1, or 2 (the domain and "
        "workspace go as x_domain_id / x_workspace_id metadata).",
    ),
]
Timeout = Annotated[
    float, typer.Option("--timeout", min=0.001, help="Seconds to wait for the answer.")
]
Json = Annotated[bool, typer.Option("--json", help="Print proto JSON instead of a table.")]


# What a server of the other line answers a request of this one: neither finds the domain where
# it looks (1.x in the request, 2.x in the metadata).
_NO_DOMAIN: Final = "ERROR_REQUIRED_PARAMETER: Required parameter. (key = domain_id)"


def _other_line(failure: CallFailed, spoken: Line) -> str:
    """A hint when the server may speak the other line than the one the CLI spoke."""
    if failure.code is not grpc.StatusCode.INVALID_ARGUMENT or _NO_DOMAIN not in failure.details:
        return ""
    other = 1 if spoken.api == 2 else 2
    return f" (does the server speak SpaceONE {other}.x? --spaceone-api {other})"


@contextmanager
def _session(
    server: str,
    timeout: float,
    options: Mapping[str, str] | None = None,
    *,
    spoken: Line,
    metadata: Metadata = (),
) -> Iterator[JobTaskClient]:
    """A connected client speaking `spoken`; a failed call prints `jobtask: <what happened>` and
    exits 1, with the request fields in `options` named as the options that set them."""
    try:
        with connect(server, timeout, spoken, metadata) as client:
            yield client
    except CallFailed as failure:
        text = str(failure)
        for field, option in (options or {}).items():
            text = text.replace(field, option)
        typer.echo(f"jobtask: {text}{_other_line(failure, spoken)}", err=True)
        raise typer.Exit(1) from None
    except ConnectionSetupError as error:
        typer.echo(f"jobtask: {error}", err=True)
        raise typer.Exit(2) from None


def _domain(domain: str) -> str:
    """--domain, else JOBTASK_TOKEN's domain (read here, verified by the server)."""
    chosen = domain.strip() or token_domain()
    if not chosen:
        raise typer.BadParameter(
            "missing: give --domain, set JOBTASK_DOMAIN_ID, or a JOBTASK_TOKEN with a did claim",
            param_hint="--domain",
        )
    return chosen


@dataclass(frozen=True, slots=True)
class Remote:
    """What every command is given beside its own arguments: --server, --domain, --workspace,
    --spaceone-api, --timeout, --json."""

    server: str
    domain: str
    timeout: float
    as_json: bool
    workspace: str = ""
    spaceone_api: int = 1

    def domain_id(self) -> str:
        return _domain(self.domain)

    @property
    def line(self) -> Line:
        return line(self.spaceone_api)

    def workspace_id(self) -> str:
        """--workspace, which scopes reads on 2.x only (1.x has no workspaces)."""
        workspace = self.workspace.strip()
        if workspace and not self.line.scoped_by_metadata:
            raise typer.BadParameter(
                "SpaceONE 1.x has no workspaces: give --spaceone-api 2 for a 2.x server",
                param_hint="--workspace",
            )
        return workspace

    def session(
        self, options: Mapping[str, str] | None = None, *, domain_id: str = ""
    ) -> AbstractContextManager[JobTaskClient]:
        """A client speaking --spaceone-api's line; on 2.x its reads send `domain_id` and
        --workspace as metadata."""
        metadata = self.line.metadata(domain_id, self.workspace_id()) if domain_id else ()
        return _session(self.server, self.timeout, options, spoken=self.line, metadata=metadata)

    def show(self, answer: Message, view: render.View) -> None:
        """The answer as a table (`view`) or, with --json, canonical JSON."""
        render.show(render.to_dict(answer), as_json=self.as_json, view=view)


# Remote's options, last on every command (in Remote's order).
_REMOTE: Final = (
    Parameter("server", Parameter.KEYWORD_ONLY, annotation=Server, default=DEFAULT_SERVER),
    Parameter("domain", Parameter.KEYWORD_ONLY, annotation=Domain, default=""),
    Parameter("timeout", Parameter.KEYWORD_ONLY, annotation=Timeout, default=10.0),
    Parameter("as_json", Parameter.KEYWORD_ONLY, annotation=Json, default=False),
    Parameter("workspace", Parameter.KEYWORD_ONLY, annotation=Workspace, default=""),
    Parameter("spaceone_api", Parameter.KEYWORD_ONLY, annotation=SpaceoneApi, default=1),
)


def command(
    app: typer.Typer, name: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Register `body` as a command of `app`: its own parameters, then Remote's options, which it is
    given as `remote`."""

    def register(body: Callable[..., None]) -> Callable[..., None]:
        own = inspect.signature(body, eval_str=True).parameters
        parameters = [p for p in own.values() if p.name != "remote"]

        def run(**values: Any) -> None:
            remote = Remote(*(values.pop(p.name) for p in _REMOTE))
            body(**values, remote=remote)

        # typer reads the options from the signature: the body's own, then Remote's.
        run.__signature__ = inspect.Signature([*parameters, *_REMOTE])  # type: ignore[attr-defined]
        run.__annotations__ = {p.name: p.annotation for p in (*parameters, *_REMOTE)}
        run.__name__, run.__doc__ = body.__name__, body.__doc__
        return app.command(name)(run)

    return register
