"""The project's development tooling: setup and test shell scripts, and the real services
(MariaDB, PostgreSQL, the moto server) that the tests and the benchmarks start."""
