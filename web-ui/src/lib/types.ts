// The editor's names for the server's contract. Every shape comes from src/generated/ (generated
// from docs/openapi.json and docs/workflow.schema.json, checked by `npm run lint`); this file only
// renames, picks variants, and types the fields the contract leaves open (a workflow document
// inside an API record, a config schema). Nothing here declares a field of its own.

import type * as api from '../generated/openapi';
import type * as doc from '../generated/workflow';
import type { JsonSchema } from '../editor/form/jsonSchema';

// ---------------------------------------------------------------------------------------------
// The workflow document (the same shape as the YAML).

export type { AuthKind, HmacPreset, OnError, RespondMode, Retry, WebhookAuth } from '../generated/workflow';
export type Trigger = doc.Trigger;
export type TriggerType = Trigger['type'];
export type WebhookTrigger = Extract<Trigger, { type: 'webhook' }>;
export type ScheduleTrigger = Extract<Trigger, { type: 'schedule' }>;
export type ManualTrigger = Extract<Trigger, { type: 'manual' }>;
export type UiPosition = doc.Ui;

/** A step. `action` is any kind the server lists (`GET /actions`), and fields the editor does not
 * know are kept as they are (the editor round-trips them). */
export type Step = Omit<doc.Step, 'action'> & { action: string; [field: string]: unknown };

export type WorkflowDocument = Omit<doc.Workflow, 'steps'> & { steps?: Step[]; [field: string]: unknown };

// ---------------------------------------------------------------------------------------------
// Errors and validation.

export type {
  ErrorCode,
  Location as ProblemLocation,
  Problem,
  ExecutionStatus,
  StepStatus,
  SourceFormat,
  Scope,
  RetryFrom,
  StepResult,
  ExecutionError,
  Response as ExecutionResponse,
  TriggerEvent as CapturedRequest,
  ExecutionList,
  ExecutionSummaryOut as ExecutionSummary,
  StepRunOut as StepRun,
  Accepted as RunAccepted,
  TestEventOut as TestEvent,
  VersionSummaryOut as VersionSummary,
  VersionList,
  SessionOut,
  StreamTokenOut,
  CredentialIn,
  CredentialUpdate,
  TestResult as CredentialTestResult,
  ConnectOut as CredentialConnect,
  ListExecutionsQuery,
  ListenTestEventQuery,
  RunWorkflowQuery,
  ScheduleOut,
  DeliveryOut as Delivery,
  DeliveryList,
  DeliveryStatus,
  DeliveryAttemptOut as DeliveryAttempt,
  ListDeliveriesQuery,
  ProcessOut as Process,
  ProcessList,
  ProcessState,
  ConnectorOut as Connector,
  ConnectorList,
  ConnectorDetailOut as ConnectorDetail,
  ImportedOut as ConnectorImported,
  ConnectorInfo,
  DraftOut as Draft,
  PinsIn,
  PinsOut as Pins,
  TriggerPin,
  TestRunIn,
  RenderIn,
  RenderOut,
  RenderError,
} from '../generated/openapi';
export type ApiErrorBody = api.ErrorBody;
/** The data of an event stream's `step` events. */
export type StepEvent = Exclude<api.ExecutionEventKind, { type: 'execution' | 'status' }>;
/** The data of an event stream's `status` events: it waits, or was queued again to resume. */
export type StatusEvent = Extract<api.ExecutionEventKind, { type: 'status' }>;
/** The data of an event stream's last event, `execution`. */
export type ExecutionEvent = Extract<api.ExecutionEventKind, { type: 'execution' }>;
export type ValidationResult = api.ValidationOut;

// ---------------------------------------------------------------------------------------------
// Resources whose document or schema the contract leaves open.

/** `WorkflowOut`: a workflow with its current version's document. */
export type Workflow = Omit<api.WorkflowOut, 'workflow' | 'trigger'> & {
  trigger: WorkflowTrigger;
  workflow: WorkflowDocument;
};

/** `TriggerOut`, with its type narrowed to the document's trigger types. */
export type WorkflowTrigger = Omit<api.TriggerOut, 'type'> & { type: TriggerType };

/** An item of `GET /workflows`. */
export type WorkflowSummary = Omit<api.WorkflowSummaryOut, 'trigger'> & { trigger: WorkflowTrigger };
export type WorkflowList = Omit<api.WorkflowList, 'items'> & { items: WorkflowSummary[] };

/** One saved version with its document. */
export type WorkflowVersion = Omit<api.VersionOut, 'workflow'> & { workflow: WorkflowDocument };

/** `GET /executions/{id}` (with `attempts`), a finished `?wait=true` run, a cancel's answer. */
export type Execution = api.ExecutionOut;

/** An action kind with the `with:` schema its form is drawn from. */
export type ActionInfo = Omit<api.ActionInfo, 'config_schema'> & { config_schema: JsonSchema };
export type ActionList = Omit<api.ActionList, 'items'> & { items: ActionInfo[] };

/** A credential's `status`: usable, an OAuth2 one not connected yet, or one whose renewal the
 * provider refused (connect it again). */
export type CredentialStatus = api.CredentialStatus;
/** Where a credential is kept: the database (managed in the editor) or the operator's file and
 * environment (read-only). */
export type CredentialSource = api.CredentialSource;

/** `CredentialView`: a credential as the API shows it (never a secret). */
export type Credential = api.CredentialView;
export type CredentialList = Omit<api.CredentialList, 'items'> & { items: Credential[] };

/** `KindInfo`: a credential type with the JSON Schema of its `data` the form is drawn from. */
export type CredentialTypeInfo = Omit<api.KindInfo, 'schema'> & { schema: JsonSchema };
export type CredentialTypeList = Omit<api.CredentialTypeList, 'items'> & { items: CredentialTypeInfo[] };
