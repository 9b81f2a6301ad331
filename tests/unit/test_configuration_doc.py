"""docs/configuration.md documents `Settings` exactly: every field is a row (its environment
variable), every row is a field, and each row's default is the field's."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, SecretStr

from jobtask.settings import Settings

DOC: Final = next(
    p for p in Path(__file__).resolve().parents if (p / "pyproject.toml").is_file()
) / ("docs/configuration.md")
# The tables of the server's settings: from this heading to the next level-2 heading.
SECTION: Final = "## The server's settings"
ROW: Final = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|")


def documented() -> dict[str, str]:
    """{variable: its default cell} of every row in the server's settings."""
    text = DOC.read_text()
    start = text.index(SECTION) + len(SECTION)
    end = text.find("\n## ", start)
    rows: dict[str, str] = {}
    for line in text[start : end if end >= 0 else None].splitlines():
        match = ROW.match(line)
        if match is not None:
            assert match.group(1) not in rows, f"{match.group(1)} has two rows"
            rows[match.group(1)] = match.group(2).strip()
    return rows


def variables(model: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    """{environment variable: default} of every field, nested models' fields included."""
    delimiter = model.model_config.get("env_nested_delimiter") or "__"
    found: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        variable = prefix + (alias or name).upper()
        nested = info.annotation
        if isinstance(nested, type) and issubclass(nested, BaseModel):
            found.update(variables(nested, variable + str(delimiter)))
        elif isinstance(nested, type) and dataclasses.is_dataclass(nested):
            # A nested value read from flat variables of its fields' names (Settings.limits).
            found.update({f.name.upper(): f.default for f in dataclasses.fields(nested)})
        else:
            found[variable] = info.get_default(call_default_factory=True)
    return found


def shown(default: Any) -> str:
    """A default as the table writes it."""
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    if default is None:
        return "unset"
    if default == "":
        return "empty"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"`{default}`"


def test_every_setting_is_documented_and_every_documented_one_exists() -> None:
    fields, rows = variables(Settings), documented()
    assert sorted(set(fields) - set(rows)) == [], "Settings fields missing from the doc"
    assert sorted(set(rows) - set(fields)) == [], "documented variables Settings does not have"


def test_every_documented_default_is_the_settings_default() -> None:
    rows = documented()
    wrong = {
        name: (rows[name], shown(default))
        for name, default in variables(Settings).items()
        if name in rows and rows[name] != shown(default)
    }
    assert wrong == {}, "documented default, Settings' default"
