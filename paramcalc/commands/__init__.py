"""The commands: one module each, named as the command. cli.py finds them by listing this package."""
