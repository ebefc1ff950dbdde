"""Exchange, database part: copy selected exhibits and every row that hangs on them from
`{prefix}_{source}` to `{prefix}_{destination}`, with new ids and every foreign key remapped.

One script, three ways to run it, unchanged:
- a local Spark job (the default; Dagster starts it as a Pipes subprocess),
- on a Spark cluster (the same subprocess with NP_SPARK_MASTER=spark://...),
- as an AWS Glue job (Dagster's PipesGlueClient; `--params` is the job argument).

It needs only pyspark (and dagster_pipes when Pipes launched it): Glue ships the file alone.
That is also why it is one file of some 1,000 lines rather than a package: an AWS Glue job
runs one script (its ScriptLocation), and modules beside it would have to be zipped and
uploaded apart (`--extra-py-files`) and kept in step with it by the deployment; the copy is
one class (`Copier`) whose steps share the run's id maps, so it reads best in one place.

Spark's own logging: beside the script, `spark-log4j2.properties` sends Spark's full log
to a file (NP_SPARK_LOG_FILE) and only errors to the console (NP_SPARK_LOG_LEVEL to change).

Idempotent and resumable, through an id map in the platform database
(`exchange_id_map`, one row per copied row: source case, destination case, table,
source id -> destination id):
1. the map rows of a table are written before its rows, so a crash leaves at most
   ids reserved but not used;
2. a re-run reads the map first: a row already mapped keeps its destination id and
   is inserted only if the destination does not hold that id yet;
3. new ids are allocated above both the destination's and the map's highest id.
So any crash followed by a re-run gives exactly one copy of every row, and an
exchange of rows an earlier exchange already copied (same source, same destination)
neither duplicates nor overwrites them. Rows deduplicated by name (label categories,
folder tags, custodians, custom fields, confidentiality codes) reuse the
destination's row of that name and are never modified.

Secrets never travel in the parameters: each connection names the environment
variable (or Secrets Manager id) that holds its password.
"""

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# What hangs on an exhibit: (table, columns). Column lists are those of the case database
# (docs/interfaces/case_db.sql); DATETIME columns travel as text so no time zone can
# shift them and SQLite's text dates survive as they are.
EXHIBIT_CHILDREN: dict[str, list[str]] = {
    "custodian_exhibits": ["id", "custodian_id", "exhibit_id"],
    "confidentiality_logs": ["id", "exhibit_id", "user_id", "old_status", "new_status", "created_at"],
    "relevancy_logs": ["id", "exhibit_id", "user_id", "relevancy", "note", "created_at"],
    "privilege_logs": ["id", "exhibit_id", "user_id", "privilege_type", "basis", "description", "created_at"],
    "label_category_labels": ["id", "label_category_id", "exhibit_id"],
    "folder_taggings": ["id", "folder_tag_id", "exhibit_id"],
    "custom_field_values": ["id", "custom_field_id", "exhibit_id", "value"],
    "annotations": [
        "id",
        "exhibit_id",
        "page_number",
        "annotation_type",
        "rect",
        "content",
        "image_key",
        "parent_id",
        "user_id",
        "created_at",
    ],
    "stamp_details": [
        "id",
        "exhibit_id",
        "page_number",
        "stamp_type",
        "text",
        "position",
        "bates_pattern_id",
        "bates_number",
        "created_at",
    ],
}
DOCUMENT_COLUMNS = [
    "id",
    "batch_id",
    "filename",
    "file_extension",
    "md5",
    "document_properties",
    "created_at",
    "updated_at",
]
VARIANT_COLUMNS = ["id", "document_id", "kind", "object_key", "bytes"]
EXHIBIT_COLUMNS = [
    "id",
    "document_id",
    "parent_exhibit_id",
    "control_number",
    "title",
    "author",
    "date_sent",
    "page_count",
    "bates_begin",
    "bates_end",
    "confidentiality_status",
    "number",
    "created_at",
    "updated_at",
]
DATETIME_COLUMNS = {"created_at", "updated_at", "date_sent"}
NAMED_TABLES = ["custodians", "label_categories", "folder_tags", "custom_fields", "confidentiality_codes"]
REQUIRED_TABLES = ["documents", "document_variants", "exhibits", *EXHIBIT_CHILDREN, *NAMED_TABLES]
ORDER = ["documents", "exhibits", "document_variants", *EXHIBIT_CHILDREN]
MAP_TABLE = "exchange_id_map"
MAP_SCHEMA = "source_id long, destination_id long"
NAMED_SCHEMAS = {
    "custodians": "id long, name string",
    "label_categories": "id long, name string",
    "folder_tags": "id long, name string, parent_id long",
    "custom_fields": "id long, name string, field_type string",
    "confidentiality_codes": "id long, code string, description string, bit int",
}
ANNOTATION_TYPES = ("redaction", "highlight", "note", "sticker", "comment")
STAMP_TYPES = ("bates", "confidentiality", "exhibit")


class ExchangeInputError(Exception):
    """The request cannot be carried out as asked; nothing was written."""


@dataclass
class Connection:
    url: str
    driver: str
    user: str | None = None
    password_env: str | None = (
        None  # the variable holding the password, or NAME_SECRET_ID holding its secret's id
    )
    password_secret_id: str | None = (
        None  # a Secrets Manager id (Glue: no environment to pass a password through)
    )

    @property
    def sqlite(self) -> bool:
        return self.url.startswith("jdbc:sqlite:")

    @property
    def integer(self) -> str:
        """The 64-bit integer type of CAST in this database's SQL."""
        return "INTEGER" if self.sqlite else "SIGNED"

    def options(self) -> dict[str, str]:
        options = {"url": self.url, "driver": self.driver}
        if self.user:
            options["user"] = self.user
        password = (
            _secret(self.password_env, self.password_secret_id)
            if self.password_env or self.password_secret_id
            else None
        )
        if password:
            options["password"] = password
        return options


@dataclass
class Params:
    exchange_id: str
    source_case_id: int
    destination_case_id: int
    source: Connection
    destination: Connection
    ledger: Connection
    exhibit_ids: list[int] = field(default_factory=list)
    label_id: int | None = None
    include_natives: bool = True
    annotation_types: list[str] = field(default_factory=list)  # copied as rows ('layer'), comments included
    stamp_types: list[str] = field(default_factory=list)  # stamp_details copied as rows
    batch_size: int = 10_000
    partitions: int = 4
    fetch_size: int = 10_000

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Params":
        data = dict(data)
        for name in ("source", "destination", "ledger"):
            data[name] = Connection(**data[name])
        params = cls(**data)
        params.check()
        return params

    def check(self) -> None:
        """Everything that ends up inside SQL text is an integer or a name from a fixed list."""
        self.source_case_id, self.destination_case_id = (
            int(self.source_case_id),
            int(self.destination_case_id),
        )
        if self.source_case_id == self.destination_case_id:
            raise ExchangeInputError("The source and destination case are the same case.")
        self.exhibit_ids = sorted({int(i) for i in self.exhibit_ids})
        self.label_id = None if self.label_id is None else int(self.label_id)
        if bool(self.exhibit_ids) == (self.label_id is not None):
            raise ExchangeInputError("Select the documents by exhibit_ids or by label_id (one of the two).")
        unknown = set(self.annotation_types) - set(ANNOTATION_TYPES) | set(self.stamp_types) - set(
            STAMP_TYPES
        )
        if unknown:
            raise ExchangeInputError(f"Unknown annotation or stamp types: {sorted(unknown)}.")

    def exhibit_filter(self) -> str:
        """SQL condition on the source's exhibits.id that selects the exchanged exhibits."""
        if self.exhibit_ids:
            return "id IN (" + ",".join(str(i) for i in self.exhibit_ids) + ")"
        return (
            f"id IN (SELECT exhibit_id FROM label_category_labels WHERE label_category_id = {self.label_id})"
        )


#: Above this many ids a table is read whole (in parallel id ranges) and filtered by a Spark join:
#: no IN list of a hundred thousand ids, no nested subqueries the database would run per row.
INLINE_IDS = 20_000
#: Id maps and selections up to this many rows are broadcast to the joins that use them.
BROADCAST_ROWS = 2_000_000


class Selection:
    """The exchanged exhibits and their documents, as Spark frames and, when few, as SQL filters."""

    def __init__(self, exhibits) -> None:
        from pyspark.sql import functions as F

        self.exhibits = exhibits.select(F.col("id").alias("exhibit_id")).localCheckpoint(eager=True)
        self.documents = exhibits.select("document_id").distinct().localCheckpoint(eager=True)
        self.count = self.exhibits.count()
        small = self.count <= INLINE_IDS
        self.exhibit_ids = sorted(r[0] for r in self.exhibits.collect()) if small else None
        self.document_ids = (
            sorted(r[0] for r in self.documents.collect() if r[0] is not None) if small else None
        )

    def exhibit_where(self, column: str) -> str:
        return _in(column, self.exhibit_ids)

    def document_where(self, column: str) -> str:
        return _in(column, self.document_ids)


def _in(column: str, ids: list[int] | None) -> str:
    if ids is None:
        return "1 = 1"
    return f"{column} IN ({','.join(str(int(i)) for i in ids)})" if ids else "1 = 0"


def _secret(env_name: str | None, secret_id: str | None = None) -> str | None:
    value = os.environ.get(env_name) if env_name else None
    if value:
        return value
    secret_id = secret_id or (os.environ.get(f"{env_name}_SECRET_ID") if env_name else None)
    if secret_id:
        import boto3

        return boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    return None


def _quoted(values) -> str:
    names = sorted(values)
    if any(not name.replace("_", "").isalnum() for name in names):
        raise ExchangeInputError("A type name holds characters other than letters, digits and '_'.")
    return ",".join(f"'{name}'" for name in names)


class Copier:
    """The copy of one exchange; `run()` returns counts per table."""

    def __init__(self, spark, params: Params, log=print) -> None:
        self.spark = spark
        self.p = params
        self.log = log
        self.maps: dict[str, Any] = {}  # table -> DataFrame(source_id, destination_id), materialised
        self.bases: dict[str, int] | None = None  # table -> highest id in use or reserved
        self.sizes: dict[str, int] = {}  # table -> rows in its id map (this exchange's)
        self.reused: dict[str, int] = {}  # table -> of those, mapped by an earlier run
        self.selected: dict[tuple, Any] = {}  # (table, condition, by) -> the selected rows, materialised
        self.counts: dict[str, dict[str, int]] = {}

    # JDBC -------------------------------------------------------------------
    def reader(self, conn: Connection, columns: list[str] | None = None, schema: str | None = None):
        """A JDBC reader; DATETIME columns among `columns` come as text, and `schema` names column
        types the driver cannot describe (SQLite on literals)."""
        reader = (
            self.spark.read.format("jdbc").options(**conn.options()).option("fetchsize", self.p.fetch_size)
        )
        strings = [c for c in columns or [] if c in DATETIME_COLUMNS]
        if strings or schema:
            reader = reader.option("customSchema", schema or ", ".join(f"{c} STRING" for c in strings))
        return reader

    def read(self, conn: Connection, sql: str, schema: str | None = None):
        """Rows of a query."""
        return _integers(self.reader(conn, schema=schema).option("query", sql).load())

    def read_rows(self, conn: Connection, table: str, columns: list[str], where: str):
        """(rows, how many) of a table under a condition, read in `partitions` id ranges in parallel."""
        t = conn.integer
        bounds = self.read(
            conn,
            f"SELECT CAST(COALESCE(MIN(id), 0) AS {t}) AS lo, CAST(COALESCE(MAX(id), 0) AS {t}) AS hi, "
            f"CAST(COUNT(*) AS {t}) AS n FROM {table} WHERE {where}",
        ).collect()[0]
        reader = self.reader(conn, columns)
        inner = f"(SELECT {', '.join(columns)} FROM {table} WHERE {where}) src"
        if bounds["n"] and bounds["n"] > 50_000 and self.p.partitions > 1:
            reader = (
                reader.option("partitionColumn", "id")
                .option("lowerBound", int(bounds["lo"]))
                .option("upperBound", int(bounds["hi"]) + 1)
                .option("numPartitions", self.p.partitions)
            )
        return _integers(reader.option("dbtable", inner).load()), int(bounds["n"] or 0)

    def write(self, frame, conn: Connection, table: str) -> None:
        # SQLite takes one writer at a time: one partition, one transaction per batch run.
        # Elsewhere as many writers as partitions were read: coalesce, never a shuffle just to write.
        frame = frame.coalesce(1 if conn.sqlite else self.p.partitions)
        writer = (
            frame.write.format("jdbc")
            .options(**conn.options())
            .option("dbtable", table)
            .option("batchsize", self.p.batch_size)
        )
        # Spark asks for READ_UNCOMMITTED unless told; SQLite's driver supports only SERIALIZABLE
        # (its default, which Spark then falls back to with a warning per partition written).
        writer = writer.option("isolationLevel", "SERIALIZABLE" if conn.sqlite else "READ_COMMITTED")
        writer.mode("append").save()

    # Checks -----------------------------------------------------------------
    def check_tables(self) -> None:
        """Every table the copy uses is there, in both databases (one catalogue query each)."""
        for role, conn in (("source", self.p.source), ("destination", self.p.destination)):
            catalogue = (
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                if conn.sqlite
                else "SELECT table_name AS name FROM information_schema.tables "
                "WHERE table_schema = DATABASE()"
            )
            present = {row[0] for row in self.read(conn, catalogue).collect()}
            missing = [t for t in REQUIRED_TABLES if t not in present]
            if missing:
                raise ExchangeInputError(f"The {role} case database has no table {', '.join(missing)}.")

    def selected_exhibits(self):
        frame, _count = self.read_rows(self.p.source, "exhibits", EXHIBIT_COLUMNS, self.p.exhibit_filter())
        frame = frame.localCheckpoint(eager=True)
        if self.p.exhibit_ids:
            found = {row[0] for row in frame.select("id").collect()}
            missing = sorted(set(self.p.exhibit_ids) - found)
            if missing:
                raise ExchangeInputError(f"Exhibits {missing[:20]} are not in case {self.p.source_case_id}.")
        elif frame.isEmpty():
            raise ExchangeInputError(
                f"Label {self.p.label_id} carries no exhibits in case {self.p.source_case_id}."
            )
        return frame

    # Id maps ----------------------------------------------------------------
    def existing_map(self, table: str):
        return self.read(
            self.p.ledger,
            f"SELECT source_id, destination_id FROM {MAP_TABLE} "
            f"WHERE source_case_id = {self.p.source_case_id}"
            f" AND destination_case_id = {self.p.destination_case_id} AND table_name = '{table}'",
        )

    def next_base(self, table: str) -> int:
        """The highest id in use: above both the destination's rows and every id the map reserved
        (a crashed run's too). Read once per run (the exchange lock keeps other exchanges out),
        then advanced by `reserve` as this run allocates."""
        if self.bases is None:
            t = self.p.destination.integer
            in_tables = " UNION ALL ".join(
                f"SELECT '{name}' AS name, CAST(COALESCE(MAX(id), 0) AS {t}) AS v FROM {name}"
                for name in [*NAMED_TABLES, *ORDER]
            )
            rows = self.read(self.p.destination, in_tables, schema="name STRING, v LONG").collect()
            self.bases = {row[0]: int(row[1]) for row in rows}
            reserved = self.read(
                self.p.ledger,
                f"SELECT table_name, CAST(MAX(destination_id) AS {self.p.ledger.integer}) AS v "
                f"FROM {MAP_TABLE} WHERE destination_case_id = {self.p.destination_case_id} "
                "GROUP BY table_name",
                schema="table_name STRING, v LONG",
            ).collect()
            for name, value in reserved:
                self.bases[name] = max(self.bases.get(name, 0), int(value or 0))
        return self.bases[table]

    def reserve(self, table: str, highest: int) -> None:
        self.bases[table] = max(self.bases[table], highest)

    def map_ids(self, table: str, source_ids):
        """(source_id, destination_id, new) for every source id; new ids are recorded before use."""
        from pyspark.sql import functions as F

        # Materialised now: read lazily, it would also see the rows written just below.
        existing = (
            self.existing_map(table).join(source_ids, "source_id", "inner").withColumn("new", F.lit(False))
        )
        existing = existing.localCheckpoint(eager=True)
        reused = existing.count()
        missing = source_ids.join(self.hint(existing.select("source_id"), reused), "source_id", "left_anti")
        base = self.next_base(table)
        fresh = numbered(missing, "source_id", base, "destination_id")
        fresh = fresh.withColumn("new", F.lit(True)).localCheckpoint(eager=True)
        allocated = fresh.count()
        if allocated:
            self.write_map(table, fresh.select("source_id", "destination_id"))
            self.reserve(table, base + allocated)
        mapping = existing.select("source_id", "destination_id", "new").unionByName(
            fresh.select("source_id", "destination_id", "new")
        )
        mapping = mapping.localCheckpoint(eager=True)
        self.maps[table] = mapping.select("source_id", "destination_id")
        self.sizes[table] = reused + allocated
        self.reused[table] = reused
        return mapping

    def hint(self, frame, rows: int):
        """A frame small enough to send whole to every task: joins against it need no shuffle of the
        big side (Spark cannot size a checkpointed frame itself, so it would never broadcast it)."""
        from pyspark.sql import functions as F

        return F.broadcast(frame) if rows <= BROADCAST_ROWS else frame

    # Tables -----------------------------------------------------------------
    def copy_rows(
        self,
        table: str,
        rows,
        remap: dict[str, tuple[str, bool]],
        columns: list[str],
        transform=None,
        mapping=None,
    ) -> None:
        """Insert `rows` with new ids; `remap` is column -> (mapped table, required)."""
        from pyspark.sql import functions as F

        if rows is None:
            return self._skip(table)
        for column, (target, required) in remap.items():
            mapped = self.maps[target].select(
                F.col("source_id").alias(f"_{column}_src"), F.col("destination_id").alias(f"_{column}_dst")
            )
            mapped = self.hint(mapped, self.sizes[target])
            rows = rows.join(
                mapped, rows[column] == mapped[f"_{column}_src"], "inner" if required else "left"
            )
            rows = rows.withColumn(column, F.col(f"_{column}_dst")).drop(f"_{column}_src", f"_{column}_dst")
        rows = rows.localCheckpoint(eager=True)  # remapped once, used twice (ids, rows)
        if mapping is None:
            mapping = self.map_ids(table, rows.select(F.col("id").alias("source_id")))
        if transform is not None:
            rows = transform(rows)
        rows = rows.join(self.hint(mapping.withColumnRenamed("source_id", "id"), self.sizes[table]), "id")
        rows = rows.withColumn("id", F.col("destination_id"))
        # Rows mapped by an earlier (crashed or other) run are inserted only where the destination lacks them.
        reused = mapping.filter(~F.col("new"))
        present = 0
        if self.reused[table]:
            low = reused.agg(F.min("destination_id")).collect()[0][0]
            held = self.read(
                self.p.destination, f"SELECT id FROM {table} WHERE id >= {int(low)}"
            ).withColumnRenamed("id", "destination_id")
            held = held.join(reused.select("destination_id"), "destination_id").localCheckpoint(eager=True)
            present = held.count()
            rows = rows.join(held, "destination_id", "left_anti")
        rows = rows.select(*columns).localCheckpoint(eager=True)
        inserted = rows.count()
        if inserted:
            self.write(rows, self.p.destination, table)
        total = self.sizes[table]
        self.counts[table] = {"selected": total, "inserted": inserted, "already_present": present}
        self.log(f"{table}: {total} selected, {inserted} inserted, {present} already present")

    # Named tables (small: decided on the driver) ----------------------------
    def map_named(
        self, table: str, source_rows: list[dict], dest_rows: list[dict], key, new_row
    ) -> dict[int, int]:
        """Map source rows to the destination row with the same key, creating the missing ones.
        A row the map already holds keeps its destination id (re-created if a crash lost it)."""
        known = {r["source_id"]: r["destination_id"] for r in self.existing_map(table).collect()}
        dest_ids = {r["id"] for r in dest_rows}
        by_key: dict[Any, int] = {}
        for row in sorted(dest_rows, key=lambda r: r["id"]):
            by_key.setdefault(key(row, dest_rows), row["id"])
        base = self.next_base(table)
        decided: dict[int, int] = {}
        create: list[tuple[dict, int]] = []
        for row in source_rows:
            k = key(row, source_rows)
            if row["id"] in known:
                decided[row["id"]] = known[row["id"]]
            elif k in by_key:
                decided[row["id"]] = by_key[k]
            else:
                base += 1
                decided[row["id"]] = by_key[k] = base
            if decided[row["id"]] not in dest_ids:
                dest_ids.add(decided[row["id"]])
                create.append((row, decided[row["id"]]))
        self.reserve(table, base)
        fresh = [(s, d) for s, d in decided.items() if s not in known]
        if fresh:
            self.write_map(table, self.spark.createDataFrame(fresh, MAP_SCHEMA))
        created = [new_row(row, dest_id, decided) for row, dest_id in sorted(create, key=lambda c: c[1])]
        if created:
            self.write(self.spark.createDataFrame(created, NAMED_SCHEMAS[table]), self.p.destination, table)
        self.maps[table] = self.spark.createDataFrame(list(decided.items()), MAP_SCHEMA).localCheckpoint(
            eager=True
        )
        self.sizes[table] = len(decided)
        self.counts[table] = {
            "selected": len(source_rows),
            "inserted": len(created),
            "already_present": len(source_rows) - len(created),
        }
        self.log(f"{table}: {len(source_rows)} used, {len(created)} created")
        return decided

    def write_map(self, table: str, pairs) -> None:
        from pyspark.sql import functions as F

        self.write(
            pairs.select(
                F.lit(self.p.source_case_id).cast("long").alias("source_case_id"),
                F.lit(self.p.destination_case_id).cast("long").alias("destination_case_id"),
                F.lit(table).alias("table_name"),
                "source_id",
                "destination_id",
                F.lit(self.p.exchange_id).alias("exchange_id"),
            ),
            self.p.ledger,
            MAP_TABLE,
        )

    def collect(self, conn: Connection, sql: str) -> list[dict]:
        return [row.asDict() for row in self.read(conn, sql).collect()]

    def copy_named_tables(self, sel: Selection) -> dict[int, int]:
        """Custodians, label categories, folder tags, custom fields (by name) and confidentiality
        codes (by code); returns the source -> destination confidentiality bit map."""
        src, dst = self.p.source, self.p.destination

        def name(row, _rows):
            return row["name"].strip()

        def plain(row, dest_id, _decided):
            return (dest_id, *(v for k, v in row.items() if k != "id"))

        custodians = self.used_ids(sel, "custodian_exhibits", "custodian_id")
        self.map_named(
            "custodians",
            self.collect(src, f"SELECT id, name FROM custodians WHERE {_in('id', custodians)}"),
            self.collect(dst, "SELECT id, name FROM custodians"),
            name,
            plain,
        )
        labels = self.used_ids(sel, "label_category_labels", "label_category_id") + (
            [self.p.label_id] if self.p.label_id else []
        )
        self.map_named(
            "label_categories",
            self.collect(
                src, f"SELECT id, name FROM label_categories WHERE {_in('id', sorted(set(labels)))}"
            ),
            self.collect(dst, "SELECT id, name FROM label_categories"),
            name,
            plain,
        )
        self.map_folder_tags(sel)
        fields = self.used_ids(sel, "custom_field_values", "custom_field_id")
        self.map_named(
            "custom_fields",
            self.collect(src, f"SELECT id, name, field_type FROM custom_fields WHERE {_in('id', fields)}"),
            self.collect(dst, "SELECT id, name, field_type FROM custom_fields"),
            name,
            plain,
        )
        return self.map_codes()

    def selected_rows(
        self, sel: Selection, table: str, columns: list[str], where: str = "1 = 1", by: str = "exhibit_id"
    ):
        """The rows of a table that hang on the selected exhibits (or documents: `by="document_id"`),
        materialised once per run (a link table serves both its named table and its own copy);
        None when there are none."""
        key = (table, where, by)
        if key not in self.selected:
            keys = sel.exhibits if by == "exhibit_id" else sel.documents
            sql_filter = sel.exhibit_where(by) if by == "exhibit_id" else sel.document_where(by)
            rows, count = self.read_rows(self.p.source, table, columns, f"{sql_filter} AND {where}")
            if count:  # an empty table costs one query, not a dozen Spark jobs
                rows = rows.join(
                    self.hint(keys.withColumnRenamed(keys.columns[0], by), sel.count), by, "left_semi"
                )
                rows = rows.localCheckpoint(eager=True)
            self.selected[key] = rows if count and not rows.isEmpty() else None
        return self.selected[key]

    def used_ids(self, sel: Selection, link_table: str, column: str) -> list[int]:
        """Ids of a named table that the selected exhibits use (through a link table)."""
        rows = self.selected_rows(sel, link_table, EXHIBIT_CHILDREN[link_table])
        return (
            []
            if rows is None
            else sorted(r[0] for r in rows.select(column).distinct().collect() if r[0] is not None)
        )

    def map_folder_tags(self, sel: Selection) -> None:
        """Folder tags are matched by their path of names (root first), so a tag keeps its place."""
        source_all = {
            r["id"]: r for r in self.collect(self.p.source, "SELECT id, name, parent_id FROM folder_tags")
        }
        used = self.used_ids(sel, "folder_taggings", "folder_tag_id")
        wanted: set[int] = set()
        for tag in used:  # a tag brings its ancestors, so the hierarchy holds in the destination
            while tag in source_all and tag not in wanted:
                wanted.add(tag)
                tag = source_all[tag]["parent_id"]
        rows = sorted((source_all[t] for t in wanted), key=lambda r: len(_path(r, source_all)))
        indexes: dict[int, dict[int, dict]] = {}

        def key(row, rows_):
            index = indexes.setdefault(id(rows_), {r["id"]: r for r in rows_})
            return _path(row, index)

        def new_tag(row, dest_id, decided):
            return (
                dest_id,
                row["name"],
                decided.get(row["parent_id"]) if row["parent_id"] is not None else None,
            )

        self.map_named(
            "folder_tags",
            rows,
            self.collect(self.p.destination, "SELECT id, name, parent_id FROM folder_tags"),
            key,
            new_tag,
        )

    def map_codes(self) -> dict[int, int]:
        """Codes by code name; a code the destination lacks is created with its lowest free bit,
        so no confidentiality designation is lost."""
        source = self.collect(self.p.source, "SELECT id, code, description, bit FROM confidentiality_codes")
        dest = self.collect(
            self.p.destination, "SELECT id, code, description, bit FROM confidentiality_codes"
        )
        taken = {int(r["bit"]) for r in dest}
        bits: dict[str, int] = {r["code"].strip(): int(r["bit"]) for r in dest}

        def new_code(row, dest_id, _decided):
            code = row["code"].strip()
            if code not in bits:
                bit = next((1 << k for k in range(31) if 1 << k not in taken), None)
                if bit is None:
                    raise ExchangeInputError(
                        f"Case {self.p.destination_case_id} has no free confidentiality bit for {code!r}."
                    )
                taken.add(bit)
                bits[code] = bit
            return dest_id, row["code"], row["description"], bits[code]

        self.map_named(
            "confidentiality_codes", source, dest, lambda row, _rows: row["code"].strip(), new_code
        )
        return {int(r["bit"]): bits[r["code"].strip()] for r in source}

    # The whole copy ---------------------------------------------------------
    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        self.check_tables()
        exhibits = self.selected_exhibits()
        sel = Selection(exhibits)
        bits = self.copy_named_tables(sel)
        self.copy_documents(sel)
        self.copy_exhibits(exhibits, bits)
        self.copy_variants(sel)
        for table, columns in EXHIBIT_CHILDREN.items():
            self.copy_child(table, columns, sel, bits)
        return {
            "exchange_id": self.p.exchange_id,
            "tables": self.counts,
            "seconds": round(time.monotonic() - started, 3),
        }

    def copy_documents(self, sel: Selection) -> None:
        from pyspark.sql import functions as F

        rows = self.selected_rows(sel, "documents", DOCUMENT_COLUMNS, by="id")
        self.copy_rows(
            "documents",
            rows,
            {},
            DOCUMENT_COLUMNS,
            transform=lambda r: r.withColumn("document_properties", F.lit(None).cast("string")),
        )

    def copy_exhibits(self, exhibits, bits: dict[int, int]) -> None:
        from pyspark.sql import functions as F

        from_ids = exhibits.select(F.col("id").alias("source_id"))
        # Parents first need their own ids: map every selected exhibit, then remap the family links.
        mapping = self.map_ids("exhibits", from_ids)

        def transform(rows):
            rows = rows.withColumn("number", F.col("_source_exhibit_id"))
            return rows.withColumn(
                "confidentiality_status", remap_bits(F.col("confidentiality_status"), bits)
            )

        rows = exhibits.withColumn("_source_exhibit_id", F.col("id").cast("long"))
        columns = EXHIBIT_COLUMNS
        self.copy_rows(
            "exhibits",
            rows,
            {"document_id": ("documents", True), "parent_exhibit_id": ("exhibits", False)},
            columns,
            transform,
            mapping,
        )

    def copy_variants(self, sel: Selection) -> None:
        from pyspark.sql import functions as F

        where = "kind <> 'native'" if not self.p.include_natives else "1 = 1"
        rows = self.selected_rows(sel, "document_variants", VARIANT_COLUMNS, where, by="document_id")
        if rows is None:
            return self._skip("document_variants")
        rows = rows.withColumn("_source_document_id", F.col("document_id").cast("long"))

        def transform(r):
            return r.withColumn(
                "object_key",
                variant_key(
                    F.col("object_key"), F.col("_source_document_id"), F.col("document_id"), F.col("id")
                ),
            )

        self.copy_rows(
            "document_variants", rows, {"document_id": ("documents", True)}, VARIANT_COLUMNS, transform
        )

    def copy_child(self, table: str, columns: list[str], sel: Selection, bits: dict[int, int]) -> None:
        from pyspark.sql import functions as F

        where = "1 = 1"
        remap = {"exhibit_id": ("exhibits", True)}
        transform = None
        if table == "annotations":
            if not self.p.annotation_types:
                return self._skip(table)
            where += f" AND annotation_type IN ({_quoted(self.p.annotation_types)})"
            # Thread roots are annotations too: map them all first, then point replies at the copies.
            rows = self.selected_rows(sel, table, columns, where)
            if rows is None:
                return self._skip(table)
            mapping = self.map_ids(table, rows.select(F.col("id").alias("source_id")))
            remap["parent_id"] = (table, False)

            def transform(r):
                return r.withColumn("image_key", sticker_key(F.col("image_key"), self.p.source_case_id))

            return self.copy_rows(table, rows, remap, columns, transform, mapping)
        if table == "stamp_details":
            if not self.p.stamp_types:
                return self._skip(table)
            where += f" AND stamp_type IN ({_quoted(self.p.stamp_types)})"

            def transform(r):  # a pattern is the source case's: the copy keeps its text and number only
                return r.withColumn("bates_pattern_id", F.lit(None).cast("long"))

        if table == "confidentiality_logs":

            def transform(r):
                return r.withColumn("old_status", remap_bits(F.col("old_status"), bits)).withColumn(
                    "new_status", remap_bits(F.col("new_status"), bits)
                )

        named = {
            "custodian_id": "custodians",
            "label_category_id": "label_categories",
            "folder_tag_id": "folder_tags",
            "custom_field_id": "custom_fields",
        }
        remap.update({c: (named[c], True) for c in columns if c in named})
        self.copy_rows(table, self.selected_rows(sel, table, columns, where), remap, columns, transform)

    def _skip(self, table: str) -> None:
        self.counts[table] = {"selected": 0, "inserted": 0, "already_present": 0}
        self.log(f"{table}: nothing selected")


def numbered(frame, order: str, base: int, column: str):
    """`frame` with `column` = base + the row's place (1, 2, ...) in `order`: what row_number() over
    Window.orderBy(order) gives, without a window that pulls every row into one partition.

    A global sort leaves ranges of `order` in partition order, each sorted; a row's place is the
    count of rows in the partitions before its own plus its place within its own, which
    monotonically_increasing_id() holds in its low 33 bits (the partition id is above them).
    """
    from pyspark.sql import functions as F

    part = F.spark_partition_id().cast("long")
    ordered = frame.orderBy(order).withColumns(
        {"_part": part, "_at": F.monotonically_increasing_id() - F.shiftleft(part, 33)}
    )
    ordered = ordered.localCheckpoint(eager=True)  # the positions of this one evaluation, fixed
    sizes = sorted(tuple(row) for row in ordered.groupBy("_part").count().collect())
    if not sizes:
        return ordered.drop("_part", "_at").withColumn(column, F.lit(None).cast("long"))
    starts, total = [], base + 1
    for partition, size in sizes:
        starts += [F.lit(partition).cast("long"), F.lit(total).cast("long")]
        total += size
    start = F.element_at(F.create_map(*starts), F.col("_part"))
    return ordered.withColumn(column, (start + F.col("_at")).cast("long")).drop("_part", "_at")


def _integers(frame):
    """SQLite's driver describes some integer columns as DECIMAL: every whole-number column is a long."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DecimalType

    fixes = {
        f.name: F.col(f.name).cast("long")
        for f in frame.schema.fields
        if isinstance(f.dataType, DecimalType) and f.dataType.scale == 0
    }
    return frame.withColumns(fixes) if fixes else frame


def _path(row: dict, rows_by_id: dict) -> tuple[str, ...]:
    names, seen = [], set()
    while row is not None and row["id"] not in seen:
        seen.add(row["id"])
        names.append(row["name"].strip())
        row = rows_by_id.get(row["parent_id"]) if row["parent_id"] is not None else None
    return tuple(reversed(names))


def remap_bits(column, bits: dict[int, int]):
    """A confidentiality mask with each source bit replaced by the destination's bit of that code."""
    from pyspark.sql import functions as F

    result = F.lit(0)
    for source_bit, dest_bit in sorted(bits.items()):
        result = result.bitwiseOR(
            F.when(column.bitwiseAND(F.lit(source_bit)) != 0, F.lit(dest_bit)).otherwise(F.lit(0))
        )
    return result.cast("int")


def variant_key(key, source_document_id, document_id, variant_id):
    """documents/{source id}/x -> documents/{destination id}/x; any other key goes under the copy's folder."""
    from pyspark.sql import functions as F

    prefix = F.concat(F.lit("documents/"), source_document_id.cast("string"), F.lit("/"))
    own = F.concat(F.lit("documents/"), document_id.cast("string"), F.lit("/"))
    rest = key.substr(F.length(prefix) + 1, F.length(key))
    basename = F.regexp_extract(key, r"([^/]+)$", 1)
    return F.when(key.startswith(prefix), F.concat(own, rest)).otherwise(
        F.concat(own, F.lit("exchanged/"), variant_id.cast("string"), F.lit("-"), basename)
    )


def sticker_key(key, source_case_id: int):
    """Sticker images of another case live under their own folder, so no destination image is overwritten."""
    from pyspark.sql import functions as F

    return F.when(key.isNull(), key).otherwise(
        F.concat(F.lit(f"annotations/exchanged/case_{int(source_case_id)}/"), key)
    )


#: Spark's log configuration, beside this script (not on AWS Glue, which keeps its own).
LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "OFF")


def log_java_options(log_file: str | None = None, console_level: str | None = None) -> str | None:
    """Driver JVM options that load LOG_CONFIG: Spark's full log to `log_file` (NP_SPARK_LOG_FILE, else
    nextpoint-spark.log in the temporary folder), to the console only what reaches `console_level`
    (NP_SPARK_LOG_LEVEL, else ERROR). None where the configuration is not beside the script."""
    if not LOG_CONFIG.is_file():
        return None
    path = Path(
        log_file or os.environ.get("NP_SPARK_LOG_FILE") or Path(tempfile.gettempdir()) / "nextpoint-spark.log"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    level = (console_level or os.environ.get("NP_SPARK_LOG_LEVEL") or "ERROR").upper()
    if level not in LOG_LEVELS:
        raise ExchangeInputError(f"NP_SPARK_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}.")
    # Spark splits these options at spaces outside double quotes.
    return (
        f'"-Dlog4j2.configurationFile={LOG_CONFIG.resolve().as_uri()}" '
        f'"-Dnp.spark.log.file={path.resolve()}" -Dnp.spark.console.level={level}'
    )


def spark_session(master: str | None = None, jars: str | None = None, log_file: str | None = None):
    """A Spark session for the copy; the JVM's options (memory, logging) apply when it starts here."""
    from pyspark.sql import SparkSession

    # Python workers (createDataFrame) must be this interpreter, not whatever `python3` is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("nextpoint-exchange")
    if master:
        builder = builder.master(master)
    if jars:
        builder = builder.config("spark.jars", jars)
    java_options = log_java_options(log_file)
    if java_options:
        builder = builder.config("spark.driver.extraJavaOptions", java_options)
    # Local mode on a small machine: few shuffle partitions, no UI, UTC everywhere.
    return (
        builder.config("spark.sql.shuffle.partitions", os.environ.get("NP_SPARK_SHUFFLE_PARTITIONS", "8"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", os.environ.get("NP_SPARK_DRIVER_MEMORY", "2g"))
        .getOrCreate()
    )


def run_copy(spark, params: dict[str, Any] | Params, log=print) -> dict[str, Any]:
    return Copier(spark, params if isinstance(params, Params) else Params.from_json(params), log).run()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--params", help="JSON parameters or @file (under Dagster Pipes they come from the extras)"
    )
    args, _unknown = parser.parse_known_args(argv)
    started = time.monotonic()
    with _pipes() as pipes:
        log = pipes.log.info if pipes else (lambda m: print(m, file=sys.stderr))
        params = Params.from_json(pipes.get_extra("params") if pipes else _load(args.params))
        spark = spark_session(os.environ.get("NP_SPARK_MASTER"), os.environ.get("NP_SPARK_JARS"))
        if not LOG_CONFIG.is_file():  # AWS Glue: its logging, at most warnings from Spark
            spark.sparkContext.setLogLevel(os.environ.get("NP_SPARK_LOG_LEVEL", "WARN"))
        spark_seconds = round(time.monotonic() - started, 3)
        result = run_copy(spark, params, log)
        result["spark_start_seconds"] = spark_seconds
        if pipes:
            pipes.report_asset_materialization(metadata={"copy": {"raw_value": result, "type": "json"}})
        print(json.dumps(result))
    return 0


def _load(value: str | None) -> dict[str, Any]:
    if not value:
        raise ExchangeInputError("No --params given.")
    if value.startswith("@"):
        with open(value[1:], encoding="utf-8") as handle:
            return json.load(handle)
    return json.loads(value)


def _pipes():
    """The Pipes context when Dagster launched this script (a subprocess: environment; AWS Glue:
    command-line arguments and context from S3, messages read back from CloudWatch), else an empty one."""
    import contextlib

    try:
        import dagster_pipes as pipes
    except ImportError:
        return contextlib.nullcontext(None)
    if pipes.PipesEnvVarParamsLoader().is_dagster_pipes_process():
        return pipes.open_dagster_pipes()
    if pipes.PipesCliArgsParamsLoader().is_dagster_pipes_process():  # pragma: no cover - AWS Glue
        import boto3

        return pipes.open_dagster_pipes(
            context_loader=pipes.PipesS3ContextLoader(client=boto3.client("s3")),
            params_loader=pipes.PipesCliArgsParamsLoader(),
        )
    return contextlib.nullcontext(None)


if __name__ == "__main__":
    sys.exit(main())
