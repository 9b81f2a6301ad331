"""SPACEONE_CONFIG_FILE: SpaceONE's own files, merged as spaceone-core merges them, under the
environment; a file that cannot be used is one start-up line naming it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from jobtask import spaceone_config
from jobtask.__main__ import load_settings
from jobtask.settings import Settings
from jobtask.spaceone_config import SpaceoneConfigError, settings_values

# The umbrella's global.shared_conf (cloudforet-io/spaceone deploy/helm values.yaml), trimmed.
SHARED = {
    "HANDLERS": {"authentication": [{"backend": "spaceone.core.handler..."}]},
    "CONNECTORS": {
        "IdentityConnector": {"endpoint": {"v1": "grpc://identity-v1:50051"}},
        "SpaceConnector": {"endpoints": {"identity": "grpc://identity:50051"}},
    },
    "DATABASES": {
        "default": {"username": "admin", "password": "password", "host": "mongodb", "port": 27017}
    },
    "TOKEN": "system-token",
}


def write(directory: Path, name: str, document: Any) -> Path:
    path = directory / name
    path.write_text(document if isinstance(document, str) else yaml.safe_dump(document))
    return path


def spaceone_files(directory: Path, **documents: Any) -> Path:
    """config.yaml importing each document (database, shared, application) in that order."""
    urls = [f"file://{write(directory, f'{name}.yaml', doc)}" for name, doc in documents.items()]
    return write(directory, "config.yaml", {"REMOTE_URL": urls, "GLOBAL": {}})


def test_the_umbrella_files_give_the_database_token_and_identity(tmp_path: Path) -> None:
    config = spaceone_files(
        tmp_path,
        database={"DATABASES": {"default": {"db": "inventory", "read_preference": "PRIMARY"}}},
        shared=SHARED,
        application={"DATABASES": {"default": {"maxPoolSize": 20}}},
    )
    assert settings_values(str(config)) == {
        "mongodb_uri": "mongodb://admin:password@mongodb:27017/?readPreference=primary",
        "mongodb_database": "inventory",
        "mongodb_max_pool_size": 20,
        "spaceone_token": "system-token",
        "identity_endpoint": "grpc://identity:50051",
    }


def test_later_files_win_and_mappings_merge_key_by_key(tmp_path: Path) -> None:
    config = write(
        tmp_path,
        "config.yaml",
        {
            "GLOBAL": {"DATABASES": {"default": {"db": "from-global", "host": "a"}}, "X": 1},
            "IMPORT": [
                f"file://{write(tmp_path, 'i.yaml', {'DATABASES': {'default': {'db': 'i'}}})}"
            ],
            "REMOTE_URL": [f"file://{write(tmp_path, 'r.yaml', {'X': [2], 'TOKEN': 't'})}"],
        },
    )
    merged = spaceone_config.load(str(config))
    assert merged == {"DATABASES": {"default": {"db": "i", "host": "a"}}, "X": [2], "TOKEN": "t"}


def test_a_full_uri_host_keeps_its_credentials_or_gets_the_given_ones(tmp_path: Path) -> None:
    def uri(default: dict[str, Any]) -> str:
        config = spaceone_files(tmp_path, database={"DATABASES": {"default": default}})
        return str(settings_values(str(config))["mongodb_uri"])

    assert uri({"host": "mongodb+srv://u:p@cluster.example/x?w=1"}) == (
        "mongodb+srv://u:p@cluster.example/x?w=1"
    )
    assert uri({"host": "mongodb://m1,m2", "username": "us er", "password": "p@ss:/"}) == (
        "mongodb://us%20er:p%40ss%3A%2F@m1,m2"
    )
    assert uri({"host": ["m1", "m2:27018"], "authentication_source": "admin", "tls": True}) == (
        "mongodb://m1:27017,m2:27018/?authSource=admin&tls=true"
    )
    assert uri({"host": "m", "read_preference": "NOT_A_MODE"}) == "mongodb://m:27017/"


def test_the_database_name_prefix_and_the_1x_identity_connector(tmp_path: Path) -> None:
    shared = {
        "DATABASE_NAME_PREFIX": "dev-",
        "CONNECTORS": {"IdentityConnector": {"endpoint": {"v1": "grpc://identity:50051"}}},
    }
    config = spaceone_files(tmp_path, database={"DATABASES": {"default": {"db": "inv"}}}, s=shared)
    assert settings_values(str(config)) == {
        "mongodb_database": "dev-inv",
        "identity_endpoint": "grpc://identity:50051",
    }


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"DATABASES": {"default": {"host": "m", "port": "x"}}}, "DATABASES.default.port"),
        ({"DATABASES": {"default": {"db": 3}}}, "DATABASES.default.db must be a string"),
        ({"DATABASES": "x"}, "DATABASES must be a mapping"),
        ({"TOKEN": 5}, "TOKEN must be a string"),
        ([1, 2], "must be a mapping, not list"),
    ],
)
def test_a_value_of_the_wrong_type_is_named(tmp_path: Path, document: Any, message: str) -> None:
    config = spaceone_files(tmp_path, database=document)
    with pytest.raises(SpaceoneConfigError, match=message):
        settings_values(str(config))


def test_a_missing_unreadable_or_malformed_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    with pytest.raises(SpaceoneConfigError, match=f"cannot read {config}: No such file"):
        settings_values(str(config))
    (tmp_path / "dir.yaml").mkdir()
    write(tmp_path, "config.yaml", {"REMOTE_URL": [f"file://{tmp_path}/dir.yaml"]})
    with pytest.raises(SpaceoneConfigError, match=f"cannot read {tmp_path}/dir.yaml .REMOTE_URL"):
        settings_values(str(config))
    write(tmp_path, "bad.yaml", "DATABASES: {default: [")
    write(tmp_path, "config.yaml", {"IMPORT": [f"file://{tmp_path}/bad.yaml"]})
    with pytest.raises(SpaceoneConfigError, match=f"{tmp_path}/bad.yaml .IMPORT.* not valid YAML"):
        settings_values(str(config))
    write(tmp_path, "config.yaml", {"REMOTE_URL": ["consul://consul:8500/x"]})
    with pytest.raises(SpaceoneConfigError, match="not a file:// URL"):
        settings_values(str(config))
    write(tmp_path, "config.yaml", {"REMOTE_URL": "file:///x"})
    with pytest.raises(SpaceoneConfigError, match="REMOTE_URL must be a list"):
        settings_values(str(config))


def test_the_environment_wins_over_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = spaceone_files(tmp_path, shared=SHARED, app={"DATABASES": {"default": {"db": "inv"}}})
    monkeypatch.setenv("SPACEONE_CONFIG_FILE", str(config))
    monkeypatch.setenv("MONGODB_URI", "mongodb://from-env:27017")
    settings = Settings()
    assert settings.mongodb_uri.get_secret_value() == "mongodb://from-env:27017"
    assert settings.mongodb_database == "inv"
    assert settings.spaceone_token.get_secret_value() == "system-token"
    assert settings.identity_endpoint == "grpc://identity:50051"
    assert settings.spaceone_api == 1


def test_without_the_variable_no_file_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPACEONE_CONFIG_FILE", raising=False)
    assert Settings().spaceone_config_file == ""


def test_an_unusable_file_is_one_start_up_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(tmp_path, "config.yaml", {"REMOTE_URL": [f"file://{tmp_path}/database.yaml"]})
    monkeypatch.setenv("SPACEONE_CONFIG_FILE", str(config))
    with pytest.raises(ValidationError) as raised:
        Settings()
    [problem] = raised.value.errors()
    assert problem["loc"] == ("spaceone_config_file",)
    assert load_settings() is None
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"jobtask: invalid SPACEONE_CONFIG_FILE='{config}': Value error, cannot read "
        f"{tmp_path}/database.yaml (REMOTE_URL of {config}): No such file or directory"
    )


@pytest.mark.parametrize(
    ("value", "valid"), [("1", True), ("2", True), ("3", False), ("0", False), ("x", False)]
)
def test_spaceone_api_is_1_or_2(monkeypatch: pytest.MonkeyPatch, value: str, valid: bool) -> None:
    monkeypatch.setenv("SPACEONE_API", value)
    if valid:
        assert Settings().spaceone_api == int(value)
    else:
        with pytest.raises(ValidationError, match="spaceone_api"):
            Settings()


def test_spaceone_api_2_with_spaceone_identity_is_one_start_up_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SPACEONE_CONFIG_FILE", raising=False)
    monkeypatch.setenv("SPACEONE_API", "2")
    monkeypatch.setenv("AUTH_ENABLED", "true")
    monkeypatch.setenv("AUTH_MODE", "spaceone")
    monkeypatch.setenv("IDENTITY_ENDPOINT", "grpc://identity:50051")
    assert load_settings() is None
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        "jobtask: invalid SPACEONE_API='2': Value error, the 2.x line does not take SpaceONE "
        "identity's tokens yet (AUTH_MODE=spaceone): use AUTH_MODE=jwt, or AUTH_ENABLED=false "
        "with x_domain_id metadata"
    )
    monkeypatch.setenv("SPACEONE_API", "1")
    assert Settings().auth_mode == "spaceone"
