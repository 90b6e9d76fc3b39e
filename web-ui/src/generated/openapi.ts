// Generated from docs/openapi.json by web-ui/scripts/generate-types.mjs; do not edit.
// Regenerate with `npm --prefix web-ui run generate` after changing the server.

/** `202 Accepted` of a run, a retry or an async webhook: where to follow the execution. */
export type Accepted = {
  /** An execution with the same idempotency key existed: it is this one. */
  duplicate: boolean;
  execution_id: string;
  /** `GET` it for the execution (also in `Location`). */
  status_url: string;
};

/** Describes an action kind for the CLI, the API and the editor's forms. */
export type ActionInfo = {
  /** JSON Schema of the `with:` config. */
  config_schema: unknown;
  connector?: null | ConnectorInfo;
  description: string;
  /**
   * The step's `action:` name: `http`, or `<connector>.<operation>` for an operation of an
   * imported connector.
   */
  kind: string;
  ports: null | Ports;
  title: string;
};

/** `GET /actions`: every action kind with its `with:` JSON Schema. */
export type ActionList = {
  items: ActionInfo[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/** A workflow whose steps no longer fit the connector's new version. */
export type AffectedWorkflowOut = {
  problems: Problem[];
  workflow: string;
};

/** `POST /credentials/{name}/connect`: the provider's page to open. */
export type ConnectOut = {
  authorize_url: string;
  /** Where the provider sends the browser back (register it at the provider). */
  redirect_uri: string;
};

/** A connector with its operations and versions. */
export type ConnectorDetailOut = {
  connector: ConnectorOut;
  operations: OperationOut[];
  /** Newest first. */
  versions: ConnectorVersionOut[];
};

/** What an operation of an imported connector adds to its [`ActionInfo`]. */
export type ConnectorInfo = {
  /** The base URL requests go to. */
  base_url: string;
  /**
   * The credential types the operation's security schemes map to (`basic`, `bearer`,
   * `api_key`, `oauth2`); empty when it takes none.
   */
  credential_types: string[];
  /** `GET`, `POST`, … */
  method: string;
  /** The connector's name (the part of the kind before the first `.`). */
  name: string;
  /** The operation's id in the document (`operationId`, or a slug of method and path). */
  operation: string;
  /**
   * JSON Schema of the step's output (`{status, headers, body}`, the body as the
   * document's success answer describes it), when the document says.
   */
  output_schema: unknown;
  /** The path template, e.g. `/2010-04-01/Accounts/{AccountSid}/Messages.json`. */
  path: string;
  /** The operation's tags, for grouping. */
  tags: string[];
  /** The connector's version (1 for its first import). */
  version: number;
};

/** `GET /connectors`: by name. */
export type ConnectorList = {
  items: ConnectorOut[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/** A connector (its newest version). */
export type ConnectorOut = {
  /** Where requests go (unless an operation's own `servers` say otherwise). */
  base_url: string;
  /** The base URL was given at import, instead of the document's servers. */
  base_url_overridden: boolean;
  created_at: string;
  /** The credential types its operations take. */
  credential_types: string[];
  /** `OpenAPI 3.0.1`, `Swagger 2.0`, … */
  format: string;
  /** Its actions are `<name>.<operation>`. */
  name: string;
  operations: number;
  security: SecuritySchemeOut[];
  /** The document's title. */
  title: string;
  /** The workflows with a step of this connector, by name. */
  used_by: string[];
  version: number;
};

/** A stored version. */
export type ConnectorVersionOut = {
  created_at: string;
  operations: number;
  version: number;
};

/** A credential to create. */
export type CredentialIn = {
  /**
   * Host patterns it may be sent to (`api.example.com`, `*.example.com`, `host:port`);
   * required for every type but `secret`.
   */
  allowed_hosts?: string[] | null;
  /** The fields of the type; secret ones are write-only. */
  data?: Record<string, unknown>;
  description?: string;
  /** What workflows name it by: letters, digits, `-`, `_`, `.` (at most 64). */
  name: string;
  /** `bearer`, `basic`, `api_key`, `header`, `secret` or `oauth2` (see `GET /credential-types`). */
  type: string;
};

/** `GET /credentials`: every credential (the operator's read-only ones first); never a secret. */
export type CredentialList = {
  items: CredentialView[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/** Where a credential lives. */
export type CredentialSource = "database" | "file";

/** Whether a credential can be used now. */
export type CredentialStatus = "ok" | "not_connected" | "needs_reconnect";

/** `GET /credential-types`: each type with the JSON Schema of its `data`. */
export type CredentialTypeList = {
  items: KindInfo[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/**
 * A change to a credential: fields left out stay; a secret field left out (or empty) keeps
 * its stored value.
 */
export type CredentialUpdate = {
  allowed_hosts?: string[] | null;
  data?: Record<string, unknown> | null;
  description?: string | null;
  type?: string | null;
};

/** A credential as the API shows it: never a secret. */
export type CredentialView = {
  /** `null`: unbound (only the operator's file and environment credentials may be). */
  allowed_hosts?: string[] | null;
  created_at?: string | null;
  /** The non-secret fields. */
  data: Record<string, unknown>;
  description: string;
  last_used_at?: string | null;
  name: string;
  read_only: boolean;
  /** The secret fields that hold a value. */
  secrets_set: string[];
  source: CredentialSource;
  status: CredentialStatus;
  status_message?: string | null;
  /** OAuth2: when the current access token expires. */
  token_expires_at?: string | null;
  type: string;
  updated_at?: string | null;
  /** The workflows that name it (current versions). */
  used_by: string[];
};

/** One finished attempt of a delivery. */
export type DeliveryAttemptOut = {
  /** From 1; the count goes on after a retry by hand. */
  attempt: number;
  /** The first KiB of the answer's body. */
  body: string | null;
  error: string | null;
  finished_at: string;
  /** `delivered`, `retry` (another attempt was due) or `failed` (none was left). */
  outcome: string;
  started_at: string;
  /** The HTTP status answered (`null`: no answer). */
  status: number | null;
};

/** `GET /deliveries`: newest first. */
export type DeliveryList = {
  items: DeliveryOut[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/** A delivery: one message, the same `message_id` (`webhook-id`) on every attempt. */
export type DeliveryOut = {
  /** Attempts started so far. */
  attempts: number;
  /** The JSON message. */
  body: unknown;
  created_at: string;
  /** The `secret` credential that signs it, by name (`null`: unsigned). */
  credential: string | null;
  delivered_at: string | null;
  /** The execution and step that queued it. */
  execution_id: string;
  /** When it was delivered or failed for good. */
  finished_at: string | null;
  /** The step's extra headers (the `webhook-*` ones are made at each attempt). */
  headers: Record<string, string>;
  /** Every finished attempt, oldest first (only on `GET /deliveries/{id}`). */
  history?: DeliveryAttemptOut[] | null;
  id: string;
  item_index: number | null;
  /** The first KiB of the last answer's body. */
  last_body: string | null;
  /** Why the last attempt failed. */
  last_error: string | null;
  /** The HTTP status of the last attempt, if it got an answer. */
  last_status: number | null;
  /** `webhook-id` of every attempt. */
  message_id: string;
  /** When the next attempt is due (pending only). */
  next_attempt_at: string | null;
  status: DeliveryStatus;
  step_id: string;
  url: string;
  workflow_id: string;
};

/** Where a delivery is. */
export type DeliveryStatus = "pending" | "delivered" | "failed";

/**
 * A workflow's draft: the editor's work in progress, kept with its problems. The current
 * version (the one that runs, and that activation serves) stays the last valid save.
 */
export type DraftOut = {
  /** The draft document as far as it reads (`null` when it does not parse: see `problems`). */
  document: Record<string, unknown>;
  /** What keeps it from being saved as a version, each located; empty when it is valid. */
  problems: Problem[];
  saved_at: string;
  source_format: SourceFormat;
  /** The current version, which runs until the draft is saved as a valid version. */
  version: number;
};

/** `GET /environment`: what templates may read from the server's environment. */
export type EnvironmentOut = {
  /**
   * The allow-listed variables that are set (`WEFT_ALLOW_ENV`), read as `{{env.NAME}}`.
   * Names only: the values stay on the server.
   */
  variables: string[];
};

/** The body of every error answer. */
export type ErrorBody = {
  error: ErrorOut;
};

/** Every `error.code` the API answers with. Clients branch on the code, never on the message. */
export type ErrorCode = "bad_request" | "malformed_json" | "malformed_body" | "unauthorized" | "forbidden" | "not_found" | "method_not_allowed" | "not_acceptable" | "conflict" | "payload_too_large" | "unsupported_media_type" | "invalid_body" | "invalid_workflow" | "invalid_document" | "weak_secret" | "idempotency_key_reused" | "rate_limited" | "execution_failed" | "internal" | "still_running" | "busy";

export type ErrorOut = {
  code: ErrorCode;
  /** Depends on the code (e.g. `problems` for `invalid_workflow`); `null` when none. */
  details: unknown;
  /** For people: what went wrong and, where it helps, what to do. */
  message: string;
};

/** The failure that ended an execution. */
export type ExecutionError = {
  message: string;
  /** The failing step, if a step failed. */
  step_id?: string | null;
};

/**
 * What happened. This is also what an execution's event stream sends (`GET
 * /api/v1/executions/{id}/events`), serialized as it is: the step events as `step`, the end
 * as `execution`.
 */
export type ExecutionEventKind = {
  at: string;
  attempt: number;
  item_index?: number | null;
  step_id: string;
  type: "started";
} | {
  attempt: number;
  delay_ms: number;
  error: string;
  item_index?: number | null;
  step_id: string;
  type: "retrying";
} | (StepResult & {
  type: "finished";
}) | {
  status: ExecutionStatus;
  type: "execution";
} | {
  status: ExecutionStatus;
  type: "status";
};

/** `GET /executions`: newest first. */
export type ExecutionList = {
  items: ExecutionSummaryOut[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/** An execution: what started it, how it ended, and every step's final result. */
export type ExecutionOut = ExecutionSummaryOut & {
  /** Every attempt of every step (only on `GET /executions/{id}`). */
  attempts?: StepRunOut[] | null;
  /** A cancel was asked for and the worker has not stopped yet. */
  cancel_requested: boolean;
  idempotency_key: string | null;
  /** The last step's output (or the `respond` body). */
  output: unknown;
  /** The trigger event (what templates read as `trigger`; secret headers redacted). */
  request: TriggerEvent;
  response: null | Response;
  /** Every step's final result, in document order. */
  steps: StepResult[];
};

/**
 * Where an execution is in its life: the one status of an execution for the engine (which
 * ends one as `succeeded`, `failed` or `cancelled`), the store (which also has it `queued` and
 * `running`), the API and the editor.
 */
export type ExecutionStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled" | "waiting";

/** An execution in a list: no request, response or output. */
export type ExecutionSummaryOut = {
  /** How many times a worker took it up: more than 1 after a crash or a restart. */
  attempt: number;
  created_at: string;
  error: null | ExecutionError;
  finished_at: string | null;
  id: string;
  /**
   * The process (see `GET /processes`) that runs it, or ran it last; `null` until a
   * worker takes it up.
   */
  process: string | null;
  /** The execution this one retries. */
  retry_of: string | null;
  started_at: string | null;
  status: ExecutionStatus;
  /** Started from the test URL. */
  test: boolean;
  /** `webhook`, `schedule` or `manual`. */
  trigger_kind: string;
  /** The workflow version it runs. */
  version: number;
  workflow_id: string;
};

/** The answer of an import. */
export type ImportedOut = {
  connector: ConnectorOut;
  /**
   * The workflows using the connector that have problems with this version (each
   * located); empty when they all still fit.
   */
  workflows_with_problems: AffectedWorkflowOut[];
};

/** A credential type as `GET /credential-types` lists it. */
export type KindInfo = {
  description: string;
  /** Whether `allowed_hosts` is required (every type that is sent with requests). */
  hosts_required: boolean;
  /** The JSON Schema of `data`. */
  schema: Record<string, unknown>;
  /** The fields of `data` that are secret: write-only, never returned. */
  secret_fields: string[];
  title: string;
  type: string;
};

export type LastExecutionOut = {
  created_at: string;
  finished_at: string | null;
  id: string;
  status: ExecutionStatus;
};

/** Where a problem is in the source document (1-based line and column). */
export type Location = {
  column: number;
  line: number;
};

/** An operation of a connector. */
export type OperationOut = {
  credential_types: string[];
  deprecated: boolean;
  id: string;
  /** The action: `<connector>.<id>`. */
  kind: string;
  method: string;
  path: string;
  summary: string;
  tags: string[];
};

/**
 * The execution and step that started a child execution; templates read it as
 * `trigger.parent`.
 */
export type ParentRef = {
  /** 1 for a child of an execution that has no parent, 2 for its child, … */
  depth: number;
  execution_id: string;
  item_index?: number | null;
  step_id: string;
  workflow: string;
};

/** A workflow's test data: used by test runs from the editor, never by production runs. */
export type PinsIn = {
  /** Outputs that stand for these steps in test runs (they are not run), by step id. */
  steps?: Record<string, unknown>;
  trigger?: null | TriggerPin;
};

export type PinsOut = {
  /** When the pins were saved; null when the workflow has none. */
  saved_at: string | null;
  steps: Record<string, unknown>;
  trigger: null | TriggerPin;
};

/**
 * How a branching action's output ports follow from its `with:`: the keys of one field of it,
 * in order, then fixed names (a key equal to a fixed name counts once, as the fixed one). The
 * engine and the editor derive a step's ports from this one rule.
 */
export type Ports = {
  /** Ports every step of this action has, after those of `keys_of`. */
  fixed: string[];
  /** A field of `with` whose keys are ports, e.g. `cases` for `switch`. */
  keys_of: string | null;
};

/**
 * One thing wrong with a workflow, located as precisely as we can: the YAML position when
 * the workflow came from YAML, and always the step id and field when it concerns a step.
 */
export type Problem = {
  /** The field within the step (e.g. `with.url`) or the document (e.g. `trigger.path`). */
  field?: string | null;
  /** The file (or other source name) the workflow came from. */
  file?: string | null;
  location?: null | Location;
  message: string;
  /** Path in the document, e.g. `steps[2].with.url` (empty: the document itself). */
  path: string;
  /** The step concerned, by id. */
  step?: string | null;
};

/** What a process runs. */
export type ProcessKind = "serve" | "api" | "worker";

/** `GET /processes`: the newest first. */
export type ProcessList = {
  items: ProcessOut[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/** A process sharing the database. */
export type ProcessOut = {
  /** Its execution slots (0 for `api`). */
  concurrency: number;
  /**
   * Its writes rejected because it had lost an execution's lease to another process, as
   * of its last heartbeat.
   */
  fenced_writes: number;
  heartbeat_at: string;
  host: string;
  /** Its id: what an execution's `process` says. */
  id: string;
  kind: ProcessKind;
  pid: number;
  /** Executions it holds a claim on now. */
  running: number;
  started_at: string;
  /**
   * `alive`: its heartbeat is recent; `stopped`: it shut down; `dead`: neither (killed,
   * or paused for longer than a few heartbeats).
   */
  state: ProcessState;
  stopped_at: string | null;
  /** The Weft version it runs. */
  version: string;
};

/** Alive (heartbeat recent), stopped (said so) or dead (neither). */
export type ProcessState = "alive" | "stopped" | "dead";

/** One template that did not render. */
export type RenderError = {
  message: string;
  /** Where it is, e.g. `with.url`. */
  path: string;
  template: string;
};

/** Templates to preview, and the data they read. */
export type RenderIn = {
  /** `item` (and `index`), for a `for_each` step. */
  item?: unknown;
  /** Where `value` is, prefixing the paths of errors (e.g. `with`). */
  path?: string;
  /** Step outputs, by step id (`steps.<id>`). */
  steps?: Record<string, unknown>;
  /** `trigger` as templates read it (`body`, `headers`, `query`, …). */
  trigger?: unknown;
  /** Any JSON; its strings may be templates (e.g. a step's `with`). */
  value: unknown;
};

export type RenderOut = {
  errors: RenderError[];
  /** `value` rendered; a template that failed stays as written. */
  value: unknown;
};

/** What a step answers to the caller of a sync webhook or `weft run`. */
export type Response = {
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
};

/** Where a retry starts. */
export type RetryFrom = "start" | "failed_step";

export type RetryIn = {
  from?: null | RetryFrom;
  version?: null | RetryVersion;
};

/** Which version of the workflow a retry runs. */
export type RetryVersion = "original" | "current";

/** When a schedule workflow runs next. */
export type ScheduleOut = {
  /**
   * Whether it runs at all (only an active workflow's schedule fires; `false` for a
   * preview).
   */
  active: boolean;
  /** The next run times, in UTC (RFC 3339). */
  next_runs: string[];
  /** The time zone the cron is read in (IANA name). */
  timezone: string;
};

/** What a key (and the sessions and stream tokens made with it) may do. */
export type Scope = "admin" | "read";

/** A security scheme of the document and the credential type that serves it. */
export type SecuritySchemeOut = {
  /** `basic`, `bearer`, `api_key`, `header` or `oauth2`. */
  credential_type: string;
  /** For `api_key`: `header` or `query`. */
  key_in: string | null;
  /** For `api_key`: the header or query parameter's name. */
  key_name: string | null;
  name: string;
};

export type SessionIn = {
  /** The API key to sign in with. */
  api_key: string;
};

export type SessionOut = {
  /**
   * Echo it in `X-CSRF-Token` on every state-changing call made with the cookie; `null`
   * when the caller used an API key.
   */
  csrf_token: string | null;
  expires_at: string | null;
  /** `admin` or `read`. */
  scope: Scope;
};

/** How a workflow document was written. */
export type SourceFormat = "yaml" | "json";

/** The outcome of one step. */
export type StepResult = {
  action: string;
  /** Attempts made (for `for_each`, the most any item needed); 0 if it never ran. */
  attempts: number;
  /** Wall time in microseconds. */
  duration_us?: number;
  error?: string | null;
  /**
   * What the action recorded with its failure (`ActionError::details`), e.g. the `status`,
   * `headers` and `body` of the answer an `http` step was refused with: bounded by the
   * action's own size caps, echoed credential secrets masked.
   */
  error_details?: unknown;
  finished_at?: string | null;
  /** The rendered config (credentials are referenced by name, never inlined). */
  input?: unknown;
  output?: unknown;
  /** The output port taken, for branching actions. */
  port?: string | null;
  response?: null | Response;
  started_at?: string | null;
  status: StepStatus;
  step_id: string;
};

/**
 * One attempt of a step (of one item, for `for_each`), or the step's final result
 * (`is_final`): a row of the journal.
 */
export type StepRunOut = {
  action: string | null;
  attempt: number;
  /** Wall time in microseconds. */
  duration_us: number | null;
  error: string | null;
  /**
   * What the action recorded with its failure, e.g. the `status`, `headers` and `body` of
   * the answer a failed `http` step got (secrets masked).
   */
  error_details: unknown;
  /** Which take-up of the execution wrote it (0: copied by a retry from the failed step). */
  execution_attempt: number;
  execution_id: string;
  finished_at: string | null;
  id: string;
  /** The rendered config. */
  input: unknown;
  is_final: boolean;
  item_index: number | null;
  output: unknown;
  /** The output port taken, for branching actions. */
  port: string | null;
  response: null | Response;
  started_at: string | null;
  status: StepStatus;
  step_id: string;
};

/**
 * Where a step (or one attempt of it, a row of the journal) is: the one step status of the
 * engine, the store, the API and the editor. A step's final result is `succeeded`, `failed`,
 * `skipped` or `cancelled`; an attempt in progress is `running`, or `retrying` when it failed
 * and another follows.
 */
export type StepStatus = "running" | "retrying" | "succeeded" | "failed" | "skipped" | "cancelled" | "waiting";

export type StreamTokenOut = {
  expires_at: string;
  /** Send it as `?access_token=` to an event stream (`…/events`); nothing else takes it. */
  token: string;
};

/** What a test run uses instead of calling out: see [`TriggerEvent::test`]. */
export type TestData = {
  /** Run only this step: every other one is pinned or skipped. */
  only?: string | null;
  /**
   * Outputs that stand for these steps (by step id): a pinned step is not run, its result
   * is `succeeded` with this output and `{"pinned": true}` as its input.
   */
  pins?: Record<string, unknown>;
};

/** A call captured at the test URL. */
export type TestEventOut = {
  execution_id: string;
  /** The request as the workflow sees it under `trigger` (secret headers redacted). */
  request: TriggerEvent;
};

/** `POST /credentials/{name}/test`: a URL to call with the credential (optional). */
export type TestIn = {
  /** Called with `GET` through the `http` action (host binding and outbound policy apply). */
  url?: string | null;
};

/** The result of `POST /credentials/{name}/test`. */
export type TestResult = {
  message: string;
  ok: boolean;
  /** The status the test URL answered with. */
  status?: number | null;
};

/** A test run: what it starts from and what stands in for calls. */
export type TestRunIn = {
  /** Use the workflow's pins (default true). */
  pins?: boolean;
  /** Run only this step (for real), with the others pinned or skipped. */
  step?: string | null;
  /** Step outputs that stand for these steps (over the pinned ones), e.g. the last run's. */
  steps?: Record<string, unknown>;
  trigger?: null | TriggerPin;
};

/** The trigger event as templates see it under `trigger`. */
export type TriggerEvent = {
  body: unknown;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** `webhook`, `schedule` or `manual`. */
  kind: string;
  method: string;
  parent?: null | ParentRef;
  path: string;
  query: Record<string, string>;
  test?: null | TestData;
};

/** `GET /triggers`: every trigger kind. */
export type TriggerKindList = {
  items: TriggerKindOut[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/** A trigger kind: what a workflow's `trigger.type` may be. */
export type TriggerKindOut = {
  description: string;
  /** The `type:` of the trigger in a workflow document (`webhook`, `schedule`, `manual`, …). */
  kind: string;
  title: string;
};

/** What starts a workflow, as lists and records show it. */
export type TriggerOut = {
  /** The webhook's path (below `/hooks/`), for a webhook trigger. */
  path: string | null;
  /** `webhook`, `schedule` or `manual`. */
  type: string;
};

/** A trigger event to test with: what a caller would send (a captured test event, or typed). */
export type TriggerPin = {
  /** `trigger.body`. */
  body?: unknown;
  /** `trigger.headers` (names in any case; templates read them lower-case). */
  headers?: Record<string, string>;
  /** `trigger.query`. */
  query?: Record<string, string>;
};

/** The answer of `POST /workflows/validate`. */
export type ValidationOut = {
  /** Every problem at once, each located. */
  problems: Problem[];
  valid: boolean;
};

/** `GET /workflows/{id}/versions`: newest first. */
export type VersionList = {
  items: VersionSummaryOut[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/** One saved version with its document. */
export type VersionOut = {
  created_at: string;
  /** What the save changed, in its author's words. */
  message: string | null;
  source_format: SourceFormat;
  version: number;
  /** The workflow document, as in the YAML format. */
  workflow: Record<string, unknown>;
};

/** `PATCH /workflows/{id}/versions/{version}`. */
export type VersionPatchIn = {
  /** The version's message; `null` or empty clears it. */
  message: string | null;
};

/** A saved version in a list. */
export type VersionSummaryOut = {
  created_at: string;
  /** Whether this is the workflow's current version. */
  current: boolean;
  /**
   * What the save changed, in its author's words (`?message=` on a save, or `PATCH` on the
   * version later).
   */
  message: string | null;
  source_format: SourceFormat;
  version: number;
};

/** `GET /workflows`: every workflow, by name. */
export type WorkflowList = {
  items: WorkflowSummaryOut[];
  /** Pass it as `?cursor=` for the next page; `null` on the last page. */
  next_cursor: string | null;
};

/** A workflow with its current version's document. */
export type WorkflowOut = {
  active: boolean;
  created_at: string;
  description: string | null;
  id: string;
  name: string;
  /** How the current version was written (`yaml` keeps its text for export). */
  source_format: SourceFormat;
  trigger: TriggerOut;
  updated_at: string;
  /** The current version; every save makes a new one. */
  version: number;
  /** The test URL (runs the current version, active or not, while someone listens). */
  webhook_test_url: string | null;
  /** The production URL, for a webhook trigger (relative unless `WEFT_PUBLIC_URL` is set). */
  webhook_url: string | null;
  /** The workflow document, as in the YAML format (`docs/workflow.schema.json`). */
  workflow: Record<string, unknown>;
};

/** A workflow in a list: no document, but its last execution. */
export type WorkflowSummaryOut = {
  active: boolean;
  created_at: string;
  description: string | null;
  id: string;
  last_execution: null | LastExecutionOut;
  name: string;
  trigger: TriggerOut;
  updated_at: string;
  version: number;
};

/** The query string of `import_connector`. */
export type ImportConnectorQuery = {
  /**
   * The connector's name (its actions are `<name>.<operation>`); from the document's title
   * when absent. An existing name gets a new version.
   */
  name?: string;
  /** Where requests go instead of the document's `servers` (e.g. a test server). */
  base_url?: string;
};

/** The query string of `list_deliveries`. */
export type ListDeliveriesQuery = {
  /** Only the deliveries of this execution. */
  execution_id?: string;
  /** Only the deliveries of this workflow's executions. */
  workflow_id?: string;
  /** Only deliveries with this status. */
  status?: DeliveryStatus;
  /** From the previous page's `next_cursor`. */
  cursor?: string;
  /** 1 to 200 (default 50). */
  limit?: number;
};

/** The query string of `list_executions`. */
export type ListExecutionsQuery = {
  workflow_id?: string;
  /** Only executions with this status. */
  status?: ExecutionStatus;
  /** Only test executions (`true`) or only real ones (`false`). */
  test?: boolean;
  /** RFC 3339: only executions created at or after. */
  since?: string;
  /** RFC 3339: only executions created before. */
  until?: string;
  /** From the previous page's `next_cursor`. */
  cursor?: string;
  /** 1 to 200 (default 50). */
  limit?: number;
};

/** The query string of `preview_schedule`. */
export type PreviewScheduleQuery = {
  /** A cron expression: five fields, or six with seconds first. */
  cron: string;
  /** An IANA time zone; default UTC. */
  timezone?: string;
  /** How many run times (default 5, at most 100). */
  count?: number;
};

/** The query string of `create_workflow`. */
export type CreateWorkflowQuery = {
  /** What this save changes, shown beside the version (at most 500 characters). */
  message?: string;
};

/** The query string of `update_workflow`. */
export type UpdateWorkflowQuery = {
  /** What this save changes, shown beside the version (at most 500 characters). */
  message?: string;
};

/** The query string of `run_workflow`. */
export type RunWorkflowQuery = {
  /**
   * Wait for the result (up to the server's sync wait, or until it waits: `action: wait`)
   * instead of answering 202 at once.
   */
  wait?: boolean;
};

/** The query string of `get_schedule`. */
export type GetScheduleQuery = {
  /** How many run times (default 5, at most 100). */
  count?: number;
};

/** The query string of `listen_test_event`. */
export type ListenTestEventQuery = {
  /** Seconds to wait for a call to the test URL (default 60, at most 300). */
  timeout?: number;
};

/** The query string of `test_run`. */
export type TestRunQuery = {
  /**
   * Wait for the result (up to the server's sync wait, or until it waits: `action: wait`)
   * instead of answering 202 at once.
   */
  wait?: boolean;
};
