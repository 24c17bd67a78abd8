"""The store: one version of the truth for a workspace (schema, migrations, repositories)."""
