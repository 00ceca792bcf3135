"""``sitless mqtt``: broker logins per wearer, and the Mosquitto files that enforce them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sitless.commands.database import ConfigOption, fail, opened
from sitless.errors import ConfigError, WireError
from sitless.wire import check_id

app = typer.Typer(
    help="MQTT logins: one per wearer's collector (its own topics only) and per service;"
    " writes Mosquitto's password file and ACL.",
    no_args_is_help=True,
)
err = Console(stderr=True)


def _username(name: str) -> str:
    from service.auth.mosquitto import check_username

    try:
        return check_username(name)
    except ConfigError as exc:
        raise fail(str(exc)) from None


@app.command()
def password(
    wearer: Annotated[str, typer.Argument(help="Wearer whose collector logs in.")],
    username: Annotated[
        str | None, typer.Option(help="Broker user name (default: the wearer id).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Make (or replace) the login of a wearer's collector; prints the password once."""
    from service.auth.mosquitto import hash_password, new_password
    from service.store.access import AccessStore

    try:
        check_id(wearer, "wearer")
    except WireError as exc:
        raise fail(str(exc)) from None
    name = _username(username or wearer)
    secret = new_password()
    with opened(config) as (_, store):
        access = AccessStore(store)
        taken = {a.username: a for a in access.mqtt_accounts()}
        if name in taken and taken[name].wearer != wearer:
            raise fail(f"MQTT user {name!r} belongs to another account; pick --username")
        access.set_mqtt_account(name, wearer, hash_password(secret))
    err.print(
        f"collector login for wearer {wearer}: user {name}; password shown only now.\n"
        f"Collector: SITLESS_MQTT__URL=mqtt://{name}:<password>@<broker>:1883\n"
        "Then: sitless mqtt config --out <broker config dir>, and reload the broker (SIGHUP)."
    )
    print(secret)


@app.command()
def service(
    username: Annotated[str, typer.Argument(help="Broker user name of the service.")],
    config: ConfigOption = None,
) -> None:
    """Make (or replace) a service login, which reads and writes every wearer's topics."""
    from service.auth.mosquitto import hash_password, new_password
    from service.store.access import AccessStore

    name = _username(username)
    secret = new_password()
    with opened(config) as (_, store):
        access = AccessStore(store)
        taken = {a.username: a for a in access.mqtt_accounts()}
        if name in taken and taken[name].wearer is not None:
            raise fail(f"MQTT user {name!r} is wearer {taken[name].wearer!r}'s collector")
        access.set_mqtt_account(name, None, hash_password(secret))
    err.print(
        f"service login {name}; password shown only now (SITLESS_MQTT__URL=mqtt://{name}:...)"
    )
    print(secret)


@app.command()
def remove(
    username: Annotated[str, typer.Argument(help="Broker user name.")],
    config: ConfigOption = None,
) -> None:
    """Remove a broker login (re-run `sitless mqtt config` and reload the broker)."""
    from service.store.access import AccessStore

    with opened(config) as (_, store):
        if not AccessStore(store).remove_mqtt_account(username):
            raise fail(f"no MQTT user {username!r}")
    err.print(f"removed MQTT user {username}")


@app.command("config")
def write_config(
    out: Annotated[
        Path, typer.Option(help="Folder for passwd and acl (the broker's config folder).")
    ],
    broker_dir: Annotated[
        str,
        typer.Option(help="That folder as the broker sees it (in its container, say)."),
    ] = "/mosquitto/config",
    config: ConfigOption = None,
) -> None:
    """Write Mosquitto's password file and ACL from the logins sitless knows."""
    from service.auth.mosquitto import render_acl, render_passwd
    from service.store.access import AccessStore

    with opened(config) as (_, store):
        accounts = AccessStore(store).mqtt_accounts()
    if not accounts:
        raise fail("no MQTT logins yet: sitless mqtt service NAME, sitless mqtt password WEARER")
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "passwd", render_passwd(accounts))
    _write(out / "acl", render_acl(accounts))
    wearers = sum(a.wearer is not None for a in accounts)
    err.print(
        f"wrote {out / 'passwd'} and {out / 'acl'}: {len(accounts) - wearers} service and"
        f" {wearers} wearer login(s).\nmosquitto.conf needs:\n  allow_anonymous false\n"
        f"  password_file {broker_dir}/passwd\n  acl_file {broker_dir}/acl\n"
        "Reload a running broker with SIGHUP."
    )


def _write(path: Path, text: str) -> None:
    # Replace atomically, so a broker reloading mid-write never reads half a file. The
    # files hold hashes only; the broker (often another user) must be able to read them.
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o644)
    os.replace(tmp, path)
