"""A realistic council backlog with its ground truth, for trying kinfold and measuring it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kinfold.demo.accounts import add_demo_accounts
from kinfold.demo.files import DemoSummary, generate_demo
from kinfold.ingest.importer import ImportResult, import_items
from kinfold.ingest.workforce import import_workforce
from kinfold.workspace import Workspace, init_workspace

__all__ = ["DemoSummary", "generate_demo", "load_demo"]

# (file, source or kind, mapping): in the order they must be imported
DEMO_FILES = (
    ("benefits.csv", "benefits", None),
    ("revenues.xlsx", "revenues", "revenues.yaml"),
    ("housing.json", "housing", "housing.yaml"),
    ("workers.csv", "workers", None),
    ("skills.csv", "skills", None),
    ("roster.csv", "roster", None),
    ("events.csv", "events", None),
    ("qa.csv", "qa", None),
)
ITEM_SOURCES = ("benefits", "revenues", "housing")
# how the demo council's three teams share the work, and what they aim for
DEMO_SETTINGS = {
    "demo": True,  # `kinfold serve` prints the demo's sign-ins
    "routing": {
        "default team": "Benefits team",
        "rules": [
            {"team": "Housing team", "need": "housing"},
            *({"team": "Revenues team", "item type": item_type} for item_type in (
                "Council tax arrears", "Payment arrangement request",
                "Single person discount review", "Council tax hardship relief")),
        ],
    },
    "allocate": {"work in progress cap": 3, "skill level": 2},
    "goals": [
        {"name": "Harm within 2 days, contacted within 1 working day",
         "harm within days": 2, "contacted within working days": 1},
        {"name": "Benefits backlog under 400 by 29 January 2027", "team": "Benefits team",
         "backlog under": 400, "by": "2027-01-29"},
    ],
}  # fmt: skip


def load_demo(
    folder: Path,
    actor: str = "demo",
    on_import: Callable[[ImportResult], None] | None = None,
) -> Workspace:
    """Make `folder` (holding demo files) a workspace and import all of them into it."""
    workspace = init_workspace(folder, name="Kinsbury Council demo", more=DEMO_SETTINGS)
    for file_name, what, mapping in DEMO_FILES:
        path = folder / file_name
        if what in ITEM_SOURCES:
            result = import_items(
                workspace.engine,
                path,
                what,
                mapping_path=folder / mapping if mapping else None,
                actor=actor,
            )
        else:
            result = import_workforce(workspace.engine, path, what, actor=actor)
        if on_import is not None:
            on_import(result)
    add_demo_accounts(workspace.engine)
    return workspace
