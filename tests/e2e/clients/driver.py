"""Runs SpaceONE's own Python client, unchanged, in its own venv: `<venv>/bin/python driver.py`.

Reads a plan as JSON on stdin and prints the answers as JSON on stdout, for tests/e2e/clients to
assert on. Nothing of this project is imported (the client venv has only SpaceONE's packages).

    {"client": "pygrpc" | "connector" | null, "endpoint": "127.0.0.1:PORT",
     "calls": [["list", {...params}], ...],
     "reference_errors": [["ERROR_NOT_FOUND", {"key": [...], "value": [...]}], ...]}

-> {"api_resources": {service: [verbs]}, "answers": [{"ok": {...}} | {"error": {...}}],
    "reference_errors": [message, ...]}

`pygrpc` is `spaceone.core.pygrpc.client(endpoint=...)`, as SpaceONE services and spacectl build
it; `connector` is `SpaceConnector(service="inventory", config={"endpoints": ...})`, as SpaceONE
services call each other. `reference_errors` renders SpaceONE's own message for an error code from
the client's spaceone-core, the reference the answers are compared with.
"""

import json
import sys

from google.protobuf.json_format import MessageToDict
from spaceone.core import config, error, pygrpc
from spaceone.core.connector.space_connector import SpaceConnector


def _tuples(value):
    return tuple(value) if isinstance(value, list) else value


def main():
    plan = json.load(sys.stdin)
    endpoint = plan.get("endpoint")
    resources = {}
    if plan.get("client") is None:  # only the reference's messages

        def call(method, params):
            raise AssertionError("no client to call")

    elif plan["client"] == "pygrpc":
        client = pygrpc.client(endpoint=endpoint, version="v1")
        resources = client.api_resources

        def call(method, params):
            message = getattr(client.JobTask, method)(params)
            return MessageToDict(message, preserving_proto_field_name=True)

    else:
        config.init_conf(package="spaceone.client_tier")  # what a SpaceONE service does at start
        connector = SpaceConnector(
            service="inventory", config={"endpoints": {"inventory": f"grpc://{endpoint}"}}
        )
        resources = connector.client.api_resources

        def call(method, params):
            return connector.dispatch(f"JobTask.{method}", params)

    answers = []
    for method, params in plan.get("calls", []):
        try:
            answers.append({"ok": call(method, params)})
        except error.ERROR_BASE as failure:
            answers.append(
                {
                    "error": {
                        "type": type(failure).__name__,
                        "error_code": failure.error_code,
                        "message": failure.message.strip(),
                    }
                }
            )
    references = [
        getattr(error, code)(**{k: _tuples(v) for k, v in kwargs.items()}).message
        for code, kwargs in plan.get("reference_errors", [])
    ]
    json.dump(
        {"api_resources": resources, "answers": answers, "reference_errors": references}, sys.stdout
    )


if __name__ == "__main__":
    main()
