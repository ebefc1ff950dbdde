"""Document exchange between two cases: request, plan, branding (no Dagster, boto3 or SQL driver)."""
