"""``sitless users``: people, their API tokens, the wearers they own and share."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from sitless.commands.database import ConfigOption, fail, opened
from sitless.errors import WireError
from sitless.wire import check_id

app = typer.Typer(
    help="Users, API tokens, and who owns or may read each wearer. Access control is on"
    " as soon as one user exists.",
    no_args_is_help=True,
)
out = Console()
err = Console(stderr=True)

Name = Annotated[str, typer.Argument(help="User name (letters, digits, _ . -).")]
Wearer = Annotated[str, typer.Argument(help="Wearer id.")]


def _id(value: str, what: str) -> str:
    try:
        return check_id(value, what)
    except WireError as exc:
        raise fail(str(exc)) from None


@app.command()
def add(
    name: Name,
    admin: Annotated[bool, typer.Option(help="May see and change every wearer.")] = False,
    config: ConfigOption = None,
) -> None:
    """Add a user. From then on the API and dashboard ask for a token."""
    from service.store.access import AccessStore

    _id(name, "user name")
    with opened(config) as (_, store):
        if not AccessStore(store).add_user(name, admin=admin):
            raise fail(f"user {name!r} exists already")
    err.print(
        f"added {'admin ' if admin else ''}user {name}; make a token: sitless users token {name}"
    )


@app.command("list")
def list_(config: ConfigOption = None) -> None:
    """List users, the wearers they own and their tokens."""
    from service.store.access import AccessStore

    with opened(config) as (_, store):
        access = AccessStore(store)
        users = access.users()
        owned: dict[str, list[str]] = {}
        for seen in access.visible(None):
            if seen.owner:
                owned.setdefault(seen.owner, []).append(seen.wearer.id)
        table = Table("user", "admin", "owns", "tokens", title="sitless users")
        for user in users:
            tokens = ", ".join(f"{t.id} {t.label}".strip() for t in access.tokens(user.name))
            table.add_row(
                user.name, "yes" if user.admin else "", ", ".join(owned.get(user.name, [])), tokens
            )
    out.print(table if users else "no users: access control is off (sitless users add NAME)")


@app.command()
def remove(name: Name, config: ConfigOption = None) -> None:
    """Remove a user with their tokens and shares; their wearers' data stays, unowned."""
    from service.store.access import AccessStore

    with opened(config) as (_, store):
        if not AccessStore(store).remove_user(name):
            raise fail(f"no user {name!r}")
    err.print(f"removed user {name}")


@app.command()
def token(
    name: Name,
    label: Annotated[str, typer.Option(help="What the token is for, e.g. 'phone'.")] = "",
    config: ConfigOption = None,
) -> None:
    """Make an API token for a user; it is printed once, on standard output."""
    from service.auth.tokens import new_token
    from service.store.access import AccessStore

    with opened(config) as (_, store):
        access = AccessStore(store)
        if access.user(name) is None:
            raise fail(f"no user {name!r} (sitless users add {name})")
        made = new_token()
        access.add_token(name, made.id, made.digest, label)
    err.print(f"token {made.id} for {name}; it is shown only now:")
    print(made.token)


@app.command()
def revoke(
    name: Name,
    token_id: Annotated[str, typer.Argument(help="Token id (8 hex digits, see list).")],
    config: ConfigOption = None,
) -> None:
    """Revoke one of a user's tokens."""
    from service.store.access import AccessStore

    with opened(config) as (_, store):
        if not AccessStore(store).revoke_token(name, token_id):
            raise fail(f"user {name!r} has no token {token_id!r}")
    err.print(f"revoked token {token_id} of {name}")


@app.command()
def own(name: Name, wearer: Wearer, config: ConfigOption = None) -> None:
    """Make a user the owner of a wearer (added if it has sent nothing yet)."""
    from service.store.access import AccessStore

    _id(wearer, "wearer")
    with opened(config) as (_, store):
        access = AccessStore(store)
        if access.user(name) is None:
            raise fail(f"no user {name!r}")
        access.set_owner(wearer, name)
    err.print(f"{name} owns wearer {wearer}")


@app.command()
def share(
    wearer: Wearer,
    name: Annotated[str, typer.Argument(help="User who may read the wearer.")],
    config: ConfigOption = None,
) -> None:
    """Let another user (a clinician, a coach) read a wearer's data."""
    from service.store.access import AccessStore

    with opened(config) as (_, store):
        access = AccessStore(store)
        if access.user(name) is None:
            raise fail(f"no user {name!r}")
        if wearer not in {w.id for w in store.wearers()}:
            raise fail(f"no wearer {wearer!r}")
        if access.owner(wearer) == name:
            raise fail(f"{name} owns {wearer} already")
        access.share(wearer, name)
    err.print(f"{name} may now read wearer {wearer}")


@app.command()
def unshare(
    wearer: Wearer,
    name: Annotated[str, typer.Argument(help="User who should no longer read the wearer.")],
    config: ConfigOption = None,
) -> None:
    """Stop sharing a wearer with a user."""
    from service.store.access import AccessStore

    with opened(config) as (_, store):
        if not AccessStore(store).unshare(wearer, name):
            raise fail(f"wearer {wearer!r} is not shared with {name!r}")
    err.print(f"{name} may no longer read wearer {wearer}")
