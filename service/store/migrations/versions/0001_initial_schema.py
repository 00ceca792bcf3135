"""The initial schema: wearers, bouts, prompts and what answers them, users and access.

Revision ID: 0001
Revises: none
Created: 2026-11-21 19:08:14.144431
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Times are stored as timezone-aware timestamps (SQLite keeps them naive, in UTC); the
# models' UtcDateTime converts at the edge and needs nothing more from the schema.
TIME = sa.DateTime(timezone=True)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("admin", sa.Boolean(), nullable=False),
        sa.Column("created", TIME, nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "wearers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created", TIME, nullable=False),
        sa.Column("timezone", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "acks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("prompt_id", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wearer", "device", "seq"),
    )
    op.create_index(op.f("ix_acks_prompt_id"), "acks", ["prompt_id"], unique=False)
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=128), nullable=False),
        sa.Column("created", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user"],
            ["users.name"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("digest"),
    )
    op.create_index(op.f("ix_api_tokens_user"), "api_tokens", ["user"], unique=False)
    op.create_table(
        "bouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "posture",
            sa.Enum(
                "lying",
                "sitting",
                "standing",
                "walking",
                "running",
                "cycling",
                "nonwear",
                "unknown",
                name="posture",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("start", TIME, nullable=False),
        sa.Column("end", TIME, nullable=False),
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wearer", "start"),
    )
    op.create_index(op.f("ix_bouts_wearer"), "bouts", ["wearer", "end"], unique=False)
    op.create_table(
        "device_status",
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("sensor", sa.String(length=64), nullable=True),
        sa.Column("battery_pct", sa.Integer(), nullable=True),
        sa.Column("gap_start", TIME, nullable=True),
        sa.Column("gap_end", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("wearer", "device"),
    )
    op.create_table(
        "focus",
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("until", TIME, nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("wearer"),
    )
    op.create_table(
        "gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start", TIME, nullable=False),
        sa.Column("end", TIME, nullable=False),
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wearer", "device", "start"),
    )
    op.create_table(
        "mqtt_accounts",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("wearer", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("created", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("username"),
    )
    op.create_table(
        "prompts",
        sa.Column("id", sa.String(length=255), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("routine", sa.String(length=128), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column(
            "posture",
            sa.Enum(
                "lying",
                "sitting",
                "standing",
                "walking",
                "running",
                "cycling",
                "nonwear",
                "unknown",
                name="posture",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("bout_start", TIME, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("answer_within_s", sa.Double(), nullable=False),
        sa.Column("deadline", TIME, nullable=False),
        sa.Column("answered_at", TIME, nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "movement",
                "done",
                "snooze",
                "dismiss",
                "cant_stand",
                "ignored",
                name="outcome",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wearer", "rule", "bout_start", "repeat"),
    )
    op.create_index(op.f("ix_prompts_deadline"), "prompts", ["deadline"], unique=False)
    op.create_index(op.f("ix_prompts_wearer"), "prompts", ["wearer", "at"], unique=False)
    op.create_table(
        "push_subscriptions",
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("p256dh", sa.String(length=255), nullable=False),
        sa.Column("auth", sa.String(length=255), nullable=False),
        sa.Column("created", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("endpoint"),
    )
    op.create_index(
        op.f("ix_push_subscriptions_wearer"), "push_subscriptions", ["wearer"], unique=False
    )
    op.create_table(
        "rule_states",
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.String(length=128), nullable=False),
        sa.Column("snoozed_until", TIME, nullable=True),
        sa.Column("snooze_bout", TIME, nullable=True),
        sa.Column("closed_bout", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("wearer", "rule"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.Column("routine", sa.String(length=128), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("wearer", "key"),
    )
    op.create_index(op.f("ix_sessions_wearer"), "sessions", ["wearer", "at"], unique=False)
    op.create_table(
        "wearer_owners",
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user"],
            ["users.name"],
        ),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("wearer"),
    )
    op.create_index(op.f("ix_wearer_owners_user"), "wearer_owners", ["user"], unique=False)
    op.create_table(
        "wearer_shares",
        sa.Column("wearer", sa.String(length=64), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user"],
            ["users.name"],
        ),
        sa.ForeignKeyConstraint(
            ["wearer"],
            ["wearers.id"],
        ),
        sa.PrimaryKeyConstraint("wearer", "user"),
    )


def downgrade() -> None:
    op.drop_table("wearer_shares")
    op.drop_index(op.f("ix_wearer_owners_user"), table_name="wearer_owners")
    op.drop_table("wearer_owners")
    op.drop_index(op.f("ix_sessions_wearer"), table_name="sessions")
    op.drop_table("sessions")
    op.drop_table("rule_states")
    op.drop_index(op.f("ix_push_subscriptions_wearer"), table_name="push_subscriptions")
    op.drop_table("push_subscriptions")
    op.drop_index(op.f("ix_prompts_wearer"), table_name="prompts")
    op.drop_index(op.f("ix_prompts_deadline"), table_name="prompts")
    op.drop_table("prompts")
    op.drop_table("mqtt_accounts")
    op.drop_table("gaps")
    op.drop_table("focus")
    op.drop_table("device_status")
    op.drop_index(op.f("ix_bouts_wearer"), table_name="bouts")
    op.drop_table("bouts")
    op.drop_index(op.f("ix_api_tokens_user"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_acks_prompt_id"), table_name="acks")
    op.drop_table("acks")
    op.drop_table("wearers")
    op.drop_table("users")
