"""``sitless users``: the operator makes users, tokens, owners and shares from the shell."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from service.auth.tokens import digest
from service.store.access import AccessStore, Role
from service.store.sql import SqlStore
from sitless.commands import users


def test_users_tokens_owners_and_shares_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    run = CliRunner(env={"SITLESS_SERVICE__DATABASE_URL": url}).invoke

    assert run(users.app, ["add", "ann"]).exit_code == 0
    again = run(users.app, ["add", "ann"])
    assert again.exit_code == 1 and "exists already" in again.stderr
    assert run(users.app, ["add", "bad/name"]).exit_code == 1
    made = run(users.app, ["token", "ann", "--label", "phone"])
    assert made.exit_code == 0 and "shown only now" in made.stderr
    token = made.stdout.strip()
    assert run(users.app, ["token", "nobody"]).exit_code == 1
    assert run(users.app, ["own", "ann", "ann-1"]).exit_code == 0
    refused = run(users.app, ["share", "ann-1", "coach"])
    assert refused.exit_code == 1 and "no user 'coach'" in refused.stderr
    assert run(users.app, ["add", "coach"]).exit_code == 0
    assert run(users.app, ["share", "ann-1", "coach"]).exit_code == 0
    listed = run(users.app, ["list"])
    assert "ann-1" in listed.stdout and "phone" in listed.stdout

    store = SqlStore(url)
    access = AccessStore(store)
    ann = access.user_by_digest(digest(token))
    coach = access.user("coach")
    assert ann is not None and ann.name == "ann" and coach is not None
    assert access.role(ann, "ann-1") is Role.OWNER
    assert access.role(coach, "ann-1") is Role.SHARED
    token_id = access.tokens("ann")[0].id
    store.close()

    assert run(users.app, ["unshare", "ann-1", "coach"]).exit_code == 0
    assert run(users.app, ["revoke", "coach", token_id]).exit_code == 1
    assert run(users.app, ["revoke", "ann", token_id]).exit_code == 0
    assert run(users.app, ["remove", "ann"]).exit_code == 0
    store = SqlStore(url)
    access = AccessStore(store)
    assert access.user_by_digest(digest(token)) is None
    assert access.owner("ann-1") is None and [u.name for u in access.users()] == ["coach"]
    store.close()
