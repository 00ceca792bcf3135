"""Wearer and device identifiers: validated value types safe to put in a topic."""

from __future__ import annotations

import functools
import re
from typing import Annotated

from pydantic import AfterValidator

from sitless.errors import WireError

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


@functools.lru_cache(maxsize=65536)
def _valid(value: str) -> bool:
    return _ID.fullmatch(value) is not None


def check_id(value: str, what: str = "id") -> str:
    """Return ``value`` if it can be one MQTT topic level, else raise ``WireError``.

    MQTT wildcards (``+``, ``#``), the level separator ``/`` and empty strings would let a
    wearer publish into another wearer's topics, so they are refused here, once.
    """
    if not isinstance(value, str) or not _valid(value):
        raise WireError(
            f"{what} {value!r} is not valid: use 1-64 letters, digits, '_', '.', ':' or '-'"
            " (no '/', '+', '#' or spaces)",
            reason="bad_id",
            value=value,
        )
    return value


def _wearer(value: str) -> str:
    try:
        return check_id(value, "wearer")
    except WireError as exc:
        raise ValueError(str(exc)) from None


def _device(value: str) -> str:
    try:
        return check_id(value, "device")
    except WireError as exc:
        raise ValueError(str(exc)) from None


WearerId = Annotated[str, AfterValidator(_wearer)]
DeviceId = Annotated[str, AfterValidator(_device)]
