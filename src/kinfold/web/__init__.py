"""The team's web app and its API."""
