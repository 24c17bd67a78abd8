"""The tables of a workspace, as SQLAlchemy Core metadata.

Migrations in `store/migrations/versions` create exactly these; a test compares the two.
Timestamps are stored in UTC. Free-text fields that may be malformed in a source
(date of birth, postcode, email, phone, NI number, UPRN) are text, so a bad value is kept
as given and flagged in `issues` rather than lost.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()
UNOWNED = "status = 'open' AND owner_id IS NULL"  # the cases get next chooses from

imports = Table(
    "imports",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # items, workers, skills, roster, events, qa
    Column("source", String(100), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("rows_new", Integer, nullable=False, default=0),
    Column("rows_updated", Integer, nullable=False, default=0),
    Column("rows_unchanged", Integer, nullable=False, default=0),
    Column("rows_quarantined", Integer, nullable=False, default=0),
    Index("ix_imports_source", "source", "finished_at"),
)

items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False),
    Column("source_ref", String(200), nullable=False),
    Column("item_type", String(200), nullable=False),
    Column("need", String(100)),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True)),
    Column("status", String(10), nullable=False),
    Column("closed_at", DateTime(timezone=True)),  # when known: completed by work or a log
    Column("first_name", String(200)),
    Column("last_name", String(200)),
    Column("full_name", String(400)),
    Column("date_of_birth", String(40)),
    Column("address_line_1", String(300)),
    Column("address_line_2", String(300)),
    Column("address_line_3", String(300)),
    Column("town", String(200)),
    Column("postcode", String(40)),
    Column("uprn", String(40)),
    Column("phone", String(60)),
    Column("email", String(300)),
    Column("ni_number", String(40)),
    Column("person_ref", String(100)),  # the source system's own number for the person
    Column("school", String(300)),
    Column("gp_practice", String(300)),
    Column("flags", Text),
    Column("notes", Text),
    Column("extra", Text),  # JSON: the source's other columns, kept as given
    Column("issues", Text),  # JSON: malformed optional values, kept and flagged
    Column("row_hash", String(32), nullable=False),
    Column("first_import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("last_import_id", Integer, ForeignKey("imports.id"), nullable=False),
    # who the item is about, set by resolve; empty until the workspace is resolved
    Column("person_id", Integer, index=True),
    Column("household_id", Integer, index=True),
    Column("case_id", Integer, index=True),
    # when the person's data was erased on request: the item stays, as anonymous work
    Column("erased_at", DateTime(timezone=True)),
    UniqueConstraint("source", "source_ref", name="uq_items_source_ref"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("import_id", Integer, ForeignKey("imports.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("source", String(100), nullable=False),
    Column("file_name", String(500), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("column_name", String(300)),
    Column("reason", Text, nullable=False),
    Column("raw", Text, nullable=False),  # JSON of the row as read
    Column("row_hash", String(32), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("kind", "source", "row_hash", "row_number", name="uq_quarantine_row"),
)

# The append-only log of everything that happens: imports, changes to items, and the
# work done on items and cases. Triggers (see the migrations) refuse UPDATE and DELETE.
TRIGGERS = {"sqlite": ("events_append_only_update", "events_append_only_delete"),
            "postgresql": ("events_append_only",)}  # fmt: skip
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),  # who: a user, a worker ref, "import"
    Column("action", String(100), nullable=False),  # what: "import", "item.updated", activity
    Column("entity_type", String(40), nullable=False),  # item, import, case, ...
    Column("entity_id", String(100), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("completed_at", DateTime(timezone=True)),
    Column("outcome", String(200)),
    # for work read from an event log: "complete" (a piece of work, with its start when
    # the log has one), "start" (begun, not yet completed), or the log's own word for
    # other moments ("schedule", "suspend"); empty for kinfold's own records
    Column("lifecycle", String(20)),
    Column("import_id", Integer, ForeignKey("imports.id")),
    Column("before", Text),  # JSON
    Column("after", Text),  # JSON
    # A hash of the source row for events read from a file, so re-importing adds nothing.
    Column("event_key", String(32), unique=True),
    # when personal data was taken out of `before` and `after` (the only change allowed)
    Column("erased_at", DateTime(timezone=True)),
    Index("ix_events_entity", "entity_type", "entity_id"),
    Index("ix_events_action", "action"),
)

teams = Table(
    "teams",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
)

workers = Table(
    "workers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("worker_ref", String(100), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("team_id", Integer, ForeignKey("teams.id"), nullable=False),
    Column("hours_per_week", Float, nullable=False),
    Column("cost_per_hour", Float, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)

skills = Table(
    "skills",
    metadata,
    Column("worker_id", Integer, ForeignKey("workers.id"), primary_key=True),
    Column("item_type", String(200), primary_key=True),
    Column("level", Integer, nullable=False),  # 0 none, 1 learning, 2 signed off, 3 expert
)

roster = Table(
    "roster",
    metadata,
    Column("worker_id", Integer, ForeignKey("workers.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("paid_hours", Float, nullable=False),
    Column("cost_per_hour", Float),
)

shrinkage = Table(
    "shrinkage",
    metadata,
    Column("worker_id", Integer, ForeignKey("workers.id"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("category", String(60), primary_key=True),  # sickness, leave, training, ...
    Column("hours", Float, nullable=False),
)

qa_checks = Table(
    "qa_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("worker_id", Integer, ForeignKey("workers.id"), nullable=False),
    Column("checked_by", String(100), nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("score", Float),
    Column("reason", Text),
    UniqueConstraint("item_id", "worker_id", "checked_at", name="uq_qa_check"),
)

# --- resolve and fold: who the items are about -----------------------------------------
# People, households and cases keep their ids from one resolve to the next: a re-run
# gives each new group the id of the old group most of its items were in.

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("first_name", String(200)),  # the most common spelling in the person's items
    Column("last_name", String(200)),
    Column("date_of_birth", String(40)),
    Column("household_id", Integer, index=True),
    Column("item_count", Integer, nullable=False),
)

households = Table(
    "households",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("address", String(600), nullable=False),
    Column("uprn", String(40)),
    Column("postcode", String(10)),
    Column("postcode_sector", String(10), index=True),
    Column("postcode_district", String(10), index=True),
    Column("school", String(300), index=True),
    Column("gp_practice", String(300), index=True),
    Column("person_count", Integer, nullable=False),
    # what it rests on: "uprn", "address", "part of an address", or "no address" (a
    # person alone; households.BASES)
    Column("basis", String(20), nullable=False, server_default="address"),
)

cases = Table(
    "cases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("household_id", Integer, index=True),  # the household, or
    Column("person_id", Integer, index=True),  # the person with no household
    Column("status", String(10), nullable=False),  # open, closed, merged (into merged_into)
    Column("merged_into", Integer),
    Column("open_items", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # set by prioritise, for open cases: the rule's points, the case's place in the order
    # (1 first), the day harm is likely by, the earliest due date, and the reasons in words
    Column("priority_score", Float),
    Column("priority_rank", Integer, index=True),  # among every open case
    Column("team_rank", Integer),  # in its team's backlog
    Column("harm_by", Date),
    Column("next_due", Date),
    Column("priority_reasons", Text),
    # [item id, person id] of each reason, in its order: what and who set it off
    Column("reason_sources", Text),
    Column("rule_version", Integer),
    # allocation: the team whose backlog holds the case (by the routing rules), and the
    # worker working it; `work_state` is unallocated, in progress, or waiting (until a day)
    Column("team_id", Integer, ForeignKey("teams.id"), index=True),
    Column("owner_id", Integer, ForeignKey("workers.id"), index=True),
    Column("owner_since", DateTime(timezone=True)),
    Column("work_state", String(20), nullable=False, server_default="unallocated"),
    Column("waiting_until", Date),
    # get next: the unowned open cases of a team, in priority order
    Index(
        "ix_cases_unowned",
        "team_id",
        "priority_rank",
        sqlite_where=text(UNOWNED),
        postgresql_where=text(UNOWNED),
    ),
    Index("ix_cases_merged_into", "merged_into"),
    # the team backlog: a page in priority order, and its groups counted from the index
    Index("ix_cases_backlog", "team_id", "priority_rank"),
    Index("ix_cases_groups", "team_id", "status", "next_due", "harm_by", "priority_rank"),
)

# Every version of the workspace's priority rule, as written; the highest is in force.
priority_rules = Table(
    "priority_rules",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("text", Text, nullable=False),
    Column("saved_by", String(200), nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
    # the team whose own rule this is; none: the workspace's, for teams without their own
    Column("team_id", Integer, ForeignKey("teams.id")),
)

# The evidence for the links that made people, and the uncertain ones a reviewer should
# see: one row per pair of items (one item standing for each side).
links = Table(
    "links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("resolve_run_id", Integer, ForeignKey("resolve_runs.id"), nullable=False),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("other_item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("match_probability", Float, nullable=False),
    Column("match_weight", Float, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON: comparison -> level and weight
    Column("joined", Boolean, nullable=False),  # did this link join two people into one?
    # in the review queue: how much a reviewer's answer would change cases (resolve.review)
    Column("review_value", Float),
    Index("ix_links_items", "item_id", "other_item_id"),
)

# What reviewers decided about pairs of items: every later resolve respects it.
link_decisions = Table(
    "link_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("other_item_id", Integer, ForeignKey("items.id"), nullable=False),
    Column("decision", String(10), nullable=False),  # same, different
    Column("actor", String(200), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
)

resolve_runs = Table(
    "resolve_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("actor", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True)),
    Column("kind", String(20), nullable=False),  # full, incremental
    Column("threshold", Float, nullable=False),
    Column("model", Text),  # JSON: the trained Splink model
    Column("counts", Text),  # JSON: items, people, households, cases
)

# Judgement calls a caseworker asks their team about a case; the answer is the decision.
peer_questions = Table(
    "peer_questions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_id", Integer, ForeignKey("cases.id"), nullable=False, index=True),
    Column("team_id", Integer, ForeignKey("teams.id"), index=True),
    Column("asked_by", String(100), nullable=False),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("question", Text, nullable=False),
    Column("answered_by", String(100)),
    Column("answered_at", DateTime(timezone=True)),
    Column("answer", Text),
)

# Each goal's progress, computed once a day (the latest computation of the day kept).
goal_progress = Table(
    "goal_progress",
    metadata,
    Column("goal", String(300), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("value", Float, nullable=False),
    Column("target", Float, nullable=False),
    Column("status", String(10), nullable=False),  # met, at risk, missed
    Column("detail", Text, nullable=False),
)

# The web app's local accounts. A caseworker or team leader belongs to a team (and is a
# worker of the roster, to be given cases); an analyst or admin may see every team.
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),  # argon2id
    Column("role", String(20), nullable=False),  # caseworker, team leader, analyst, admin
    Column("team_id", Integer, ForeignKey("teams.id")),
    Column("worker_id", Integer, ForeignKey("workers.id")),
    Column("active", Boolean, nullable=False, default=True),
    Column("failed_sign_ins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Signed-in sessions: the cookie holds a random token; only its SHA-256 is kept here.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

# Per-user API tokens (sent as `Authorization: Bearer ...`); only their SHA-256 is kept.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("user_id", "name", name="uq_api_tokens_name"),
)

# Failed sign-ins by client address, for the web app's throttle (all its processes).
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("address", String(64), nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
    Index("ix_sign_in_failures_address", "address", "failed_at"),
)
