"""One error tree for the whole project.

Every error carries a short machine-readable ``reason`` (used for counters and the
dead-letter topic) and, where there is one, the offending value.
"""

from __future__ import annotations

from typing import Any


class SitlessError(Exception):
    """Base of every error sitless raises on purpose."""

    reason: str = "error"

    def __init__(self, message: str, *, reason: str | None = None, value: Any = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason
        self.value = value


class FrameError(SitlessError):
    """A sensor frame or recording row could not be turned into samples."""

    reason = "bad_frame"


class WireError(SitlessError):
    """An MQTT topic or payload does not follow the wire contract."""

    reason = "bad_payload"


class RuleError(SitlessError):
    """A rule file is invalid; the message names file, rule and field."""

    reason = "bad_rule"


class ConfigError(SitlessError):
    """The configuration is invalid; the message lists every problem at once."""

    reason = "bad_config"


class StoreUnavailable(SitlessError):
    """A store (SQL or time series) cannot be reached right now; retry later."""

    reason = "store_unavailable"
