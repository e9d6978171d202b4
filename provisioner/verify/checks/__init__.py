"""The checks verify runs, one module per role; each check is named for what it proves."""
