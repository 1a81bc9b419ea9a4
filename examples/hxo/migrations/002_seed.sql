INSERT INTO hxo_jobs (id, title) VALUES ('hello', 'Hello, Lily'), ('hxo-pack-src', 'Pack src/');
INSERT INTO hxo_runs (id, job_id, status) VALUES ('r1', 'hello', 'succeeded'), ('r2', 'hello', 'failed');
