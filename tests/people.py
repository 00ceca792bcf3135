"""Users with data for access tests: two wearers, their owners, a coach and an admin.

``ann`` owns wearer ``ann-thigh``; ``bob`` owns ``bob-thigh`` and shares it read-only with
``coach``; ``root`` is an admin. Both wearers have the scripted office day (bouts) and
one prompt each, so every route has something to leak if a check were missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from service.auth.tokens import new_token
from service.store.access import AccessStore
from service.store.sql import BoutUpdate, SqlStore
from sitless.wire.messages import Prompt, prompt_id
from sitless.wire.posture import Posture
from tests import days

ANN, BOB = "ann-thigh", "bob-thigh"


@dataclass(frozen=True)
class People:
    """Each user's API token, and the id of one token per user."""

    tokens: dict[str, str]
    token_ids: dict[str, str]

    def auth(self, user: str) -> dict[str, str]:
        """The Authorization header of ``user``."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}


def seed(store: SqlStore) -> People:
    """Add the users, their wearers and data to ``store``."""
    access = AccessStore(store)
    tokens, ids = {}, {}
    for name in ("ann", "bob", "coach", "root"):
        access.add_user(name, admin=name == "root")
        made = new_token()
        access.add_token(name, made.id, made.digest, "test")
        tokens[name], ids[name] = made.token, made.id
    access.set_owner(ANN, "ann")
    access.set_owner(BOB, "bob")
    access.share(BOB, "coach")
    for wearer in (ANN, BOB):
        store.upsert_bouts(
            BoutUpdate(wearer, "thigh", b.posture, b.start, b.end) for b in days.bouts()
        )
        sit = days.bouts()[1]
        at = sit.start + timedelta(minutes=45)
        store.record_prompt(
            Prompt(
                wearer=wearer,
                device="thigh",
                id=prompt_id(wearer, "long-sitting", sit.start, 0),
                rule="long-sitting",
                routine="hip-flexor-reset",
                title="Time to stand up",
                message="Stand up and stretch your hip flexors.",
                posture=Posture.SITTING,
                bout_start=sit.start,
                at=at,
            )
        )
        store.answer_prompt(prompt_id(wearer, "long-sitting", sit.start, 0), "done", sit.end)
    return People(tokens, ids)
