"""Users, tokens, ownership, shares and MQTT logins in the SQL store, on SQLite and PostgreSQL."""

from __future__ import annotations

from service.auth.tokens import digest, new_token, well_formed
from service.store.access import AccessStore, Role
from service.store.sql import SqlStore


def test_a_token_is_found_by_its_digest_only_and_revoked_only_by_its_user(
    store: SqlStore,
) -> None:
    access = AccessStore(store)
    assert access.add_user("ann") and access.add_user("bob")
    assert not access.add_user("ann")
    made = new_token()
    assert well_formed(made.token) and made.digest == digest(made.token)
    access.add_token("ann", made.id, made.digest, "phone")
    found = access.user_by_digest(digest(made.token))
    assert found is not None and found.name == "ann"
    assert access.user_by_digest(digest(made.token + "x")) is None
    assert not access.revoke_token("bob", made.id)
    assert access.revoke_token("ann", made.id)
    assert access.user_by_digest(made.digest) is None


def test_roles_follow_ownership_shares_and_admin(store: SqlStore) -> None:
    access = AccessStore(store)
    for name in ("ann", "bob", "coach"):
        access.add_user(name)
    access.add_user("root", admin=True)
    users = {u.name: u for u in access.users()}
    store.ensure_wearer("stray")  # heard from, owned by nobody
    access.set_owner("ann-1", "ann")
    access.set_owner("bob-1", "bob")
    assert access.share("bob-1", "coach") and not access.share("bob-1", "coach")
    role = access.role
    assert role(users["ann"], "ann-1") is Role.OWNER
    assert role(users["ann"], "bob-1") is None
    assert role(users["coach"], "bob-1") is Role.SHARED
    assert role(users["root"], "bob-1") is Role.ADMIN
    assert role(users["ann"], "stray") is None and role(users["root"], "stray") is Role.ADMIN
    assert role(None, "stray") is Role.OPEN
    assert role(users["root"], "never-heard-of") is None
    assert [v.wearer.id for v in access.visible(users["coach"])] == ["bob-1"]
    assert [v.wearer.id for v in access.visible(users["root"])] == ["ann-1", "bob-1", "stray"]
    assert access.shares("bob-1") == ["coach"]
    assert access.unshare("bob-1", "coach") and not access.unshare("bob-1", "coach")
    assert role(users["coach"], "bob-1") is None


def test_removing_a_user_leaves_their_wearers_data_unowned(store: SqlStore) -> None:
    access = AccessStore(store)
    access.add_user("ann")
    access.add_user("root", admin=True)
    made = new_token()
    access.add_token("ann", made.id, made.digest, "")
    access.set_owner("ann-1", "ann")
    assert access.remove_user("ann") and not access.remove_user("ann")
    assert access.user_by_digest(made.digest) is None
    assert access.owner("ann-1") is None
    assert [w.id for w in store.wearers()] == ["ann-1"]
    assert access.any_user()


def test_mqtt_logins_are_replaced_not_duplicated(store: SqlStore) -> None:
    access = AccessStore(store)
    access.set_mqtt_account("svc", None, "$7$1$a$b")
    access.set_mqtt_account("ann-1", "ann-1", "$7$1$c$d")
    access.set_mqtt_account("ann-1", "ann-1", "$7$1$e$f")
    accounts = access.mqtt_accounts()
    assert [(a.username, a.wearer, a.password_hash) for a in accounts] == [
        ("ann-1", "ann-1", "$7$1$e$f"),
        ("svc", None, "$7$1$a$b"),
    ]
    assert access.remove_mqtt_account("svc") and not access.remove_mqtt_account("svc")
