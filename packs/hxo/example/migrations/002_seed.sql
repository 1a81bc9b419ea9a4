-- Two notes to start with (one tag still in mixed case: 003 normalises it).
INSERT INTO notes (id, title, body) VALUES
  ('n_1', 'Welcome', 'Notes are sorted by id; ids sort by creation time.'),
  ('n_2', 'Deploying', 'Migrations run in batches, after a dry run.');
INSERT INTO note_tags (note_id, tag) VALUES ('n_1', 'intro'), ('n_2', 'Ops');
