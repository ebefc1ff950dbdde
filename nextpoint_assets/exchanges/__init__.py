"""Document exchange between two cases: request -> database copy (Spark) -> documents -> search text
-> completion."""
