"""SpaceONE's own configuration files, read as SpaceONE's services read them (SPACEONE_CONFIG_FILE).

SpaceONE's charts hand a service its configuration as files: `config.yaml` holds a `GLOBAL`
section and lists further documents under `IMPORT` and (the older name) `REMOTE_URL`, mostly
`file://` URLs of `database.yaml`, the umbrella's `shared.yaml` and `application.yaml`.
spaceone-core (`spaceone.core.config.set_file_conf`) merges `GLOBAL`, then each `IMPORT`, then
each `REMOTE_URL` document in order: a mapping is merged key by key into what came before (later
files win, nested mappings merge), anything else replaces it. This module does the same, then
takes from the result what this service has a setting for:

- `DATABASES.default` -> MONGODB_URI (`host` as a full `mongodb://` / `mongodb+srv://` URI, or
  `host`, `port`, `username`, `password`, `read_preference`, `authentication_source`, ...),
  MONGODB_DATABASE (`DATABASE_NAME_PREFIX` + `db`) and MONGODB_MAX_POOL_SIZE (`maxPoolSize`);
- `TOKEN` -> SPACEONE_TOKEN;
- `CONNECTORS.SpaceConnector.endpoints.identity` (else `CONNECTORS.IdentityConnector.endpoint.v1`,
  the 1.x name) -> IDENTITY_ENDPOINT.

It reads files only: `jobtask.settings` (the one module that reads the environment) passes the path
and lets the environment win over what is returned here. A file that is missing, unreadable or not
YAML, or a value of the wrong type, is one `SpaceoneConfigError` naming the file (or the key).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, urlencode, urlsplit

import yaml

# spaceone-core's read_preference names (pymongo.ReadPreference attributes) -> the URI's values.
_READ_PREFERENCES: Final = {
    "PRIMARY": "primary",
    "PRIMARY_PREFERRED": "primaryPreferred",
    "SECONDARY": "secondary",
    "SECONDARY_PREFERRED": "secondaryPreferred",
    "NEAREST": "nearest",
}
# Connection keywords of DATABASES.default (mongoengine's or pymongo's names) -> URI options.
_URI_OPTIONS: Final = {
    "authentication_source": "authSource",
    "authSource": "authSource",
    "authentication_mechanism": "authMechanism",
    "authMechanism": "authMechanism",
    "replicaSet": "replicaSet",
    "replicaset": "replicaSet",
    "tls": "tls",
    "ssl": "tls",
    "tlsCAFile": "tlsCAFile",
    "directConnection": "directConnection",
    "retryWrites": "retryWrites",
}
_URI_SCHEMES: Final = ("mongodb://", "mongodb+srv://")


class SpaceoneConfigError(ValueError):
    """SPACEONE_CONFIG_FILE or a file it imports cannot be used; the message names which."""


def load(path: str) -> dict[str, Any]:
    """config.yaml's GLOBAL, then its IMPORT and REMOTE_URL documents, merged as spaceone-core
    merges them."""
    document = _read(path, path)
    merged: dict[str, Any] = {}
    _merge(_section(document.get("GLOBAL", {}), f"GLOBAL of {path}"), merged, path)
    for key in ("IMPORT", "REMOTE_URL"):
        urls = document.get(key, [])
        if not isinstance(urls, list):
            raise SpaceoneConfigError(f"{path}: {key} must be a list of file:// URLs")
        for url in urls:
            remote = _import(url, f"{key} of {path}")
            _merge(remote, merged, _file_path(url))
    return merged


def settings_values(path: str) -> dict[str, Any]:
    """What the files say for this service's settings, by setting name (lower case); only the
    settings they give are present."""
    merged = load(path)
    values: dict[str, Any] = {}
    database = _mapping(merged, "DATABASES", "default")
    if database.get("host"):
        values["mongodb_uri"] = _mongodb_uri(database)
    if database.get("db") is not None:
        prefix = _typed(merged.get("DATABASE_NAME_PREFIX") or "", str, "DATABASE_NAME_PREFIX")
        values["mongodb_database"] = prefix + _typed(database["db"], str, "DATABASES.default.db")
    if database.get("maxPoolSize") is not None:
        pool = database["maxPoolSize"]
        values["mongodb_max_pool_size"] = _typed(pool, int, "DATABASES.default.maxPoolSize")
    if merged.get("TOKEN"):
        values["spaceone_token"] = _typed(merged["TOKEN"], str, "TOKEN")
    identity = _mapping(merged, "CONNECTORS", "SpaceConnector", "endpoints").get("identity") or (
        _mapping(merged, "CONNECTORS", "IdentityConnector", "endpoint").get("v1")
    )
    if identity:
        where = "CONNECTORS.SpaceConnector.endpoints.identity"
        values["identity_endpoint"] = _typed(identity, str, where)
    return values


def _read(path: str, named: str) -> dict[str, Any]:
    """One YAML document as a mapping ({} when empty); `named` is how errors name it."""
    try:
        with open(path, encoding="utf-8") as file:
            document = yaml.safe_load(file)
    except OSError as error:
        raise SpaceoneConfigError(f"cannot read {named}: {error.strerror or error}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise SpaceoneConfigError(f"{named} is not valid YAML: {_first_line(error)}") from None
    if document is None:
        return {}
    return _section(document, named)


def _import(url: object, where: str) -> dict[str, Any]:
    if not isinstance(url, str) or not url.startswith("file://"):
        raise SpaceoneConfigError(
            f"{where}: {url!r} is not a file:// URL (only files are read; "
            "http and consul sources are not)"
        )
    path = _file_path(url)
    return _read(path, f"{path} ({where})")


def _file_path(url: str) -> str:
    return urlsplit(url).path


def _section(value: object, named: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SpaceoneConfigError(f"{named} must be a mapping, not {type(value).__name__}")
    return value


def _merge(source: Mapping[str, Any], into: dict[str, Any], named: str, at: str = "") -> None:
    """spaceone-core's deep_merge: mappings merge key by key, anything else replaces."""
    for key, value in source.items():
        here = f"{at}{key}"
        if isinstance(value, dict):
            node = into.setdefault(key, {})
            if not isinstance(node, dict):
                raise SpaceoneConfigError(
                    f"{named}: {here} is a mapping here but {type(node).__name__} before"
                )
            _merge(value, node, named, f"{here}.")
        else:
            into[key] = value


def _mapping(merged: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    node: Any = merged
    for depth, key in enumerate(keys):
        node = node.get(key) if isinstance(node, dict) else None
        if node is None:
            return {}
        if not isinstance(node, dict):
            raise SpaceoneConfigError(f"{'.'.join(keys[: depth + 1])} must be a mapping")
    return dict(node)


def _typed(value: Any, kind: type, where: str) -> Any:
    if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
        raise SpaceoneConfigError(f"{where} must be {'an integer' if kind is int else 'a string'}")
    return value


def _mongodb_uri(database: Mapping[str, Any]) -> str:
    """DATABASES.default as one URI, as mongoengine's register_connection would connect."""
    host = database["host"]
    hosts = host if isinstance(host, list) else [host]
    if not all(isinstance(item, str) and item for item in hosts):
        raise SpaceoneConfigError("DATABASES.default.host must be a string or a list of strings")
    username = database.get("username")
    password = database.get("password")
    credentials = ""
    if username:
        user = quote(str(username), safe="")
        credentials = f"{user}:{quote(str(password or ''), safe='')}@"
    options = _uri_options(database)
    if len(hosts) == 1 and hosts[0].startswith(_URI_SCHEMES):
        uri = str(hosts[0]).strip()
        if credentials and "@" not in urlsplit(uri).netloc:
            scheme, rest = uri.split("://", 1)
            uri = f"{scheme}://{credentials}{rest}"
        if options:
            after_hosts = uri.split("://", 1)[1]
            separator = "&" if "?" in uri else ("?" if "/" in after_hosts else "/?")
            uri = f"{uri}{separator}{urlencode(options)}"
        return uri
    port = database.get("port", 27017)
    if isinstance(port, str) and port.isdigit():
        port = int(port)
    _typed(port, int, "DATABASES.default.port")
    netloc = ",".join(item if ":" in item else f"{item}:{port}" for item in hosts)
    return f"mongodb://{credentials}{netloc}/" + (f"?{urlencode(options)}" if options else "")


def _uri_options(database: Mapping[str, Any]) -> dict[str, str]:
    options = {}
    preference = database.get("read_preference")
    if isinstance(preference, str) and preference.upper() in _READ_PREFERENCES:
        # spaceone-core drops a read_preference that pymongo does not name; so does this.
        options["readPreference"] = _READ_PREFERENCES[preference.upper()]
    for key, option in _URI_OPTIONS.items():
        value = database.get(key)
        if value is not None and option not in options:
            options[option] = str(value).lower() if isinstance(value, bool) else str(value)
    return options


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
