"""Configuration: the shipped file is valid, env overrides it, every error is listed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from sitless.config import Settings, load
from sitless.errors import ConfigError

SHIPPED = Path(__file__).resolve().parents[2] / "config" / "sitless.toml"


def _commented_keys(text: str) -> dict[str, set[str]]:
    """Section -> keys that the shipped file documents as ``# key = value``."""
    keys: dict[str, set[str]] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif line.startswith("# ") and " = " in line and line[2].isalpha():
            key = line[2:].split(" = ")[0]
            if key.isidentifier():
                keys.setdefault(section, set()).add(key)
    return keys


def test_the_shipped_config_documents_every_setting_and_loads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    documented = _commented_keys(SHIPPED.read_text())
    expected: dict[str, set[str]] = {}

    def walk(model: type, prefix: str) -> None:
        for name, field in model.model_fields.items():
            kind = field.annotation
            if isinstance(kind, type) and hasattr(kind, "model_fields"):
                walk(kind, f"{prefix}.{name}" if prefix else name)
            else:
                expected.setdefault(prefix, set()).add(name)

    walk(Settings, "")
    assert documented == expected
    settings = load(SHIPPED)
    assert settings == Settings()


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[service]\ntimezone = "Europe/Oslo"\nport = 9000\n')
    monkeypatch.setenv("SITLESS_SERVICE__PORT", "9100")
    settings = load(path)
    assert (settings.service.timezone, settings.service.port) == ("Europe/Oslo", 9100)
    assert tomllib.loads(path.read_text())["service"]["port"] == 9000  # never rewritten


def test_every_problem_is_listed_at_once_with_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[service]\ntimezone = "Mars/Olympus"\nport = -1\n[mqtt]\nurl = "http://x"\n')
    monkeypatch.setenv("SITLESS_COLLECTOR__RATE_HZ", "fast")
    with pytest.raises(ConfigError) as caught:
        load(path)
    text = str(caught.value)
    assert text.startswith("4 problem(s)") and str(path) in text
    for needle in (
        "service.timezone",
        "Mars/Olympus",
        "service.port",
        "mqtt.url",
        "collector.rate_hz",
        "SITLESS_COLLECTOR__RATE_HZ",
    ):
        assert needle in text


def test_unknown_settings_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text("[service]\ndatabse_url = 'sqlite:///x.db'\n")
    with pytest.raises(ConfigError, match="databse_url"):
        load(path)


def test_a_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nope.toml")
