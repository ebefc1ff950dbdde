"""Pure domain logic: no Dagster, boto3 or SQL driver imports live here."""
