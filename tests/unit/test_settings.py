from pathlib import Path

import pytest

from dashboard.settings import ENVIRONMENT_VARIABLES, SettingsError, load_settings
from data_sources import redis_keys


def test_defaults_are_the_embedded_ones(tmp_path):
    settings = load_settings({}, env_file=tmp_path / "none.env")
    assert settings.redis_url is None and settings.database_url is None
    assert settings.resolved_database_url.startswith("sqlite:///") and settings.resolved_database_url.endswith(
        "var/pantau.db"
    )
    assert (
        redis_keys.stream_key(settings, "incidents") == "pantau:incidents"
        and redis_keys.deadletter_key(settings) == "pantau:deadletter"
    )


def test_environment_overrides_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("PANTAU_STREAM_PREFIX=fromfile\nPANTAU_PORT=9000\nPANTAU_BATCH_SIZE=50\n")
    settings = load_settings({"PANTAU_PORT": "9100", "PANTAU_REDIS_URL": "redis://127.0.0.1:6379/2"}, env_file=env_file)
    assert (settings.stream_prefix, settings.port, settings.batch_size) == ("fromfile", 9100, 50)
    assert settings.redis_url == "redis://127.0.0.1:6379/2"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PANTAU_PORT": "eighty"}, "PANTAU_PORT must be a whole number"),
        ({"PANTAU_PORT": "70000"}, "between 1 and 65535"),
        ({"PANTAU_STREAM_PREFIX": "a b"}, "PANTAU_STREAM_PREFIX"),
        ({"PANTAU_REDIS_URL": "http://x"}, "PANTAU_REDIS_URL must start with"),
        ({"PANTAU_DATABASE_URL": "mysql://x"}, "PANTAU_DATABASE_URL must be"),
        ({"PANTAU_LANGUAGE": "fr"}, "PANTAU_LANGUAGE"),
        ({"PANTAU_BLOCK_MS": "0"}, "PANTAU_BLOCK_MS"),
    ],
)
def test_bad_configuration_gets_a_clear_error(tmp_path, env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env, env_file=tmp_path / "none.env")


def test_every_variable_is_documented_in_the_readme():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for name in ENVIRONMENT_VARIABLES:
        assert f"`{name}`" in readme, name
