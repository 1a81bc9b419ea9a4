/** The files `lily init` writes. Each is valid as written (test/unit/jobs/templates.unit.test.ts). */

export const CONFIG_TEMPLATE = `# Lily project settings. Reference: docs/cli.md and docs/operations.md.
# NATS subject namespace: lily.<namespace>.…
namespace: default
# managed: lily starts its own nats-server (data under .lily/nats/). Or: url: nats://127.0.0.1:4222
nats:
  managed: true
# Worker processes started by the engine (0 = executors run inside the engine).
workers: 1
# Where workers share the dispatch ledger and artifacts: lmdb (this machine) or nats (JetStream:
# workers on other machines, docs/scale-out.md). Default: nats with \`lily up --listen\`, else lmdb.
# ledger: lmdb
# Packs: local modules (./packs/my-pack.js, relative to this project) or package names.
packs: []
# Default run retention; a job's output.retention overrides it.
retention:
  keep_last: 50
  max_age_days: 30
log_level: info
# OpenTelemetry traces over OTLP/HTTP (off unless set; the OTEL_EXPORTER_OTLP_* variables work too).
# Reference: docs/telemetry.md.
# telemetry:
#   otlp:
#     endpoint: http://127.0.0.1:4318
`;

export const POLICY_TEMPLATE = `# What runs may do. Checked before every side effect. Reference: docs/policy.md.
default_principal: operator
principals:
  operator:
    capabilities: []
  scheduler:
    capabilities: []
# Executors steps may use, and the programs commands may run ("*" = any). A name is looked up
# on \`path\` and compared by real path: ./x/node is not node.
executors: [command, echo]
commands: [node, echo]
# Where bare program names are looked up (default: the engine's PATH when the policy loads).
# path: [/usr/local/bin, /usr/bin, /bin]
# Variables steps may set. PATH, LD_*, NODE_OPTIONS and others that change what runs are
# refused unless allow names them exactly.
env:
  allow: ["*"]
  deny: []
# Workspace paths (globs relative to the project); deny wins. Lily's own state and settings
# are denied; packs may keep theirs under .lily/<pack>/ (the HXO pack uses .lily/hxo/).
workspace:
  allow: ["**"]
  deny:
    - ".git/**"
    - ".lily/db/**"
    - ".lily/nats/**"
    - ".lily/keys/**"
    - ".lily/artifacts/**"
    - ".lily/runs/**"
    - ".lily/logs/**"
    - ".lily/jobs/**"
    - ".lily/*.yaml"
    - "**/.env"
# Ceilings for job runtimes.
caps:
  timeout_ms: 3600000
  max_attempts: 5
  concurrency: 4
# Rules: {job?, step?, executor?, capability?, side_effects?} (all given fields must match).
approvals: []
require_dry_run: []
`;

export const HELLO_JOB_TEMPLATE = `# A job runs a blueprint with bindings. Reference: docs/jobs.md.
#   lily jobs validate hello      lily blueprints plan hello      lily jobs run hello
id: hello
title: Hello, Lily
description: Two steps in parallel, then a third that runs after both.
target:
  kind: blueprint
  id: pipeline.v1
bindings:
  steps:
    - id: greet
      run: [node, -e, "console.log(JSON.stringify({ greeting: 'hello from lily' }))"]
      json_output: true
    - id: versions
      needs: []
      run: [node, -e, "console.log(JSON.stringify({ node: process.version }))"]
      json_output: true
    - id: done
      needs: [greet, versions]
      run: [echo, done]
trigger:
  manual: true
runtime:
  timeout_ms: 60000
  max_attempts: 2
  concurrency: 1
  dry_run: false
input: {}
output:
  retention:
    keep_last: 20
`;

/** State, not source: the generated directories of .lily/. */
export const GITIGNORE_TEMPLATE = `# Lily state (rebuilt or private): not source.
db/
runs/
logs/
nats/
artifacts/
keys/
`;
