"""The `kinfold` command: a thin shell over the library. Each command parses its options,
calls the library and prints the result; each module registers its commands on the one
app of `common`."""

from kinfold.cli import intake, measure, plan, review, rule, store, web, work  # noqa: F401
from kinfold.cli.common import app, console

__all__ = ["app", "console"]
