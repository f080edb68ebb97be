from pathlib import Path

import pytest

from dashboard.settings import ENVIRONMENT_VARIABLES, Settings, SettingsError, SettingsWarning, describe, load_settings
from data_sources import redis_keys


def test_defaults_are_the_embedded_ones(tmp_path):
    settings = load_settings({}, env_file=tmp_path / "none.env")
    assert settings.redis_url is None and settings.database_url is None
    assert settings.resolved_database_url.startswith("sqlite:///") and settings.resolved_database_url.endswith(
        "var/pantau.db"
    )
    assert redis_keys.stream_key(settings, "incidents") == "pantau:incidents"
    assert redis_keys.deadletter_key(settings) == "pantau:deadletter"


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


# --- bounds, the .env file, unknown variables, one declaration per variable ----------------------------------


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PANTAU_BATCH_SIZE": "0"}, r"^PANTAU_BATCH_SIZE must be between 1 and 10000, got 0$"),
        ({"PANTAU_CLAIM_IDLE_MS": "99"}, r"^PANTAU_CLAIM_IDLE_MS must be between 100 and 86400000, got 99$"),
        ({"PANTAU_PROXY_COUNT": "6"}, r"^PANTAU_PROXY_COUNT must be between 0 and 5, got 6$"),
        ({"PANTAU_SLA_HOURS": "0"}, r"^PANTAU_SLA_HOURS must be between 0.1 and 2160, got 0$"),
        ({"PANTAU_SESSION_HOURS": "soon"}, r"^PANTAU_SESSION_HOURS must be a number, got 'soon'$"),
        ({"PANTAU_EMBED_RATE_LIMIT": "0/60"}, r"^PANTAU_EMBED_RATE_LIMIT must look like 300/60"),
    ],
)
def test_a_value_out_of_bounds_names_its_variable(tmp_path, env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env, env_file=tmp_path / "none.env")


def test_settings_built_in_code_are_checked_too_and_name_the_variable(tmp_path):
    with pytest.raises(SettingsError, match="^PANTAU_BATCH_SIZE must be between 1 and 10000, got 0$"):
        Settings(batch_size=0)
    settings = Settings(data_dir=tmp_path, redis_url="redis://127.0.0.1:1/0", embed_rate_limit=(6, 60))
    assert settings.data_dir == tmp_path and settings.embed_rate_limit == (6, 60)
    with pytest.raises(SettingsError, match="^PANTAU_BLOCK_MS must be between 10 and 60000, got 5$"):
        settings.with_overrides(block_ms=5)
    assert settings.with_overrides(block_ms=100).block_ms == 100 and settings.block_ms == 2000


def test_the_env_file_is_read_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("PANTAU_HOST", "0.0.0.0")  # os.environ is not read when a mapping is given
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# a comment\nPANTAU_LANGUAGE=en\nPANTAU_PORT=9000\nPANTAU_BATCH_SIZE=50\n"
        "PANTAU_DATA_DIR=~/pantau-data\nPANTAU_EMBED_RATE_LIMIT=120/30\nOTHER_TOOL=1\n"
    )
    settings = load_settings({"PANTAU_PORT": "9100", "PANTAU_BATCH_SIZE": "  ", "UNRELATED": "x"}, env_file=env_file)
    assert settings.port == 9100  # the environment over the file
    assert settings.batch_size == 500  # blank in the environment: unset, the default (as before)
    assert settings.default_language == "en" and settings.embed_rate_limit == (120, 30)
    assert settings.data_dir == (Path.home() / "pantau-data").resolve()
    assert settings.host == "127.0.0.1"
    env_file.write_text("PANTAU_PORT=eighty\n")  # a bad value in the file is checked like one in the environment
    with pytest.raises(SettingsError, match="^PANTAU_PORT must be a whole number"):
        load_settings({}, env_file=env_file)
    assert load_settings({"PANTAU_PORT": "8080"}, env_file=env_file).port == 8080


def test_a_misspelt_variable_is_reported_and_other_pantau_variables_are_ignored(tmp_path, recwarn):
    env_file = tmp_path / ".env"
    env_file.write_text("PANTAU_REDIS_ULR=redis://127.0.0.1:6379/0\n")
    with pytest.warns(SettingsWarning) as caught:
        settings = load_settings({"PANTAU_BATCHSIZE": "7"}, env_file=env_file)
    assert settings.batch_size == 500 and settings.redis_url is None  # ignored, not guessed
    assert sorted(str(w.message) for w in caught) == [
        "PANTAU_BATCHSIZE is not a setting and is ignored; did you mean PANTAU_BATCH_SIZE?",
        "PANTAU_REDIS_ULR is not a setting and is ignored; did you mean PANTAU_REDIS_URL?",
    ]
    recwarn.clear()
    # the tests' own variables, and a name that is nothing like a setting: silence
    load_settings(
        {"PANTAU_CHAOS_SEED": "8", "PANTAU_TEST_FORCE_EMBEDDED": "1", "PANTAU_SOMETHING_ELSE": "x"},
        env_file=tmp_path / "none.env",
    )
    assert not [w for w in recwarn if issubclass(w.category, SettingsWarning)]


def test_every_variable_is_declared_once():
    assert len(set(ENVIRONMENT_VARIABLES)) == len(ENVIRONMENT_VARIABLES) == len(Settings.model_fields)
    assert all(name.startswith("PANTAU_") and name == name.upper() for name in ENVIRONMENT_VARIABLES)
    assert [variable for variable, _ in describe()] == list(ENVIRONMENT_VARIABLES)
    assert dict(describe())["PANTAU_CONSUMER_NAME"] == "<host>-<pid>"


@pytest.mark.parametrize("name", ENVIRONMENT_VARIABLES)
def test_each_variable_reaches_its_own_setting(tmp_path, name):
    """Read from this name and no other: a nonsense value either stops with an error naming this variable or
    becomes the one setting that differs from the defaults."""
    empty = tmp_path / "none.env"
    defaults = load_settings({}, env_file=empty)
    try:
        settings = load_settings({name: "@@nonsense"}, env_file=empty)
    except SettingsError as exc:
        assert str(exc).startswith(name), str(exc)
    else:
        changed = {
            field: getattr(settings, field)
            for field in Settings.model_fields
            if getattr(settings, field) != getattr(defaults, field)
        }
        expected = ["@@nonsense"], [str(Path("@@nonsense").resolve())]  # a path is resolved
        assert [str(value) for value in changed.values()] in expected, changed


def test_only_the_documented_name_is_read(tmp_path):
    settings = load_settings(
        {"PANTAU_DEFAULT_LANGUAGE": "en", "PANTAU_SLA_DEFAULT_HOURS": "48"}, env_file=tmp_path / "none.env"
    )
    assert settings.default_language == "id" and settings.sla_default_hours == 24.0
    assert load_settings({"PANTAU_LANGUAGE": "en"}, env_file=tmp_path / "none.env").default_language == "en"
