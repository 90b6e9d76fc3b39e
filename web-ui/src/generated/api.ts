// Types of the Weft REST API and of the workflow document.
//
// Hand-written for now, mirroring the REST contract of `/api/v1`. They will be generated from the
// server's OpenAPI document (and the workflow JSON Schema) by the project's code generator, and a
// test will fail when they drift; until then, keep them in step with `crates/api` and
// `docs/workflow.schema.json` by hand. Do not add editor-only types here.

// ---------------------------------------------------------------------------------------------
// The workflow document (the same shape as the YAML).

export type RespondMode = 'async' | 'sync';
export type AuthKind = 'none' | 'header' | 'basic' | 'hmac';
export type HmacPreset = 'standard-webhooks' | 'stripe' | 'github' | 'generic';

export interface WebhookAuth {
  type: AuthKind;
  preset?: HmacPreset | null;
  credential?: string | null;
  header?: string | null;
}

export interface WebhookTrigger {
  type: 'webhook';
  path: string;
  methods?: string[] | null;
  respond?: RespondMode | null;
  auth?: WebhookAuth | null;
}

export interface ScheduleTrigger {
  type: 'schedule';
  cron: string;
  timezone?: string | null;
}

export interface ManualTrigger {
  type: 'manual';
}

export type Trigger = WebhookTrigger | ScheduleTrigger | ManualTrigger;
export type TriggerType = Trigger['type'];

export interface Retry {
  max_attempts: number;
  backoff?: 'fixed' | 'exponential' | null;
  initial_delay?: string | null;
  max_delay?: string | null;
}

export interface UiPosition {
  x: number;
  y: number;
}

/** A step. Unknown fields are kept as they are (the editor round-trips them). */
export interface Step {
  id: string;
  action: string;
  name?: string | null;
  description?: string | null;
  after?: string[] | null;
  with?: unknown;
  retry?: Retry | null;
  timeout?: string | null;
  for_each?: unknown;
  concurrency?: number | null;
  continue_on_error?: boolean | null;
  ui?: UiPosition | null;
  [field: string]: unknown;
}

export interface WorkflowDocument {
  name: string;
  description?: string | null;
  trigger: Trigger;
  timeout?: string | null;
  steps?: Step[];
  [field: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Errors and validation problems.

export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export interface ProblemLocation {
  line: number;
  column: number;
}

export interface Problem {
  /** Path in the document, e.g. `steps[2].with.url`. */
  path: string;
  /** The step concerned, by id. */
  step?: string | null;
  /** The field within the step (e.g. `with.url`) or the document (e.g. `trigger.path`). */
  field?: string | null;
  location?: ProblemLocation | null;
  message: string;
}

export interface ValidationResult {
  valid: boolean;
  problems: Problem[];
}

// ---------------------------------------------------------------------------------------------
// Workflows (`crates/api/src/v1/workflows.rs`, records of `crates/store/src/records.rs`).

export type ExecutionStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
/** A step's final status (`engine::journal::StepStatus`). */
export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled';
/** A step run's status (`store::StepRunStatus`): a final status, or one of an attempt in progress. */
export type StepRunStatus = StepStatus | 'running' | 'retrying';
export type SourceFormat = 'yaml' | 'json';

/** `store::LastExecution`. */
export interface LastExecution {
  id: string;
  status: ExecutionStatus;
  created_at: string;
  finished_at: string | null;
}

/** An item of `GET /workflows`: `store::WorkflowSummary` with `trigger`. */
export interface WorkflowSummary {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  version: number;
  webhook_path: string | null;
  trigger_kind: TriggerType;
  created_at: string;
  updated_at: string;
  last_execution: LastExecution | null;
  /** The trigger's type, and its path for a webhook. */
  trigger: { type: TriggerType; path?: string };
}

export interface WorkflowList {
  items: WorkflowSummary[];
}

/** `WorkflowOut`: a workflow with its current version's document. */
export interface Workflow {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  version: number;
  webhook_path: string | null;
  /** The production URL, for a webhook trigger. */
  webhook_url: string | null;
  /** The test URL (runs the current version, active or not). */
  webhook_test_url: string | null;
  source_format: SourceFormat;
  created_at: string;
  updated_at: string;
  workflow: WorkflowDocument;
}

/** `store::VersionSummary`. */
export interface VersionSummary {
  version: number;
  format: SourceFormat;
  created_at: string;
  /** Whether this is the workflow's current version. */
  current: boolean;
}

export interface VersionList {
  items: VersionSummary[];
}

export interface WorkflowVersion {
  version: number;
  created_at: string;
  source_format: SourceFormat;
  workflow: WorkflowDocument;
}

/** 202 of a run, a retry or an async webhook. */
export interface RunAccepted {
  execution_id: string;
  status_url: string;
  /** An execution with the same idempotency key existed: it is this one. */
  duplicate: boolean;
}

/** The trigger event (`engine::TriggerEvent`): what templates read as `trigger`. */
export interface CapturedRequest {
  /** `webhook`, `schedule` or `manual`. */
  kind: string;
  method: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

/** `GET /workflows/{id}/test-event` (204, `null` here, when no call came in time). */
export interface TestEvent {
  execution_id: string;
  request: CapturedRequest;
}

// ---------------------------------------------------------------------------------------------
// Executions (`crates/api/src/v1/executions.rs`).

/** `engine::journal::ExecutionError`. */
export interface ExecutionError {
  step_id?: string;
  message: string;
}

/** What a `respond` step answered (`engine::Response`). */
export interface ExecutionResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** An item of `GET /executions` (`store::ExecutionSummary`). */
export interface ExecutionSummary {
  id: string;
  workflow_id: string;
  version: number;
  status: ExecutionStatus;
  /** `webhook`, `schedule` or `manual`. */
  trigger_kind: string;
  error: ExecutionError | null;
  /** Started from the test URL. */
  test: boolean;
  /** How many times a worker claimed it. */
  attempt: number;
  /** The execution this one retries. */
  retry_of: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

/** `GET /executions?…` (`store::ExecutionPage`), newest first. */
export interface ExecutionList {
  items: ExecutionSummary[];
  next_cursor: string | null;
}

/** `store::ExecutionRecord`, as `POST /executions/{id}/cancel` answers it. */
export interface ExecutionRecord extends ExecutionSummary {
  request: CapturedRequest;
  response: ExecutionResponse | null;
  output: unknown;
  idempotency_key: string | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  cancel_requested: boolean;
}

/** A step's final result (`engine::StepResult`); absent fields are left out, not null. */
export interface StepResult {
  step_id: string;
  action: string;
  status: StepStatus;
  /** Attempts made (for `for_each`, the most any item needed); 0 if it never ran. */
  attempts: number;
  /** The rendered config. */
  input?: unknown;
  output?: unknown;
  error?: string;
  /** The output port taken, for branching actions. */
  port?: string;
  /** What a `respond` step sent. */
  response?: ExecutionResponse;
  started_at?: string;
  finished_at?: string;
  /** Wall time in microseconds. */
  duration_us: number;
}

/** One row of the journal (`store::StepRunRecord`): an attempt (of one item, for `for_each`),
 * or the step's final result (`is_final`). */
export interface StepRun {
  id: string;
  execution_id: string;
  execution_attempt: number;
  step_id: string;
  action: string | null;
  item_index: number | null;
  attempt: number;
  status: StepRunStatus;
  is_final: boolean;
  input: unknown;
  output: unknown;
  error: string | null;
  port: string | null;
  response: ExecutionResponse | null;
  started_at: string | null;
  finished_at: string | null;
  duration_us: number | null;
}

/** `GET /executions/{id}`: the record with every step's final result and every attempt. */
export interface Execution extends ExecutionRecord {
  steps: StepResult[];
  attempts: StepRun[];
}

export type RetryFrom = 'start' | 'failed_step';

/** Data of the `step` events of `GET /api/v1/executions/{id}/events`. */
export type StepEvent =
  | { type: 'started'; step_id: string; item_index: number | null; attempt: number; at: string }
  | { type: 'retrying'; step_id: string; item_index: number | null; attempt: number; error: string; delay_ms: number }
  | ({ type: 'finished' } & StepResult);

/** Data of the `execution` event: the final status; the stream ends after it. */
export interface ExecutionEvent {
  status: ExecutionStatus;
}

// ---------------------------------------------------------------------------------------------
// Actions.

export interface ActionInfo {
  kind: string;
  title: string;
  description: string;
  /** JSON Schema (2020-12) of the step's `with:`. */
  config_schema: JsonSchema;
}

/** The subset of JSON Schema the editor's forms read. */
export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  title?: string;
  description?: string;
  default?: unknown;
  examples?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  [keyword: string]: unknown;
}
