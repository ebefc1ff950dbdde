-- The export manifest: everything one production needs, made by the backend as a SQLite file
-- (manifest.sqlite) zipped at  case_{case_id}/exports/export_{export_id}/manifest.zip .
-- A production reads only this file (no live case database) and never writes to it.
-- Every value is hostile input: domain/productions/manifest.py validates it and refuses a bad
-- row with a message naming it; no name in it may lead a file outside the export's own folder.
-- How the result is laid out: docs/productions.md. domain/schema.py declares these tables.

-- The production's settings: exactly one row.
CREATE TABLE export (
  export_id          INTEGER NOT NULL,
  case_id            INTEGER NOT NULL,
  name               TEXT NOT NULL,              -- ACME_PROD001: names the root folder, load files
  image_format       TEXT NOT NULL,              -- 'tiff' | 'jpeg' | 'pdf' | 'none'
                                                 --   tiff: a 300 dpi CCITT G4 file per page; colour
                                                 --         pages JPEG when color_mode = 'auto'
                                                 --   pdf : one searchable PDF per document
  color_mode         TEXT NOT NULL DEFAULT 'auto', -- 'auto' (colour pages found) | 'bw' | 'color'
  native_inclusion   TEXT NOT NULL DEFAULT 'none', -- 'none' | 'spreadsheets' | 'all' | 'natives_only'
                                                 --   a produced native's images are one placeholder page
  text_mode          TEXT NOT NULL DEFAULT 'extracted_then_ocr', -- 'extracted_then_ocr' | 'ocr' | 'none'
                                                 --   a redacted document's text is always OCR of its
                                                 --   redacted images
  numbering          TEXT NOT NULL DEFAULT 'bates', -- 'bates' (per page) | 'control_number'
  bates_prefix       TEXT,                       -- for rows of exhibits_for_export without bates_begin
  bates_start        INTEGER DEFAULT 1,
  bates_padding      INTEGER DEFAULT 7,
  endorse_bates      TEXT,                       -- where to burn the page number, or NULL
  endorse_confidentiality TEXT,                  -- where to burn the code, or NULL
  volume_prefix      TEXT NOT NULL DEFAULT 'VOL',-- volume folders VOL001, VOL002 ...
  images_per_folder  INTEGER NOT NULL DEFAULT 1000,
  loadfiles          TEXT NOT NULL DEFAULT 'dat,opt', -- comma list of 'dat','opt','lfp','dii','log','csv'
  dat_fields         TEXT,                       -- JSON list of DAT/CSV columns; NULL: default
  split_bytes        INTEGER NOT NULL DEFAULT 21474836480, -- size of each 7z volume (20 GiB)
  expansive_pdf      INTEGER NOT NULL DEFAULT 0  -- 1: one bookmarked PDF per volume as well
);

-- The exhibits of this production, with what the DAT needs copied in.
CREATE TABLE exhibits (
  id                 INTEGER PRIMARY KEY,
  document_id        INTEGER NOT NULL,
  parent_exhibit_id  INTEGER,                    -- family (BEGATTACH/ENDATTACH)
  control_number     TEXT,
  filename           TEXT NOT NULL,              -- hostile original name: never a path
  file_extension     TEXT,
  md5                TEXT,
  title              TEXT,
  author             TEXT,
  custodian          TEXT,
  date_sent          TEXT,                       -- ISO 8601
  page_count         INTEGER,                    -- backend's count; the PDF's own count wins when lower
  pdf_key            TEXT,                       -- key of the PDF rendition (under case_{id}/)
  native_key         TEXT,                       -- object key of the native, or NULL
  text_key           TEXT,                       -- object key of the extracted text, or NULL
  confidentiality    TEXT                        -- the code to endorse ('CONFIDENTIAL'), or NULL
);

-- The production order and how each exhibit is produced.
CREATE TABLE exhibits_for_export (
  position           INTEGER PRIMARY KEY,        -- 1, 2, 3 ...; a family's exhibits are next to each other
  exhibit_id         INTEGER NOT NULL,
  volume             INTEGER NOT NULL,           -- volume number, from 1
  bates_begin        TEXT,                       -- first page number already given by stamping, or NULL
  produce_native     INTEGER NOT NULL DEFAULT 0, -- 1: produce the native, whatever native_inclusion says
  withheld           INTEGER NOT NULL DEFAULT 0  -- 1: one slip sheet 'WITHHELD - PRIVILEGED'
);

-- Areas burned into the produced images. No text under them may survive in any produced file
-- (text, PDF text layer, OCR, DAT/CSV): the no_redacted_text check proves it.
CREATE TABLE redactions (
  exhibit_id   INTEGER NOT NULL,
  page_number  INTEGER NOT NULL,                 -- counted from 1
  rect         TEXT NOT NULL,                    -- JSON [x0, y0, x1, y1], PDF points, origin bottom left
  label        TEXT                              -- text shown on the box, e.g. 'REDACTED - PRIVILEGE'
);
