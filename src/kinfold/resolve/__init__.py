"""Resolve: which items are about the same person, and which people live together."""
