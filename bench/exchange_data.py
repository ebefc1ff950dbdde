"""The exchange benchmark's server and data: connections to the bench MariaDB, a source case
of N exhibits made by the server itself, and two destinations that already hold exhibits."""

from __future__ import annotations

import os

from glue_scripts.exchange_copy import EXHIBIT_CHILDREN

SOURCE_CASE, SPARK_CASE, SQL_CASE = 1, 2, 3
DESTINATIONS = {"spark": SPARK_CASE, "pure_sql": SQL_CASE}
PREFIX, PLATFORM_DB, CORE_DB = "npbench_case", "npbench_platform", "npbench_core"
EXCHANGE_LABEL = 1  # the label every source exhibit carries: the selection
EXISTING = 1_000  # exhibits (and documents) the destinations hold before the copy

# (table, columns): what hangs on an exhibit, as the Spark script copies it (no markup in this bench).
CHILDREN = {t: c for t, c in EXHIBIT_CHILDREN.items() if t not in ("annotations", "stamp_details")}
NAMED_FKS = {
    "custodian_id": "custodians",
    "label_category_id": "label_categories",
    "folder_tag_id": "folder_tags",
    "custom_field_id": "custom_fields",
}
NAMED = ["custodians", "label_categories", "folder_tags", "custom_fields", "confidentiality_codes"]
BULK = ["documents", "exhibits", "document_variants", *CHILDREN]
TABLES = [*NAMED, *BULK]


def db_config(args: dict):
    from resources.dagster_resources import DatabaseResource

    return DatabaseResource(
        backend="mysql",
        host=args["host"],
        port=int(args["port"]),
        user=args["user"],
        password=os.environ.get("NP_DB_PASSWORD"),
        name_prefix=PREFIX,
        core_db_name=CORE_DB,
        platform_db_name=PLATFORM_DB,
    )


def use_env(args: dict) -> None:
    """This process points the platform at the bench server, as tests/conftest.py mysql_env does."""
    os.environ.update(
        {
            "NP_DB_BACKEND": "mysql",
            "NP_DB_HOST": args["host"],
            "NP_DB_PORT": str(args["port"]),
            "NP_DB_USER": args["user"],
            "NP_DB_NAME_PREFIX": PREFIX,
            "NP_CORE_DB_NAME": CORE_DB,
            "NP_PLATFORM_DB_NAME": PLATFORM_DB,
        }
    )


def connect(args: dict, database: str | None = None):
    import pymysql

    return pymysql.connect(
        host=args["host"],
        port=int(args["port"]),
        user=args["user"],
        password=os.environ["NP_DB_PASSWORD"],
        database=database,
        autocommit=True,
        charset="utf8mb4",
    )


def db_name(case_id: int) -> str:
    return f"{PREFIX}_{case_id}"


def make_source(args: dict, n: int) -> None:
    """n exhibits, n documents and 5n child rows, made by the server from its seq_1_to_n table."""
    statements = [
        "INSERT INTO custodians (id, name) VALUES (1, 'Alice Adams'), (2, 'Bob Brown'), (3, 'Carol Chen'), "
        "(4, 'Dan Diaz'), (5, 'Eve Evans')",
        f"INSERT INTO label_categories (id, name) VALUES ({EXCHANGE_LABEL}, 'Exchange to co-counsel'), (2, "
        "'Hot'), (3, 'Reviewed')",
        "INSERT INTO custom_fields (id, name, field_type) VALUES (1, 'Matter', 'text'), (2, 'Review batch', "
        "'text'), (3, 'Issue', 'text')",
        "INSERT INTO confidentiality_codes (id, code, description, bit) VALUES (1, 'CONFIDENTIAL', "
        "'Confidential', 1), "
        "(2, 'HIGHLY CONFIDENTIAL', 'Highly confidential', 2), (3, 'ATTORNEYS EYES ONLY', 'AEO', 4)",
        "INSERT INTO documents (id, batch_id, filename, file_extension, md5, document_properties, "
        "created_at, updated_at) "
        f"SELECT seq, 1 + seq DIV 1000, CONCAT('DOC-', LPAD(seq, 8, '0'), '.pdf'), 'pdf', MD5(seq), "
        f"CONCAT('{{\"pages\": ', seq % 37 + 1, ', \"custodian\": \"bench\"}}'), '2024-01-01' + INTERVAL "
        "seq SECOND, '2024-02-01' "
        f"FROM seq_1_to_{n}",
        # Every tenth exhibit is an attachment of the one before it; confidentiality uses all three bits.
        "INSERT INTO exhibits (id, document_id, parent_exhibit_id, control_number, title, author, "
        "date_sent, page_count, "
        "bates_begin, bates_end, confidentiality_status, number, created_at, updated_at) "
        "SELECT seq, seq, IF(seq % 10 = 0, seq - 1, NULL), CONCAT('CTRL-', LPAD(seq, 8, '0')), CONCAT('Memo "
        "about item ', seq), "
        "'Bench Author', '2023-06-01' + INTERVAL seq MINUTE, seq % 37 + 1, CONCAT('ACME', LPAD(seq, 7, "
        "'0')), "
        "CONCAT('ACME', LPAD(seq, 7, '0')), seq % 8, 500000 + seq, '2024-01-01' + INTERVAL seq SECOND, "
        f"'2024-02-01' FROM seq_1_to_{n}",
        # A native (one in fifty stored outside documents/{id}/) and a rendition per document.
        "INSERT INTO document_variants (id, document_id, kind, object_key, bytes) "
        "SELECT 2 * seq - 1, seq, 'native', IF(seq % 50 = 0, CONCAT('imports/batch_', seq DIV 1000, '/', "
        "seq, '.msg'), "
        f"CONCAT('documents/', seq, '/native.pdf')), 1000 + seq FROM seq_1_to_{n}",
        "INSERT INTO document_variants (id, document_id, kind, object_key, bytes) "
        "SELECT 2 * seq, seq, 'rendition', CONCAT('documents/', seq, '/rendition.pdf'), 2000 + seq FROM "
        f"seq_1_to_{n}",
        "INSERT INTO custodian_exhibits (id, custodian_id, exhibit_id) SELECT seq, seq % 5 + 1, seq FROM "
        f"seq_1_to_{n}",
        "INSERT INTO label_category_labels (id, label_category_id, exhibit_id) SELECT seq, "
        f"{EXCHANGE_LABEL}, seq FROM seq_1_to_{n}",
        "INSERT INTO custom_field_values (id, custom_field_id, exhibit_id, value) "
        f"SELECT seq, seq % 3 + 1, seq, CONCAT('value ', seq) FROM seq_1_to_{n}",
    ]
    with connect(args, db_name(SOURCE_CASE)) as conn, conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)
        for table in BULK:
            cur.execute(f"ANALYZE TABLE {table}")
            cur.fetchall()


def make_destination(args: dict, case_id: int) -> None:
    """1,000 exhibits of its own; one custodian, label and field named as the source's; codes with
    swapped bits."""
    k = EXISTING
    statements = [
        "INSERT INTO custodians (id, name) VALUES (1, 'Alice Adams'), (2, 'Zed Zulu')",
        "INSERT INTO label_categories (id, name) VALUES (1, 'Hot'), (2, 'Privileged review')",
        "INSERT INTO custom_fields (id, name, field_type) VALUES (1, 'Issue', 'text')",
        "INSERT INTO confidentiality_codes (id, code, description, bit) VALUES (1, 'HIGHLY CONFIDENTIAL', "
        "'HC', 1), "
        "(2, 'CONFIDENTIAL', 'C', 2), (3, 'PRIVILEGED', 'P', 4)",
        "INSERT INTO documents (id, batch_id, filename, file_extension, md5, document_properties, "
        "created_at, updated_at) "
        "SELECT seq, 1, CONCAT('OWN-', seq, '.pdf'), 'pdf', MD5(-seq), NULL, '2023-01-01', '2023-01-01' "
        f"FROM seq_1_to_{k}",
        "INSERT INTO exhibits (id, document_id, control_number, confidentiality_status, number, created_at, "
        "updated_at) "
        f"SELECT seq, seq, CONCAT('OWN-', seq), seq % 8, seq, '2023-01-01', '2023-01-01' FROM seq_1_to_{k}",
        "INSERT INTO document_variants (id, document_id, kind, object_key, bytes) "
        "SELECT seq, (seq + 1) DIV 2, IF(seq % 2, 'native', 'rendition'), CONCAT('documents/', (seq + 1) "
        "DIV 2, '/v', seq), seq "
        f"FROM seq_1_to_{2 * k}",
        f"INSERT INTO custodian_exhibits (id, custodian_id, exhibit_id) SELECT seq, 2, seq FROM seq_1_to_{k}",
        "INSERT INTO label_category_labels (id, label_category_id, exhibit_id) SELECT seq, 1, seq FROM "
        f"seq_1_to_{k}",
        "INSERT INTO custom_field_values (id, custom_field_id, exhibit_id, value) SELECT seq, 1, seq, "
        f"'own' FROM seq_1_to_{k}",
    ]
    with connect(args, db_name(case_id)) as conn, conn.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def counts(args: dict, database: str) -> dict[str, int]:
    with connect(args, database) as conn, conn.cursor() as cur:
        result = {}
        for table in TABLES:
            cur.execute(f"SELECT COUNT(*) FROM {table}")
            result[table] = cur.fetchone()[0]
        return result
