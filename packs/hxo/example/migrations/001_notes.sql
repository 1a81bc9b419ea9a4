-- The notes service's schema, migrated by hxo.deploy-migrate.v1 (job hxo-migrate).
CREATE TABLE notes (
  id text PRIMARY KEY,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  body text NOT NULL DEFAULT '',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE note_tags (
  note_id text NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
  tag text NOT NULL,
  PRIMARY KEY (note_id, tag)
);
