"""Ingest: read files, map them onto kinfold's columns, validate, quarantine, store."""
