"""Report queries and row shaping, one module per report type."""
