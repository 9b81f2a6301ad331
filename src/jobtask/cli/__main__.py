"""The `jobtask` command (and python -m jobtask.cli)."""

import os


def main() -> None:
    """The program: gRPC's core logs each failed TLS handshake at INFO on stderr, and the CLI
    promises one line per failure, so the program asks for errors only (the user's own
    GRPC_VERBOSITY wins). grpc reads it when it loads: set here, before the commands (and grpc)
    are imported, and only by the program, never by importing jobtask.cli (the demo does)."""
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    from jobtask.cli.main import app

    app(prog_name="jobtask")


if __name__ == "__main__":
    main()
