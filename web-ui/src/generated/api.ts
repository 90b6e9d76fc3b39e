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
// Workflows.

export type ExecutionStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type StepStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'running';

export interface LastExecution {
  id: string;
  status: ExecutionStatus;
  created_at: string;
}

export interface WorkflowSummary {
  id: string;
  name: string;
  description?: string | null;
  trigger: { type: TriggerType; path?: string | null; respond?: RespondMode | null };
  active: boolean;
  version: number;
  created_at: string;
  updated_at: string;
  last_execution: LastExecution | null;
}

export interface WorkflowList {
  items: WorkflowSummary[];
}

export interface Workflow {
  id: string;
  name: string;
  description?: string | null;
  active: boolean;
  version: number;
  created_at: string;
  updated_at: string;
  webhook_path?: string | null;
  workflow: WorkflowDocument;
}

export interface VersionSummary {
  version: number;
  name: string;
  created_at: string;
}

export interface VersionList {
  items: VersionSummary[];
}

export interface WorkflowVersion {
  version: number;
  created_at: string;
  workflow: WorkflowDocument;
}

export interface RunAccepted {
  execution_id: string;
  status_url: string;
}

export interface CapturedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
}

export interface TestEvent {
  execution_id: string;
  request: CapturedRequest;
}

// ---------------------------------------------------------------------------------------------
// Executions.

export interface ExecutionError {
  step_id?: string | null;
  message: string;
}

export interface ExecutionSummary {
  id: string;
  workflow_id: string;
  workflow_name: string;
  version: number;
  status: ExecutionStatus;
  trigger_kind: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  error: ExecutionError | null;
}

export interface ExecutionList {
  items: ExecutionSummary[];
  next_cursor: string | null;
}

export interface StepResult {
  step_id: string;
  action: string;
  status: StepStatus;
  attempts: number;
  input?: unknown;
  output?: unknown;
  error?: unknown;
  port?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
  duration_us?: number | null;
}

export interface StepRun {
  step_id: string;
  attempt: number;
  status: string;
  started_at?: string | null;
  finished_at?: string | null;
  error?: unknown;
  [field: string]: unknown;
}

export interface Execution extends ExecutionSummary {
  request?: CapturedRequest | null;
  response?: unknown;
  output?: unknown;
  steps: StepResult[];
  attempts?: StepRun[];
}

export type RetryFrom = 'start' | 'failed_step';

/** Data of the `step` event of `GET /api/v1/executions/{id}/events`. */
export interface StepEvent extends Partial<StepResult> {
  type: 'started' | 'retrying' | 'finished';
  step_id: string;
  attempt?: number;
}

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
