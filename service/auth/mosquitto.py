"""Mosquitto credentials: a password file and an ACL made from the accounts sitless knows.

Each wearer's collector logs in with its own account and may publish only under its own
``sitless/v1/<wearer>/`` topics (posture, status, ack, raw, focus) and read only its own
prompts and state; a service account reads and writes every wearer's topics and the
dead-letter topic. Anonymous clients are refused. Mosquitto reads both files at start
and on SIGHUP (``docker compose kill -s HUP mosquitto``), so re-run ``sitless mqtt
config`` and signal the broker after adding an account.

Passwords are hashed as ``mosquitto_passwd`` does since Mosquitto 2.0 (``$7$``:
PBKDF2-HMAC-SHA512, 12-byte salt, 101 iterations, 64-byte key, base64). sitless makes
the passwords itself from 24 random bytes, so the low iteration count, kept for
Mosquitto's own default speed at every CONNECT, does not make them guessable.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterable

from service.store.access import MqttAccount
from sitless.errors import ConfigError, WireError
from sitless.wire import check_id
from sitless.wire.topics import DEAD, ROOT, Kind, topic

ITERATIONS = 101
SALT_BYTES = 12
KEY_BYTES = 64

WEARER_WRITES = frozenset({Kind.POSTURE, Kind.STATUS, Kind.ACK, Kind.RAW, Kind.FOCUS})
"""Topic kinds a wearer's collector publishes on (its own topics only)."""
WEARER_READS = frozenset({Kind.PROMPT, Kind.STATE})
"""Topic kinds a wearer's collector subscribes to (its own topics only)."""


def check_username(name: str) -> str:
    """``name`` if it can be a Mosquitto user name; ``ConfigError`` otherwise.

    The password file separates name and hash with ``:``, and the ACL is whitespace
    separated, so a name must be a valid sitless id without ``:``.
    """
    try:
        check_id(name, "MQTT user name")
    except WireError as exc:
        raise ConfigError(str(exc), value=name) from None
    if ":" in name:
        raise ConfigError(
            f"MQTT user name {name!r} has ':', which the password file cannot hold;"
            " pick a name without it (--username)",
            value=name,
        )
    return name


def new_password() -> str:
    """A random password for a collector or service (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``password`` hashed the way Mosquitto 2 checks it (``$7$...``)."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    key = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS, KEY_BYTES)
    return f"$7${ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"


def render_passwd(accounts: Iterable[MqttAccount]) -> str:
    """The Mosquitto password file."""
    return "".join(f"{check_username(a.username)}:{a.password_hash}\n" for a in accounts)


def render_acl(accounts: Iterable[MqttAccount]) -> str:
    """The Mosquitto ACL: each wearer's collector confined to its own topics."""
    lines = [
        "# Made by `sitless mqtt config` from the accounts sitless knows: re-run it rather",
        "# than editing this file. Anything not granted here is refused.",
        "",
    ]
    for account in sorted(accounts, key=lambda a: (a.wearer is not None, a.username)):
        name = check_username(account.username)
        if account.wearer is None:
            lines += [
                f"# service {name}: every wearer's topics and the dead-letter topic {DEAD}",
                f"user {name}",
                f"topic readwrite {ROOT}/#",
                "",
            ]
            continue
        lines += [f"# wearer {account.wearer}: its collector, on its own topics only"]
        lines.append(f"user {name}")
        lines += [f"topic write {topic(account.wearer, kind)}" for kind in sorted(WEARER_WRITES)]
        lines += [f"topic read {topic(account.wearer, kind)}" for kind in sorted(WEARER_READS)]
        lines.append("")
    return "\n".join(lines)


def render_conf(config_dir: str, *, listener: str = "1883", tls: bool = False) -> str:
    """A ``mosquitto.conf`` that uses the two files in ``config_dir``.

    Args:
        config_dir: where the broker finds ``passwd`` and ``acl`` (and, with ``tls``,
            ``server.crt`` and ``server.key``).
        listener: port, optionally followed by the address to bind (``"8883 0.0.0.0"``).
        tls: serve MQTT over TLS only, with the certificate and key in ``config_dir``.
    """
    lines = [
        "# Made by `sitless mqtt config`: one login per wearer, each confined to its topics.",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {config_dir}/passwd",
        f"acl_file {config_dir}/acl",
        f"listener {listener}",
    ]
    if tls:
        lines += [
            f"certfile {config_dir}/server.crt",
            f"keyfile {config_dir}/server.key",
            "tls_version tlsv1.2",
        ]
    return "\n".join(lines) + "\n"
