"""Runs SpaceONE's own Python client, unchanged, in its own venv: `<venv>/bin/python driver.py`.

Reads a plan as JSON on stdin and prints the answers as JSON on stdout, for tests/e2e/clients to
assert on. Nothing of this project is imported (the client venv has only SpaceONE's packages).

    {"client": "pygrpc" | "connector" | null, "endpoint": "127.0.0.1:PORT",
     "calls": [["list", {...params}, {...metadata}], ...],
     "reference_errors": [["ERROR_NOT_FOUND", {"key": [...], "value": [...]}], ...]}

-> {"api_resources": {service: [verbs]}, "answers": [{"ok": {...}} | {"error": {...}}],
    "reference_errors": [message, ...]}

`pygrpc` is `spaceone.core.pygrpc.client(endpoint=...)`, as SpaceONE services and spacectl build
it; `connector` is `SpaceConnector`, as SpaceONE services call each other: 1.x's takes
`config={"endpoints": ...}`, 2.x's `endpoint="grpc://host:port"`. A call's metadata (optional, 2.x:
`x_domain_id`, `x_workspace_id`) goes as gRPC metadata through pygrpc and as SpaceConnector 2.x's
keyword arguments of those names. `reference_errors` renders SpaceONE's own message for an error
code from the client's spaceone-core, the reference the answers are compared with.

An error is `{"type", "error_code", "status_code", "message"}`: an `ERROR_*` the client raised
(status_code: the gRPC status it read, 2.x only), or an exception raised before anything was sent
(a request field the server's descriptor lacks is protobuf's ParseError; error_code null).
"""

import json
import sys
from importlib.metadata import version

from google.protobuf.json_format import MessageToDict, ParseError
from spaceone.core import config, error, pygrpc
from spaceone.core.connector.space_connector import SpaceConnector

LINE_2X = version("spaceone-core").startswith("2.")


def _tuples(value):
    return tuple(value) if isinstance(value, list) else value


def _caller(plan):
    """(api_resources, call(method, params, metadata) -> dict) of the plan's client."""
    endpoint = plan.get("endpoint")
    if plan.get("client") is None:  # only the reference's messages

        def nothing(method, params, metadata):
            raise AssertionError("no client to call")

        return {}, nothing

    if plan["client"] == "pygrpc":
        client = pygrpc.client(endpoint=endpoint, **({} if LINE_2X else {"version": "v1"}))

        def call(method, params, metadata):
            rpc = getattr(client.JobTask, method)
            message = rpc(params, metadata=tuple(metadata.items())) if metadata else rpc(params)
            return MessageToDict(message, preserving_proto_field_name=True)

        return client.api_resources, call

    if LINE_2X:
        connector = SpaceConnector(endpoint=f"grpc://{endpoint}")
    else:
        config.init_conf(package="spaceone.client_tier")  # what a SpaceONE service does at start
        connector = SpaceConnector(
            service="inventory", config={"endpoints": {"inventory": f"grpc://{endpoint}"}}
        )

    def dispatch(method, params, metadata):
        return connector.dispatch(f"JobTask.{method}", params, **metadata)

    return connector.client.api_resources, dispatch


def _answer(call, method, params, metadata):
    try:
        return {"ok": call(method, params, metadata)}
    except error.ERROR_BASE as failure:
        return {
            "error": {
                "type": type(failure).__name__,
                "error_code": failure.error_code,
                "status_code": getattr(failure, "status_code", None) if LINE_2X else None,
                "message": failure.message.strip(),
            }
        }
    except ParseError as failure:
        return {
            "error": {
                "type": type(failure).__name__,
                "error_code": None,
                "status_code": None,
                "message": str(failure),
            }
        }


def main():
    plan = json.load(sys.stdin)
    resources, call = _caller(plan)
    answers = [
        _answer(call, method, params, metadata[0] if metadata else {})
        for method, params, *metadata in plan.get("calls", [])
    ]
    references = [
        getattr(error, code)(**{k: _tuples(v) for k, v in kwargs.items()}).message
        for code, kwargs in plan.get("reference_errors", [])
    ]
    json.dump(
        {"api_resources": resources, "answers": answers, "reference_errors": references}, sys.stdout
    )


if __name__ == "__main__":
    main()
