-- A sample schema for Lily's run index, migrated by hxo.deploy-migrate.v1.
CREATE TABLE hxo_jobs (id text PRIMARY KEY, title text NOT NULL);
CREATE TABLE hxo_runs (
  id text PRIMARY KEY,
  job_id text NOT NULL REFERENCES hxo_jobs (id),
  status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
  started_at timestamptz NOT NULL DEFAULT now()
);
