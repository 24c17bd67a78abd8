"""kinfold: a back-office backlog of things to do, turned into people to help."""

__version__ = "0.1.0"
