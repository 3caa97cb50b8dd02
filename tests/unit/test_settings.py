"""Settings are read when created, validated, and fail with a message naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.errors import SettingsError
from config.settings import Settings, load_settings, with_overrides


def test_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEESEEKS_CONFIG_FILE", raising=False)
    settings = load_settings()
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    assert settings.kafka_broker_url == "kafka://127.0.0.1:9092"
    assert settings.web_port == 6066


def test_environment_is_read_when_created(monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_settings()
    monkeypatch.setenv("MEESEEKS_WEB_PORT", "7001")
    monkeypatch.setenv("MEESEEKS_KAFKA_BOOTSTRAP", "a:1, b:2")
    second = load_settings()
    assert first.web_port == 6066
    assert second.web_port == 7001
    assert second.kafka_broker_url == "kafka://a:1;kafka://b:2"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("MEESEEKS_LOG_LEVEL", "LOUD", "MEESEEKS_LOG_LEVEL='LOUD': Input should be 'DEBUG'"),
        ("MEESEEKS_WEB_PORT", "70000", "MEESEEKS_WEB_PORT='70000'"),
        ("MEESEEKS_KAFKA_BOOTSTRAP", "nohostport", "expected host:port"),
        ("MEESEEKS_TABLE_STORE", "redis://", "allowed values are rocksdb:// and memory://"),
    ],
)
def test_bad_value_names_setting_and_allowed_values(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert expected in str(info.value)


def test_config_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "meeseeks.toml"
    path.write_text('web_port = 7100\napp_id = "from-file"\n')
    monkeypatch.setenv("MEESEEKS_CONFIG_FILE", str(path))
    monkeypatch.setenv("MEESEEKS_APP_ID", "from-env")
    settings = load_settings()
    assert settings.web_port == 7100
    assert settings.app_id == "from-env"


def test_unknown_key_in_config_file_is_an_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "meeseeks.toml"
    path.write_text("web_prot = 7100\n")
    monkeypatch.setenv("MEESEEKS_CONFIG_FILE", str(path))
    with pytest.raises(SettingsError, match="MEESEEKS_WEB_PROT: unknown setting"):
        load_settings()


def test_missing_or_broken_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEESEEKS_CONFIG_FILE", str(tmp_path / "absent.toml"))
    with pytest.raises(SettingsError, match="no such file"):
        load_settings()
    broken = tmp_path / "broken.toml"
    broken.write_text("web_port = = 1\n")
    monkeypatch.setenv("MEESEEKS_CONFIG_FILE", str(broken))
    with pytest.raises(SettingsError, match=r"broken\.toml"):
        load_settings()


def test_overrides_are_validated() -> None:
    settings = Settings()
    assert with_overrides(settings, web_port=None) is settings
    assert with_overrides(settings, data_dir="/tmp/x").data_dir == Path("/tmp/x")
    with pytest.raises(SettingsError, match="MEESEEKS_WEB_PORT"):
        with_overrides(settings, web_port=0)


def test_every_setting_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "settings.md").read_text()
    for name, field in Settings.model_fields.items():
        assert field.description, f"{name} has no description"
        assert f"MEESEEKS_{name.upper()}" in docs, f"MEESEEKS_{name.upper()} missing from docs"


def test_example_config_file_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).parents[2] / "config" / "meeseeks.example.toml"
    monkeypatch.setenv("MEESEEKS_CONFIG_FILE", str(example))
    assert load_settings().app_id == "meeseeks"
