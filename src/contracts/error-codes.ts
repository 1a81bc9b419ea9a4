/**
 * The stable error codes of Lily. A code names exactly one cause and is never reused.
 * `kind` says whose fault it is: `input` (the caller gave something wrong: exit 2) or
 * `failure` (the work or the environment failed: exit 1). Runbook: docs/operations.md.
 *
 * @example
 * ERROR_CODES.blueprint_compile_failed.kind; // 'input'
 */
export const ERROR_CODES = {
  job_not_found: { kind: 'input', summary: 'No job spec with this id under .lily/jobs/.' },
  job_invalid_spec: {
    kind: 'input',
    summary: 'The job spec is not valid YAML or does not match the job schema.',
  },
  job_target_unresolved: {
    kind: 'input',
    summary: 'The job targets a blueprint id or version that is not registered.',
  },
  job_bindings_invalid: {
    kind: 'input',
    summary: "The job's bindings do not match the blueprint's bindings schema.",
  },
  job_input_invalid: { kind: 'input', summary: "The run input does not match the blueprint's input schema." },
  job_policy_denied: { kind: 'failure', summary: 'The policy gate denied a step of the run.' },
  job_execution_failed: { kind: 'failure', summary: 'The run failed while executing.' },
  dispatch_expired: {
    kind: 'failure',
    summary:
      "No worker started the dispatch before its seal expired; the step's next attempt is dispatched and sealed anew.",
  },
  job_kind_unknown: { kind: 'input', summary: 'The plan names a job kind that is not registered.' },
  job_upgrade_ambiguous: {
    kind: 'input',
    summary: "Several blueprints implement the kind that replaces the job's deprecated kind.",
  },
  stage_partitioner_not_allowed: { kind: 'input', summary: 'The job kind does not allow this partitioner.' },
  stage_executor_not_allowed: { kind: 'input', summary: 'The job kind does not allow this executor.' },
  stage_non_idempotent_denied: {
    kind: 'input',
    summary: 'A non-idempotent stage in a job kind that forbids it.',
  },
  blueprint_not_found: { kind: 'input', summary: 'No blueprint with this id is registered.' },
  blueprint_bindings_invalid: { kind: 'input', summary: 'Bindings rejected by the blueprint schema.' },
  blueprint_compile_failed: { kind: 'input', summary: 'The blueprint produced an invalid plan.' },
  blueprint_execution_failed: {
    kind: 'failure',
    summary: 'A step of the blueprint failed or broke its contract.',
  },
  blueprint_contract_invalid: {
    kind: 'input',
    summary: 'A blueprint definition breaks the blueprint contract.',
  },
  pack_invalid: { kind: 'input', summary: 'A pack module or one of its contributions is invalid.' },
  artifact_type_unknown: {
    kind: 'input',
    summary: 'No artifact schema is registered under this name@version.',
  },
  artifact_data_invalid: { kind: 'input', summary: 'Artifact content does not match its registered schema.' },
  artifact_not_found: { kind: 'input', summary: 'No artifact with this sha256 or name.' },
  artifact_corrupt: {
    kind: 'failure',
    summary: "A blob's content does not match its sha256 (a damaged or tampered copy); it was not used.",
  },
  eventstore_version_conflict: { kind: 'failure', summary: 'The stream is not at the expected version.' },
  eventstore_unavailable: { kind: 'failure', summary: 'The event store cannot be opened or written.' },
  eventstore_corrupt: {
    kind: 'failure',
    summary:
      'The event store is damaged (truncated or unreadable data.mdb): restore .lily/db from a backup; `lily doctor` names the damage.',
  },
  eventstore_batch_invalid: {
    kind: 'input',
    summary: 'An append batch repeats an id or partly repeats stored ones.',
  },
  event_type_unknown: { kind: 'input', summary: 'An event type outside the catalog was appended.' },
  event_data_invalid: { kind: 'input', summary: "Event data does not match its type's schema." },
  bus_unavailable: { kind: 'failure', summary: 'NATS cannot be reached.' },
  jetstream_bucket_missing: {
    kind: 'failure',
    summary:
      'A JetStream bucket Lily needs is not on this NATS: the engine creates them with `ledger: nats` (or `lily up --listen`).',
  },
  nats_server_missing: {
    kind: 'failure',
    summary:
      'No nats-server binary: install it (apt-get install nats-server, or https://github.com/nats-io/nats-server/releases) or set LILY_NATS_SERVER.',
  },
  nats_server_start_failed: {
    kind: 'failure',
    summary: 'The managed nats-server did not start: see .lily/logs/nats-server.log.',
  },
  deployment_start_failed: {
    kind: 'failure',
    summary: 'A process of `lily up` exited or did not answer sys.ping in time: see its log in .lily/logs/.',
  },
  bus_closed: {
    kind: 'failure',
    summary: 'The bus connection is closed or draining: nothing more can be sent.',
  },
  bus_timeout: { kind: 'failure', summary: 'A bus request got no reply within its timeout.' },
  bus_no_responders: { kind: 'failure', summary: 'A bus request found no subscriber for its subject.' },
  bus_subject_invalid: { kind: 'input', summary: 'A subject or queue group name is not valid for the bus.' },
  bus_payload_too_large: { kind: 'input', summary: "A bus message exceeds the server's max payload." },
  message_invalid: { kind: 'input', summary: 'A bus message failed validation.' },
  bus_permission_denied: {
    kind: 'failure',
    summary: "NATS refused a publish or subscription: the connection's credential does not allow it.",
  },
  namespace_in_use: {
    kind: 'failure',
    summary:
      'Another project holds this namespace on this NATS: choose another `namespace:` in .lily/config.yaml.',
  },
  replay_plan_drift: {
    kind: 'failure',
    summary: "The plan hash differs from the one pinned in the run's log.",
  },
  replay_nondeterministic: { kind: 'failure', summary: 'Replay diverged from the recorded log.' },
  config_invalid: { kind: 'input', summary: '.lily/config.yaml is invalid.' },
  policy_invalid: { kind: 'input', summary: '.lily/policy.yaml is invalid.' },
  example_not_found: {
    kind: 'input',
    summary:
      'No example under this name: `lily init --example <name>` needs the package (@lily/<name>) installed next to the project or next to Lily, with a "lily.example" directory.',
  },
  project_not_initialized: { kind: 'input', summary: 'No .lily/ directory here: run `lily init`.' },
  run_not_found: { kind: 'input', summary: 'No run with this id.' },
  lifecycle_busy: {
    kind: 'failure',
    summary:
      "Another lily command is starting or stopping this project's processes, or an ephemeral engine runs.",
  },
  idempotency_key_reused: {
    kind: 'input',
    summary: 'The idempotency key was already used for a different request of this job.',
  },
  run_already_finished: {
    kind: 'input',
    summary: 'The run has already finished: there is nothing to cancel.',
  },
  approval_not_found: { kind: 'input', summary: 'No pending approval with this id.' },
  approval_answered: { kind: 'input', summary: 'The approval was already granted or denied.' },
  id_invalid: { kind: 'input', summary: 'An id does not match its format.' },
  usage_invalid: { kind: 'input', summary: 'The command line is invalid.' },
  internal_error: { kind: 'failure', summary: 'An unexpected error (a bug): please report it.' },
} as const satisfies Record<string, { kind: 'input' | 'failure'; summary: string }>;

/** One of the stable codes of ERROR_CODES: what `LilyError.code` holds. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * True for a string that is one of Lily's error codes. Never throws.
 *
 * @example
 * isErrorCode('job_not_found'); // true
 * isErrorCode('nope'); // false
 */
export const isErrorCode = (value: unknown): value is ErrorCode =>
  typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
