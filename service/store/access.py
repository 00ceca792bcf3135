"""Who may see what: users, their API tokens, wearers they own, shares, MQTT accounts.

In: from ``sitless users`` / ``sitless mqtt`` and the API, users, token digests (never
tokens), ownership and shares; MQTT account password hashes. Out: to ``service.auth``,
the user behind a token digest and the role a user has on a wearer; to ``sitless mqtt
config``, the accounts a Mosquitto password file and ACL are made from.

The tables live on the same ``Base`` as the rest of the SQL store (so one migration
history covers them); ``AccessStore`` borrows the ``SqlStore``'s engine and its error
handling. A wearer has at most one owner; other users see it read-only through a share.
Removing a user removes their tokens and shares and leaves their wearers unowned (their
data stays, visible to admins), so nothing a wearer recorded disappears by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, String, delete, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from service.store.sql import _ID, _NAME, Base, SqlStore, StoredWearer, WearerRow


class Role(StrEnum):
    """What a viewer may do with one wearer's data."""

    OWNER = "owner"
    """Reads and changes it, shares it."""
    SHARED = "shared"
    """Reads it (a share from the owner)."""
    ADMIN = "admin"
    """Reads and changes everything (an admin user)."""
    OPEN = "open"
    """Reads and changes everything: access control is off (no users yet)."""

    @property
    def can_change(self) -> bool:
        """Whether this role may change the wearer (settings, shares)."""
        return self is not Role.SHARED


class UserRow(Base):
    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    admin: Mapped[bool] = mapped_column(Boolean)
    created: Mapped[datetime]


class TokenRow(Base):
    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    user: Mapped[str] = mapped_column(String(_ID), ForeignKey("users.name"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(_NAME))
    created: Mapped[datetime]


class OwnerRow(Base):
    __tablename__ = "wearer_owners"
    wearer: Mapped[str] = mapped_column(String(_ID), ForeignKey("wearers.id"), primary_key=True)
    user: Mapped[str] = mapped_column(String(_ID), ForeignKey("users.name"), index=True)


class ShareRow(Base):
    __tablename__ = "wearer_shares"
    wearer: Mapped[str] = mapped_column(String(_ID), ForeignKey("wearers.id"), primary_key=True)
    user: Mapped[str] = mapped_column(String(_ID), ForeignKey("users.name"), primary_key=True)


class MqttAccountRow(Base):
    __tablename__ = "mqtt_accounts"
    username: Mapped[str] = mapped_column(String(_ID), primary_key=True)
    wearer: Mapped[str | None] = mapped_column(String(_ID), ForeignKey("wearers.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    created: Mapped[datetime]


@dataclass(frozen=True, slots=True)
class StoredUser:
    name: str
    admin: bool
    created: datetime


@dataclass(frozen=True, slots=True)
class StoredToken:
    """A token's public part: never the token itself, nor its digest."""

    id: str
    user: str
    label: str
    created: datetime


@dataclass(frozen=True, slots=True)
class VisibleWearer:
    """A wearer a viewer may see, with the viewer's role and the owner (if any)."""

    wearer: StoredWearer
    role: Role
    owner: str | None


@dataclass(frozen=True, slots=True)
class MqttAccount:
    """A broker login: a wearer's collector (``wearer`` set) or a service (None)."""

    username: str
    wearer: str | None
    password_hash: str


class AccessStore:
    """Users, tokens, ownership, shares and MQTT accounts in ``store``'s database."""

    def __init__(self, store: SqlStore) -> None:
        self._store = store

    # users

    def add_user(self, name: str, *, admin: bool = False) -> bool:
        """Add a user; False if the name is taken."""
        row = {"name": name, "admin": admin, "created": datetime.now(UTC)}
        with self._store._begin("add user") as conn:
            stmt = self._store._insert(UserRow).on_conflict_do_nothing()
            return conn.execute(stmt.returning(UserRow.name), row).first() is not None

    def users(self) -> list[StoredUser]:
        """Every user, by name."""
        with self._store._begin("list users") as conn:
            rows = conn.execute(select(UserRow.__table__).order_by(UserRow.name))
            return [StoredUser(**row._mapping) for row in rows]

    def user(self, name: str) -> StoredUser | None:
        """One user, or None."""
        with self._store._begin("read user") as conn:
            row = conn.execute(select(UserRow.__table__).where(UserRow.name == name)).first()
            return StoredUser(**row._mapping) if row else None

    def any_user(self) -> bool:
        """Whether at least one user exists (access control is then on)."""
        with self._store._begin("count users") as conn:
            return conn.execute(select(UserRow.name).limit(1)).first() is not None

    def remove_user(self, name: str) -> bool:
        """Remove a user with their tokens and shares; their wearers become unowned."""
        with self._store._begin("remove user") as conn:
            conn.execute(delete(TokenRow).where(TokenRow.user == name))
            conn.execute(delete(ShareRow).where(ShareRow.user == name))
            conn.execute(delete(OwnerRow).where(OwnerRow.user == name))
            return _changed(conn.execute(delete(UserRow).where(UserRow.name == name)))

    # tokens

    def add_token(self, user: str, token_id: str, digest: str, label: str) -> StoredToken:
        """Keep a new token's digest for ``user`` (the token itself is never stored)."""
        created = datetime.now(UTC)
        row = {"id": token_id, "user": user, "digest": digest, "label": label, "created": created}
        with self._store._begin("add token") as conn:
            conn.execute(insert(TokenRow), row)
        return StoredToken(token_id, user, label, created)

    def user_by_digest(self, digest: str) -> StoredUser | None:
        """The user a token digest belongs to, or None."""
        query = (
            select(UserRow.__table__)
            .join(TokenRow, TokenRow.user == UserRow.name)
            .where(TokenRow.digest == digest)
        )
        with self._store._begin("check token") as conn:
            row = conn.execute(query).first()
            return StoredUser(**row._mapping) if row else None

    def tokens(self, user: str) -> list[StoredToken]:
        """``user``'s tokens, oldest first."""
        query = (
            select(TokenRow.id, TokenRow.user, TokenRow.label, TokenRow.created)
            .where(TokenRow.user == user)
            .order_by(TokenRow.created, TokenRow.id)
        )
        with self._store._begin("list tokens") as conn:
            return [StoredToken(*row) for row in conn.execute(query)]

    def revoke_token(self, user: str, token_id: str) -> bool:
        """Delete one of ``user``'s tokens; False if ``user`` has no such token."""
        stmt = delete(TokenRow).where(TokenRow.id == token_id, TokenRow.user == user)
        with self._store._begin("revoke token") as conn:
            return _changed(conn.execute(stmt))

    # ownership and shares

    def set_owner(self, wearer: str, user: str) -> None:
        """Make ``user`` the owner of ``wearer`` (added if new), replacing any owner."""
        with self._store._begin("set owner") as conn:
            self._store._add_wearers(conn, [wearer])
            conn.execute(delete(OwnerRow).where(OwnerRow.wearer == wearer))
            conn.execute(insert(OwnerRow), {"wearer": wearer, "user": user})
            conn.execute(delete(ShareRow).where(ShareRow.wearer == wearer, ShareRow.user == user))

    def owner(self, wearer: str) -> str | None:
        """The owner of ``wearer``, or None."""
        with self._store._begin("read owner") as conn:
            return conn.execute(
                select(OwnerRow.user).where(OwnerRow.wearer == wearer)
            ).scalar_one_or_none()

    def share(self, wearer: str, user: str) -> bool:
        """Let ``user`` read ``wearer``; False if already shared."""
        with self._store._begin("share wearer") as conn:
            stmt = self._store._insert(ShareRow).on_conflict_do_nothing()
            row = {"wearer": wearer, "user": user}
            return conn.execute(stmt.returning(ShareRow.user), row).first() is not None

    def unshare(self, wearer: str, user: str) -> bool:
        """Stop sharing ``wearer`` with ``user``; False if it was not shared."""
        stmt = delete(ShareRow).where(ShareRow.wearer == wearer, ShareRow.user == user)
        with self._store._begin("unshare wearer") as conn:
            return _changed(conn.execute(stmt))

    def shares(self, wearer: str) -> list[str]:
        """Users ``wearer`` is shared with, by name."""
        query = select(ShareRow.user).where(ShareRow.wearer == wearer).order_by(ShareRow.user)
        with self._store._begin("list shares") as conn:
            return list(conn.execute(query).scalars())

    def visible(self, user: StoredUser | None) -> list[VisibleWearer]:
        """The wearers ``user`` may see (None: access control off, so all), by id."""
        query = (
            select(WearerRow.__table__, OwnerRow.user.label("owner"))
            .outerjoin(OwnerRow, OwnerRow.wearer == WearerRow.id)
            .order_by(WearerRow.id)
        )
        shared: set[str] = set()
        with self._store._begin("list visible wearers") as conn:
            rows = list(conn.execute(query))
            if user is not None and not user.admin:
                shared = set(
                    conn.execute(select(ShareRow.wearer).where(ShareRow.user == user.name))
                    .scalars()
                    .all()
                )
        out = []
        for row in rows:
            m = row._mapping
            role = _role(user, m["owner"], m["id"] in shared)
            if role is not None:
                wearer = StoredWearer(m["id"], m["created"], m["timezone"])
                out.append(VisibleWearer(wearer, role, m["owner"]))
        return out

    def role(self, user: StoredUser | None, wearer: str) -> Role | None:
        """``user``'s role on ``wearer``: None if they may not see it (or it is unknown)."""
        with self._store._begin("check access") as conn:
            known = conn.execute(select(WearerRow.id).where(WearerRow.id == wearer)).first()
            if known is None:
                return None
            owner = conn.execute(
                select(OwnerRow.user).where(OwnerRow.wearer == wearer)
            ).scalar_one_or_none()
            shared = user is not None and (
                conn.execute(
                    select(ShareRow.user).where(
                        ShareRow.wearer == wearer, ShareRow.user == user.name
                    )
                ).first()
                is not None
            )
        return _role(user, owner, shared)

    # MQTT accounts

    def set_mqtt_account(self, username: str, wearer: str | None, password_hash: str) -> None:
        """Add or replace a broker login (a wearer's collector, or a service when None)."""
        row = {
            "username": username,
            "wearer": wearer,
            "password_hash": password_hash,
            "created": datetime.now(UTC),
        }
        with self._store._begin("set MQTT account") as conn:
            if wearer is not None:
                self._store._add_wearers(conn, [wearer])
            done = conn.execute(
                update(MqttAccountRow)
                .where(MqttAccountRow.username == username)
                .values(wearer=wearer, password_hash=password_hash)
            )
            if not _changed(done):
                conn.execute(insert(MqttAccountRow), row)

    def remove_mqtt_account(self, username: str) -> bool:
        """Remove a broker login; False if there was none."""
        stmt = delete(MqttAccountRow).where(MqttAccountRow.username == username)
        with self._store._begin("remove MQTT account") as conn:
            return _changed(conn.execute(stmt))

    def mqtt_accounts(self) -> list[MqttAccount]:
        """Every broker login, by username."""
        query = select(
            MqttAccountRow.username, MqttAccountRow.wearer, MqttAccountRow.password_hash
        ).order_by(MqttAccountRow.username)
        with self._store._begin("list MQTT accounts") as conn:
            return [MqttAccount(*row) for row in conn.execute(query)]


def _role(user: StoredUser | None, owner: str | None, shared: bool) -> Role | None:
    if user is None:
        return Role.OPEN
    if owner == user.name:
        return Role.OWNER
    if user.admin:
        return Role.ADMIN
    return Role.SHARED if shared else None


def _changed(result: Any) -> bool:
    """Whether an UPDATE or DELETE touched a row."""
    return int(result.rowcount) > 0


__all__ = [
    "AccessStore",
    "MqttAccount",
    "Role",
    "StoredToken",
    "StoredUser",
    "VisibleWearer",
]
