"""Assets, asset checks and the one `Definitions` of the platform (see definitions.py)."""
