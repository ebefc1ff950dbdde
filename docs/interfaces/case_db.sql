-- The case database: one per case, named {NP_DB_NAME_PREFIX}_{case_id} (np_case_101).
-- In production it lives on MySQL 8 or MariaDB 10.11; the embedded default holds the same
-- tables in one SQLite file per case. The backend owns these tables: the platform reads them,
-- and writes only the columns and tables marked "written by" below.
-- Every object key stored here is relative to the case's prefix in the object store (case_{case_id}/).
-- An exchange copies a selection of exhibits with their documents, variants and every table
-- hanging on an exhibit into another case's database, with new ids (docs/exchanges.md).
-- domain/schema.py declares these tables; tests/test_schema_contract.py keeps the two equal.

-- People whose files were collected; DAT CUSTODIAN, privilege log, grid data.
CREATE TABLE custodians (
  id            BIGINT PRIMARY KEY AUTO_INCREMENT,
  name          VARCHAR(255) NOT NULL
);

-- A file as it was uploaded; an exhibit points at one.
CREATE TABLE documents (
  id                  BIGINT PRIMARY KEY AUTO_INCREMENT,
  batch_id            BIGINT NOT NULL,          -- the upload batch it came in
  filename            VARCHAR(1024) NOT NULL,   -- hostile input: any unicode, '/', '..'; never used as a path
  file_extension      VARCHAR(32),
  md5                 CHAR(32),
  document_properties TEXT,                     -- JSON metadata; an exchange writes NULL on its copies
  created_at          DATETIME NOT NULL,
  updated_at          DATETIME NOT NULL
);

-- The stored files of a document: its PDF rendition, native, text.
CREATE TABLE document_variants (
  id           BIGINT PRIMARY KEY AUTO_INCREMENT,
  document_id  BIGINT NOT NULL,
  kind         VARCHAR(16) NOT NULL,            -- 'pdf' | 'native' | 'text'
  object_key   VARCHAR(1024) NOT NULL,          -- mostly documents/{document_id}/...
  bytes        BIGINT
);

-- What reviewers see and what is stamped, produced and exchanged.
CREATE TABLE exhibits (
  id                     BIGINT PRIMARY KEY AUTO_INCREMENT,
  document_id            BIGINT NOT NULL,
  parent_exhibit_id      BIGINT,                -- family: an attachment points at its email or container
  control_number         VARCHAR(64),
  title                  VARCHAR(1024),
  author                 VARCHAR(255),
  date_sent              DATETIME,
  page_count             INT,                   -- backend's count; the PDF's wins when lower
  bates_begin            VARCHAR(64),           -- written by stamping (first Bates number of the exhibit)
  bates_end              VARCHAR(64),           -- written by stamping (last Bates number)
  confidentiality_status INT NOT NULL DEFAULT 0,-- bits of confidentiality_codes.bit of this case
  number                 BIGINT,                -- written by an exchange: the exhibit's id in the source case
  created_at             DATETIME NOT NULL,
  updated_at             DATETIME NOT NULL
);

-- Which custodian an exhibit came from; copied by an exchange.
CREATE TABLE custodian_exhibits (
  id            BIGINT PRIMARY KEY AUTO_INCREMENT,
  custodian_id  BIGINT NOT NULL,
  exhibit_id    BIGINT NOT NULL
);

-- A case's confidentiality codes. The same code may carry another bit in another case,
-- so an exchange remaps exhibits' bits by code, never by bit.
CREATE TABLE confidentiality_codes (
  id           BIGINT PRIMARY KEY AUTO_INCREMENT,
  code         VARCHAR(64) NOT NULL,            -- the text a confidentiality stamp or endorsement shows
  description  VARCHAR(255),
  bit          INT NOT NULL                     -- a power of two: 1, 2, 4 ...
);

-- History of confidentiality changes: review log, user activity.
CREATE TABLE confidentiality_logs (
  id          BIGINT PRIMARY KEY AUTO_INCREMENT,
  exhibit_id  BIGINT NOT NULL,
  user_id     BIGINT NOT NULL,
  old_status  INT NOT NULL,
  new_status  INT NOT NULL,
  created_at  DATETIME NOT NULL
);

-- Reviewers' relevancy calls: review log, page count, user activity.
CREATE TABLE relevancy_logs (
  id          BIGINT PRIMARY KEY AUTO_INCREMENT,
  exhibit_id  BIGINT NOT NULL,
  user_id     BIGINT NOT NULL,
  relevancy   VARCHAR(32) NOT NULL,            -- 'relevant' | 'not_relevant' | 'hot' | 'needs_review'
  note        TEXT,
  created_at  DATETIME NOT NULL
);

-- Privilege claims: the privilege log report, review log.
CREATE TABLE privilege_logs (
  id              BIGINT PRIMARY KEY AUTO_INCREMENT,
  exhibit_id      BIGINT NOT NULL,
  user_id         BIGINT NOT NULL,
  privilege_type  VARCHAR(64) NOT NULL,        -- e.g. 'attorney_client', 'work_product'
  basis           TEXT,
  description     TEXT,
  created_at      DATETIME NOT NULL
);

-- Labels; an exchange reuses a destination label of the same name.
CREATE TABLE label_categories (
  id    BIGINT PRIMARY KEY AUTO_INCREMENT,
  name  VARCHAR(255) NOT NULL
);

-- A label on an exhibit; selects an exchange; a coding overlay adds them.
CREATE TABLE label_category_labels (
  id                 BIGINT PRIMARY KEY AUTO_INCREMENT,
  label_category_id  BIGINT NOT NULL,
  exhibit_id         BIGINT NOT NULL
);

-- A tree of folders; an exchange reuses a destination folder of the same path.
CREATE TABLE folder_tags (
  id         BIGINT PRIMARY KEY AUTO_INCREMENT,
  name       VARCHAR(255) NOT NULL,
  parent_id  BIGINT
);

-- An exhibit in a folder; copied by an exchange.
CREATE TABLE folder_taggings (
  id             BIGINT PRIMARY KEY AUTO_INCREMENT,
  folder_tag_id  BIGINT NOT NULL,
  exhibit_id     BIGINT NOT NULL
);

-- The case's own coding fields: grid data, coding overlay.
CREATE TABLE custom_fields (
  id          BIGINT PRIMARY KEY AUTO_INCREMENT,
  name        VARCHAR(255) NOT NULL,
  field_type  VARCHAR(32) NOT NULL             -- 'text' | 'number' | 'date' | 'choice'
);

-- An exhibit's value of a field; written by a coding overlay.
CREATE TABLE custom_field_values (
  id               BIGINT PRIMARY KEY AUTO_INCREMENT,
  custom_field_id  BIGINT NOT NULL,
  exhibit_id       BIGINT NOT NULL,
  value            TEXT
);

-- Review markup drawn on pages; burned in or layered by an exchange.
CREATE TABLE annotations (
  id               BIGINT PRIMARY KEY AUTO_INCREMENT,
  exhibit_id       BIGINT NOT NULL,
  page_number      INT NOT NULL,                -- counted from 1
  annotation_type  VARCHAR(32) NOT NULL,        -- 'redaction' | 'highlight' | 'note' | 'sticker' | 'comment'
  rect             VARCHAR(255) NOT NULL,       -- JSON [x0, y0, x1, y1], PDF points, origin bottom left
  content          TEXT,                        -- the text of a note or comment; a redaction's label
  image_key        VARCHAR(1024),               -- object key of a sticker's image
  parent_id        BIGINT,                      -- a comment's thread root
  user_id          BIGINT,
  created_at       DATETIME NOT NULL
);

-- Numbering sequences; stamping takes numbers under a row lock.
CREATE TABLE bates_patterns (
  id           BIGINT PRIMARY KEY AUTO_INCREMENT,
  prefix       VARCHAR(32) NOT NULL,            -- e.g. 'ACME'
  suffix       VARCHAR(32) NOT NULL DEFAULT '',
  padding      INT NOT NULL DEFAULT 7,          -- digits of the number: ACME0000001
  next_number  BIGINT NOT NULL DEFAULT 1        -- written by stamping: never a gap, never a number twice
);

-- Written by stamping: one row per page and stamp type.
CREATE TABLE stamp_details (
  id                BIGINT PRIMARY KEY AUTO_INCREMENT,
  exhibit_id        BIGINT NOT NULL,
  page_number       INT NOT NULL,
  stamp_type        VARCHAR(32) NOT NULL,       -- 'bates' | 'confidentiality' | 'exhibit'
  text              VARCHAR(255) NOT NULL,
  position          VARCHAR(32) NOT NULL,       -- top_/bottom_ + left | center | right
  bates_pattern_id  BIGINT,
  bates_number      BIGINT,
  created_at        DATETIME NOT NULL
);

-- Read by the transcript metadata and deposition summary reports.
CREATE TABLE depositions (
  id        BIGINT PRIMARY KEY AUTO_INCREMENT,
  name      VARCHAR(255) NOT NULL,
  deponent  VARCHAR(255),
  taken_on  DATE
);

-- A deposition's transcripts, one per volume.
CREATE TABLE deposition_volumes (
  id              BIGINT PRIMARY KEY AUTO_INCREMENT,
  deposition_id   BIGINT NOT NULL,
  volume_number   INT NOT NULL,
  page_count      INT,
  court_reporter  VARCHAR(255),
  transcript_key  VARCHAR(1024),
  taken_on        DATE
);

-- Labelled page:line ranges of a transcript (deposition summary).
CREATE TABLE deposition_designations (
  id                 BIGINT PRIMARY KEY AUTO_INCREMENT,
  deposition_id      BIGINT NOT NULL,
  label_category_id  BIGINT NOT NULL,
  page_start         INT NOT NULL,
  line_start         INT NOT NULL,
  page_end           INT NOT NULL,
  line_end           INT NOT NULL
);
