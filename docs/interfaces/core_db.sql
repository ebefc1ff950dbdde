-- The core database: one per region (NP_CORE_DB_NAME), owned by the backend: accounts, their
-- cases and users, and what users did. The platform only reads it: the request intake checks
-- that a case named by a request exists and is not deleted, and reports look up names and
-- activity. domain/schema.py declares these tables; tests/test_schema_contract.py keeps them equal.

-- A customer (a law firm); account activity reports group by it.
CREATE TABLE accounts (
  id    BIGINT PRIMARY KEY AUTO_INCREMENT,
  name  VARCHAR(255) NOT NULL
);

-- A case: its id is the case_id of every event and the suffix of its case database.
-- A request naming a deleted case is refused (EVENT_REJECTED).
CREATE TABLE npcases (
  id          BIGINT PRIMARY KEY AUTO_INCREMENT,
  account_id  BIGINT NOT NULL,
  name        VARCHAR(255) NOT NULL,
  status      VARCHAR(32) NOT NULL,            -- 'active' | 'archived' | 'deleted'
  region      VARCHAR(8) NOT NULL,             -- 'c2' | 'c4' | 'c5'
  created_at  DATETIME NOT NULL
);

-- People who log in; reports show their names and e-mail addresses for the user ids of the logs.
CREATE TABLE users (
  id          BIGINT PRIMARY KEY AUTO_INCREMENT,
  account_id  BIGINT NOT NULL,
  email       VARCHAR(255) NOT NULL,
  name        VARCHAR(255)
);

-- What users did in which case: the user activity report.
CREATE TABLE user_activities (
  id           BIGINT PRIMARY KEY AUTO_INCREMENT,
  user_id      BIGINT NOT NULL,
  npcase_id    BIGINT NOT NULL,
  action       VARCHAR(64) NOT NULL,           -- e.g. 'login', 'view_exhibit', 'search', 'download', 'export'
  occurred_at  DATETIME NOT NULL,
  details      TEXT                            -- JSON
);
