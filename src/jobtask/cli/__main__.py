"""python -m jobtask.cli: the same as the `jobtask` command."""

from jobtask.cli.main import app

app(prog_name="jobtask")
