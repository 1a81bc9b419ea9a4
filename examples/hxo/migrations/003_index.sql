CREATE INDEX hxo_runs_job ON hxo_runs (job_id, started_at);
UPDATE hxo_runs SET status = 'cancelled' WHERE status = 'failed';
