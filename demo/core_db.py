"""The demo's core database rows: accounts, users, the cases and what users did in them."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert

from demo.case_builder import BASE_TIME
from domain import schema
from resources.databases import Databases

if TYPE_CHECKING:
    from demo.generate import CaseSpec

ACCOUNTS = ((1, "Hooper & Lane LLP"), (2, "Marsh, Whitaker & Ibáñez PC"))
USERS = (
    (1, 1, "ava.hooper@hooperlane.example", "Ava Hooper"),
    (2, 1, "ben.okafor@hooperlane.example", "Ben Okafor"),
    (3, 1, "chloe.ng@hooperlane.example", "Chloé Ng"),
    (4, 2, "dmitri.volkov@marshwhitaker.example", "Dmitri Volkov"),
    (5, 2, "erin.marsh@marshwhitaker.example", "Erin Marsh"),
    (55, 2, "analyst@marshwhitaker.example", "Report Analyst"),
)
ACTIONS = ("login", "view_exhibit", "search", "download", "export", "annotate")


def generate_core(specs: list[CaseSpec], seed: int, databases: Databases) -> None:
    """Create the core database if needed and upsert the accounts, users and these cases."""
    engine = (
        databases.core_writer()
        if databases.exists(databases.core_db_name)
        else databases.create_core_database()
    )
    rng = random.Random(f"{seed}-core")
    case_ids = [s.case_id for s in specs]
    with engine.begin() as conn:
        conn.execute(delete(schema.accounts).where(schema.accounts.c.id.in_([a[0] for a in ACCOUNTS])))
        conn.execute(insert(schema.accounts), [{"id": i, "name": n} for i, n in ACCOUNTS])
        conn.execute(delete(schema.users).where(schema.users.c.id.in_([u[0] for u in USERS])))
        conn.execute(
            insert(schema.users), [{"id": i, "account_id": a, "email": e, "name": n} for i, a, e, n in USERS]
        )
        conn.execute(delete(schema.npcases).where(schema.npcases.c.id.in_([*case_ids, 909])))
        conn.execute(
            insert(schema.npcases),
            [
                {
                    "id": s.case_id,
                    "account_id": s.account_id,
                    "name": s.name,
                    "status": "active",
                    "region": "c2",
                    "created_at": BASE_TIME,
                }
                for s in specs
            ]
            + [
                {
                    "id": 909,
                    "account_id": 1,
                    "name": "Closed matter (deleted)",
                    "status": "deleted",
                    "region": "c2",
                    "created_at": BASE_TIME,
                }
            ],
        )
        conn.execute(delete(schema.user_activities).where(schema.user_activities.c.npcase_id.in_(case_ids)))
        activities = []
        for spec in specs:
            users = [u for u in USERS if u[1] == spec.account_id]
            for _ in range(60):
                user = rng.choice(users)
                activities.append(
                    {
                        "user_id": user[0],
                        "npcase_id": spec.case_id,
                        "action": rng.choice(ACTIONS),
                        "occurred_at": BASE_TIME + timedelta(minutes=rng.randint(0, 60 * 24 * 200)),
                        "details": json.dumps({"ip": f"10.0.{rng.randint(0, 9)}.{rng.randint(1, 254)}"}),
                    }
                )
        conn.execute(insert(schema.user_activities), activities)
