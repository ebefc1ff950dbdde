"""SQLAlchemy tables of the databases the platform reads and writes (docs/interfaces/*.sql).

One definition serves SQLite (embedded default) and MySQL/MariaDB: ids are
BIGINT AUTO_INCREMENT on MySQL and INTEGER PRIMARY KEY (rowid) on SQLite.
tests/test_schema_contract.py checks these tables against those documents.
Kept in one module although it passes 400 lines: it is declarations only (four MetaData, one per
database), and one file lets a reader see every table the platform touches side by side.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

_ID = BigInteger().with_variant(Integer(), "sqlite")
_TEXT = Text()


def _id() -> Column:
    return Column("id", _ID, primary_key=True, autoincrement=True)


def _ref(name: str, nullable: bool = False) -> Column:
    return Column(name, BigInteger, nullable=nullable)


case_metadata = MetaData()

custodians = Table("custodians", case_metadata, _id(), Column("name", String(255), nullable=False))

documents = Table(
    "documents",
    case_metadata,
    _id(),
    _ref("batch_id"),
    Column("filename", String(1024), nullable=False),
    Column("file_extension", String(32)),
    Column("md5", String(32)),
    Column("document_properties", _TEXT),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

document_variants = Table(
    "document_variants",
    case_metadata,
    _id(),
    _ref("document_id"),
    Column("kind", String(16), nullable=False),
    Column("object_key", String(1024), nullable=False),
    Column("bytes", BigInteger),
)

exhibits = Table(
    "exhibits",
    case_metadata,
    _id(),
    _ref("document_id"),
    _ref("parent_exhibit_id", nullable=True),
    Column("control_number", String(64)),
    Column("title", String(1024)),
    Column("author", String(255)),
    Column("date_sent", DateTime),
    Column("page_count", Integer),
    Column("bates_begin", String(64)),
    Column("bates_end", String(64)),
    Column("confidentiality_status", Integer, nullable=False, server_default="0"),
    Column("number", BigInteger),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

custodian_exhibits = Table(
    "custodian_exhibits", case_metadata, _id(), _ref("custodian_id"), _ref("exhibit_id")
)

confidentiality_codes = Table(
    "confidentiality_codes",
    case_metadata,
    _id(),
    Column("code", String(64), nullable=False),
    Column("description", String(255)),
    Column("bit", Integer, nullable=False),
)

confidentiality_logs = Table(
    "confidentiality_logs",
    case_metadata,
    _id(),
    _ref("exhibit_id"),
    _ref("user_id"),
    Column("old_status", Integer, nullable=False),
    Column("new_status", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
)

relevancy_logs = Table(
    "relevancy_logs",
    case_metadata,
    _id(),
    _ref("exhibit_id"),
    _ref("user_id"),
    Column("relevancy", String(32), nullable=False),
    Column("note", _TEXT),
    Column("created_at", DateTime, nullable=False),
)

privilege_logs = Table(
    "privilege_logs",
    case_metadata,
    _id(),
    _ref("exhibit_id"),
    _ref("user_id"),
    Column("privilege_type", String(64), nullable=False),
    Column("basis", _TEXT),
    Column("description", _TEXT),
    Column("created_at", DateTime, nullable=False),
)

label_categories = Table(
    "label_categories", case_metadata, _id(), Column("name", String(255), nullable=False)
)

label_category_labels = Table(
    "label_category_labels", case_metadata, _id(), _ref("label_category_id"), _ref("exhibit_id")
)

folder_tags = Table(
    "folder_tags",
    case_metadata,
    _id(),
    Column("name", String(255), nullable=False),
    _ref("parent_id", nullable=True),
)

folder_taggings = Table("folder_taggings", case_metadata, _id(), _ref("folder_tag_id"), _ref("exhibit_id"))

custom_fields = Table(
    "custom_fields",
    case_metadata,
    _id(),
    Column("name", String(255), nullable=False),
    Column("field_type", String(32), nullable=False),
)

custom_field_values = Table(
    "custom_field_values",
    case_metadata,
    _id(),
    _ref("custom_field_id"),
    _ref("exhibit_id"),
    Column("value", _TEXT),
)

annotations = Table(
    "annotations",
    case_metadata,
    _id(),
    _ref("exhibit_id"),
    Column("page_number", Integer, nullable=False),
    Column("annotation_type", String(32), nullable=False),
    Column("rect", String(255), nullable=False),
    Column("content", _TEXT),
    Column("image_key", String(1024)),
    _ref("parent_id", nullable=True),
    _ref("user_id", nullable=True),
    Column("created_at", DateTime, nullable=False),
)

bates_patterns = Table(
    "bates_patterns",
    case_metadata,
    _id(),
    Column("prefix", String(32), nullable=False),
    Column("suffix", String(32), nullable=False, server_default=""),
    Column("padding", Integer, nullable=False, server_default="7"),
    Column("next_number", BigInteger, nullable=False, server_default="1"),
)

stamp_details = Table(
    "stamp_details",
    case_metadata,
    _id(),
    _ref("exhibit_id"),
    Column("page_number", Integer, nullable=False),
    Column("stamp_type", String(32), nullable=False),
    Column("text", String(255), nullable=False),
    Column("position", String(32), nullable=False),
    _ref("bates_pattern_id", nullable=True),
    Column("bates_number", BigInteger),
    Column("created_at", DateTime, nullable=False),
)

depositions = Table(
    "depositions",
    case_metadata,
    _id(),
    Column("name", String(255), nullable=False),
    Column("deponent", String(255)),
    Column("taken_on", Date),
)

deposition_volumes = Table(
    "deposition_volumes",
    case_metadata,
    _id(),
    _ref("deposition_id"),
    Column("volume_number", Integer, nullable=False),
    Column("page_count", Integer),
    Column("court_reporter", String(255)),
    Column("transcript_key", String(1024)),
    Column("taken_on", Date),
)

deposition_designations = Table(
    "deposition_designations",
    case_metadata,
    _id(),
    _ref("deposition_id"),
    _ref("label_category_id"),
    Column("page_start", Integer, nullable=False),
    Column("line_start", Integer, nullable=False),
    Column("page_end", Integer, nullable=False),
    Column("line_end", Integer, nullable=False),
)


core_metadata = MetaData()

accounts = Table("accounts", core_metadata, _id(), Column("name", String(255), nullable=False))

npcases = Table(
    "npcases",
    core_metadata,
    _id(),
    _ref("account_id"),
    Column("name", String(255), nullable=False),
    Column("status", String(32), nullable=False),
    Column("region", String(8), nullable=False),
    Column("created_at", DateTime, nullable=False),
)

users = Table(
    "users",
    core_metadata,
    _id(),
    _ref("account_id"),
    Column("email", String(255), nullable=False),
    Column("name", String(255)),
)

user_activities = Table(
    "user_activities",
    core_metadata,
    _id(),
    _ref("user_id"),
    _ref("npcase_id"),
    Column("action", String(64), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("details", _TEXT),
)


# The export manifest is always SQLite (made by the backend): plain SQLite types.
manifest_metadata = MetaData()

manifest_export = Table(
    "export",
    manifest_metadata,
    Column("export_id", Integer, nullable=False),
    Column("case_id", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("image_format", Text, nullable=False),
    Column("color_mode", Text, nullable=False, server_default="auto"),
    Column("native_inclusion", Text, nullable=False, server_default="none"),
    Column("text_mode", Text, nullable=False, server_default="extracted_then_ocr"),
    Column("numbering", Text, nullable=False, server_default="bates"),
    Column("bates_prefix", Text),
    Column("bates_start", Integer, server_default="1"),
    Column("bates_padding", Integer, server_default="7"),
    Column("endorse_bates", Text),
    Column("endorse_confidentiality", Text),
    Column("volume_prefix", Text, nullable=False, server_default="VOL"),
    Column("images_per_folder", Integer, nullable=False, server_default="1000"),
    Column("loadfiles", Text, nullable=False, server_default="dat,opt"),
    Column("dat_fields", Text),
    Column("split_bytes", Integer, nullable=False, server_default="21474836480"),
    Column("expansive_pdf", Integer, nullable=False, server_default="0"),
)

manifest_exhibits = Table(
    "exhibits",
    manifest_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("document_id", Integer, nullable=False),
    Column("parent_exhibit_id", Integer),
    Column("control_number", Text),
    Column("filename", Text, nullable=False),
    Column("file_extension", Text),
    Column("md5", Text),
    Column("title", Text),
    Column("author", Text),
    Column("custodian", Text),
    Column("date_sent", Text),
    Column("page_count", Integer),
    Column("pdf_key", Text),
    Column("native_key", Text),
    Column("text_key", Text),
    Column("confidentiality", Text),
)

manifest_exhibits_for_export = Table(
    "exhibits_for_export",
    manifest_metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("exhibit_id", Integer, nullable=False),
    Column("volume", Integer, nullable=False),
    Column("bates_begin", Text),
    Column("produce_native", Integer, nullable=False, server_default="0"),
    Column("withheld", Integer, nullable=False, server_default="0"),
)

manifest_redactions = Table(
    "redactions",
    manifest_metadata,
    Column("exhibit_id", Integer, nullable=False),
    Column("page_number", Integer, nullable=False),
    Column("rect", Text, nullable=False),
    Column("label", Text),
)


# The platform's own database (not a contract): what the platform must remember across
# runs and machines. NP_PLATFORM_DB_NAME; one SQLite file by default.
platform_metadata = MetaData()

#: One row per copied row of an exchange: the id map that makes a re-run resume instead of duplicate.
exchange_id_map = Table(
    "exchange_id_map",
    platform_metadata,
    Column("source_case_id", BigInteger, primary_key=True, autoincrement=False),
    Column("destination_case_id", BigInteger, primary_key=True, autoincrement=False),
    Column("table_name", String(64), primary_key=True),
    Column("source_id", BigInteger, primary_key=True, autoincrement=False),
    Column("destination_id", BigInteger, nullable=False),
    Column("exchange_id", String(128), nullable=False),
)

#: The state record of each exchange: status, counts and timings (also shown as asset metadata).
exchanges = Table(
    "exchanges",
    platform_metadata,
    Column("exchange_id", String(128), primary_key=True),  # the partition key
    Column("idempotency_key", String(255), nullable=False, unique=True),
    Column("source_case_id", BigInteger, nullable=False),
    Column("destination_case_id", BigInteger, nullable=False),
    Column("batch_id", BigInteger, nullable=False),
    Column(
        "status", String(32), nullable=False
    ),  # requested | copying | copied | files_done | finished | failed
    Column("request", Text, nullable=False),  # the validated request, JSON
    Column("counts", Text),  # JSON
    Column("error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
)

#: One row per PII scan (domain/pii, nextpoint_assets/pii): what was found, and the one decision on it.
#: A scan's id derives from what it read, so re-running a scan over the same text keeps its decision.
pii_scans = Table(
    "pii_scans",
    platform_metadata,
    Column("scan_id", String(64), primary_key=True),
    Column("subject", String(16), nullable=False),  # export | exchange | rendition
    Column(
        "subject_key", String(128), nullable=False, index=True
    ),  # the export's or exchange's partition key
    Column("case_id", BigInteger, nullable=False),  # whose documents were read (an exchange: the source)
    Column("status", String(24), nullable=False),  # clean | awaiting_approval | approved | rejected
    Column("threshold", Float, nullable=False),
    Column("findings", Integer, nullable=False),  # at or above the threshold
    Column("counts", Text, nullable=False),  # JSON {type: findings at or above the threshold}
    Column("documents", Integer, nullable=False),
    Column("pages", Integer, nullable=False),
    Column("findings_key", String(1024), nullable=False),  # masked findings, JSON lines, in the case's store
    Column("created_at", DateTime, nullable=False),
    Column("deadline", DateTime),  # awaiting approval until then; then rejected
    Column("decision", String(16)),  # approved | rejected
    Column("decided_by", String(255)),
    Column("justification", Text),
    Column("decision_source", String(16)),  # ui | event | timeout
    Column("decided_at", DateTime),
    Column(
        "resumed_at", DateTime
    ),  # when the held work was started again (approved) or cleaned up (rejected)
)
