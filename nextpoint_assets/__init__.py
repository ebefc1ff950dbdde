"""Assets, asset checks and the one `Definitions` of the platform (see definitions.py)."""

import warnings

import dagster as dg

# Backfill policies are marked beta; we rely on them on purpose (one run per backfill).
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)
