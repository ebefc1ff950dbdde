"""Adapters to the outside world: storage, databases, document engine, AWS, mail, Spark.

Each adapter has an embedded default (works on one laptop) and a production
implementation, chosen by settings (environment variables), never by code edits.
"""
