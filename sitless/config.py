"""Configuration: ``config/sitless.toml`` (or ``--config``), overridden by ``SITLESS_*``.

One model for the whole file; each side reads its own section (``collector``,
``service``) plus the shared ``mqtt`` one. Nested values are overridden with a double
underscore, e.g. ``SITLESS_SERVICE__DATABASE_URL``. Start-up fails with every problem
listed at once; the user's file is never rewritten.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from collector.config import CollectorSettings
from service.config import ServiceSettings
from sitless.errors import ConfigError
from sitless.mqtt_config import MqttSettings

CONFIG_ENV = "SITLESS_CONFIG"


class Settings(BaseSettings):
    """Everything sitless can be told; every field is documented in config/sitless.toml."""

    model_config = SettingsConfigDict(
        env_prefix="SITLESS_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    mqtt: MqttSettings = MqttSettings()
    collector: CollectorSettings = CollectorSettings()
    service: ServiceSettings = ServiceSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = os.environ.get(CONFIG_ENV)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(path)))
        return tuple(sources)


def load(path: Path | None = None, **overrides: Any) -> Settings:
    """Read the config file (if any) and the environment; raise ``ConfigError`` listing all.

    Args:
        path: a TOML file; defaults to ``$SITLESS_CONFIG`` when set, else built-in defaults.
        overrides: values that win over file and environment (from command-line flags).
    """
    previous = os.environ.get(CONFIG_ENV)
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist", value=str(path))
        os.environ[CONFIG_ENV] = str(path)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(explain(exc, path or os.environ.get(CONFIG_ENV))) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read config {path}: {exc}") from None
    finally:
        if path is not None:
            if previous is None:
                os.environ.pop(CONFIG_ENV, None)
            else:
                os.environ[CONFIG_ENV] = previous


def explain(exc: ValidationError, source: Path | str | None) -> str:
    """Every validation problem, one per line, with the env variable that sets it."""
    where = f" in {source}" if source else ""
    lines = [f"{exc.error_count()} problem(s) with the configuration{where}:"]
    for err in exc.errors(include_url=False):
        dotted = ".".join(str(p) for p in err["loc"])
        env = "SITLESS_" + "__".join(str(p) for p in err["loc"]).upper()
        got = f" (got {err['input']!r})" if not isinstance(err["input"], dict) else ""
        lines.append(f"  - {dotted}: {err['msg']}{got}  [env {env}]")
    return "\n".join(lines)
