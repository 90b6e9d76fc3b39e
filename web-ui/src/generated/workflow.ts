// Generated from docs/workflow.schema.json by web-ui/scripts/generate-types.mjs; do not edit.
// Regenerate with `npm --prefix web-ui run generate` after changing the server.

/** A workflow: a trigger and a DAG of steps. */
export type Workflow = {
  /** Shown in the editor and in execution lists. */
  name: string;
  description?: string | null;
  /** What starts an execution. */
  trigger: Trigger;
  /** Upper bound for a whole execution, e.g. `5m`. Default: the engine's setting. */
  timeout?: string | null;
  /**
   * How many executions of this workflow run at once (per key value when `key` is set);
   * the others wait in the queue, oldest first.
   */
  concurrency?: ConcurrencyLimit | null;
  /** The steps, in document order. A step without `after` runs after the one listed before it. */
  steps?: Step[];
  /** A workflow to run when an execution of this one fails. */
  on_error?: OnError | null;
  /**
   * Which finished executions of this workflow are kept, instead of the server's
   * `retention_age` / `retention_count`; `{}` keeps them all.
   */
  retention?: RetentionPolicy | null;
};

/** What starts an execution. */
export type Trigger = {
  type: "webhook";
  /** Served at `/hooks/{path}`; `[a-z0-9-_/]` only. */
  path: string;
  /** Allowed HTTP methods, default `[POST]`. */
  methods?: string[] | null;
  /** `async` (default): answer 202 at once; `sync`: wait and answer with the result. */
  respond?: RespondMode | null;
  auth?: WebhookAuth | null;
  /**
   * At most N calls per second, minute or hour (`100/s`, `10/min`, `1000/h`), counted per
   * workflow in fixed windows; beyond it the hook answers 429 with `Retry-After`.
   */
  rate_limit?: string | null;
  /**
   * With `respond: sync`, the answer when the execution fails (default: a 500 naming the
   * execution).
   */
  on_failure?: OnFailure | null;
} | {
  type: "schedule";
  /** A cron expression: five fields (minute hour day month weekday), or six with seconds first. */
  cron: string;
  /**
   * IANA time zone name, e.g. `Europe/Paris`; default UTC. Daylight saving time follows the
   * zone: a time skipped by the change runs at the first time after it, a time that occurs
   * twice runs once.
   */
  timezone?: string | null;
  /**
   * What to do with ticks missed while Weft was not running: `skip` (default) drops them;
   * `run_once` runs one execution for all of them when Weft is back (its body says how many).
   */
  catch_up?: CatchUp | null;
} | {
  type: "manual";
};

export type RespondMode = "async" | "sync";

export type WebhookAuth = {
  type: AuthKind;
  /** For `hmac`: how the signature is carried. */
  preset?: HmacPreset | null;
  /** Name of the stored credential holding the secret. */
  credential?: string | null;
  /**
   * For `header`: the header carrying the token (default `authorization`);
   * for `hmac` with the `generic` preset: the header carrying the signature.
   */
  header?: string | null;
};

export type AuthKind = "none" | "header" | "basic" | "hmac";

export type HmacPreset = "standard-webhooks" | "stripe" | "github" | "generic";

/**
 * `on_failure:` of a sync webhook — the answer its caller gets when the execution fails,
 * instead of the default 500. Templates read `trigger`, `steps` and `execution` (with
 * `execution.error.message` and `execution.error.step_id`).
 */
export type OnFailure = {
  /** A 4xx or 5xx status (a number, or a template yielding one); 500 when absent. */
  status?: unknown;
  headers?: Record<string, string> | null;
  /** Any value; templates inside. */
  body?: unknown;
};

/** See [`ScheduleTrigger::catch_up`]. */
export type CatchUp = "skip" | "run_once";

/**
 * `concurrency:` of a workflow: at most `limit` of its executions run at once, per value of
 * `key` when it is set. A queued execution does not count; the others wait in the queue,
 * oldest first.
 */
export type ConcurrencyLimit = {
  /** How many run at once (at least 1). */
  limit: number;
  /**
   * A template reading `trigger` only, e.g. `{{trigger.body.customer_id}}`, rendered when
   * the execution is queued: the limit holds per value.
   */
  key?: string | null;
};

/** One step of the DAG: an action with its config and per-step options. */
export type Step = {
  /** `[a-z_][a-z0-9_]*`, unique in the workflow; templates read the output as `steps.<id>`. */
  id: string;
  /** The step type: `http`, `set`, `if`, `switch`, `respond`, `delay`, `fail`, `workflow`, …. */
  action: ("delay" | "fail" | "http" | "if" | "respond" | "set" | "switch" | "wait" | "webhook" | "workflow") | string;
  /** A human label for the editor. */
  name?: string | null;
  description?: string | null;
  /**
   * Steps (or `step.port` outputs) this one waits for. Absent: the step listed before;
   * `[]`: right after the trigger.
   */
  after?: string[] | null;
  /** The action's config; string leaves may hold `{{…}}` templates. */
  with?: unknown;
  retry?: Retry | null;
  /** Per attempt, e.g. `10s`. */
  timeout?: string | null;
  /** A template yielding an array: the action runs once per item, with `item` and `index`. */
  for_each?: unknown;
  /** How many `for_each` items run at once (default 1). */
  concurrency?: number | null;
  /** The step's failure becomes its output `{error}` and the workflow goes on. */
  continue_on_error?: boolean | null;
  /** Editor position. */
  ui?: Ui | null;
};

export type Retry = {
  /** Total attempts including the first (1 = no retry). */
  max_attempts: number;
  backoff?: Backoff | null;
  /** Delay before the second attempt (default `1s`). */
  initial_delay?: string | null;
  /** Upper bound of one delay (default `5m`). */
  max_delay?: string | null;
};

export type Backoff = "fixed" | "exponential";

/** Editor position of a node. */
export type Ui = {
  x: number;
  y: number;
};

/**
 * `on_error:` — when an execution fails, the named workflow runs (trigger kind `error`) with
 * `trigger.body = {execution_id, workflow, error: {message, step_id}}`.
 */
export type OnError = {
  /** The name of the workflow to run (any stored workflow, active or not). */
  workflow: string;
};

/**
 * `retention:` — the workflow's own rule for pruning its finished executions. It replaces
 * the server's rule for this workflow (a field not given does not apply).
 */
export type RetentionPolicy = {
  /** Keep only the newest this many finished executions. */
  keep?: number | null;
  /** Delete finished executions that finished longer ago than this, e.g. `30d`. */
  older_than?: string | null;
};

/** A template such as `{{steps.get_user.body.id}}`, rendered when the step runs. */
export type delay_Template = string;

/** Waits for a duration (at most 1h), then goes on. */
export type action_delay = {
  /** How long to wait, e.g. `500ms`, `2s`, `5m`; at most `1h`. */
  duration: string | delay_Template;
};

/** Stops the step with an error message; it is not retried. */
export type action_fail = {
  /** The error message, e.g. `"unknown plan {{trigger.body.plan}}"`. */
  message: string | number | boolean;
};

/** A template such as `{{steps.get_user.body.id}}`, rendered when the step runs. */
export type http_Template = string;

/**
 * How a list is read page by page. It stops at an empty page, a missing next URL or
 * cursor, or `max_pages`.
 */
export type http_Paginate = {
  /**
   * Where the next page's URL is: a path in the answer (`body.next`,
   * `body.links.next`, `headers.x-next-page`), or `link` for the `Link` header's
   * `rel="next"`. A relative URL is read against the current one.
   */
  next_url?: string | null;
  /** A cursor read from each answer and sent as a query parameter of the next request. */
  cursor?: http_CursorPaging | null;
  /** A page number sent as a query parameter, counting up from `start`. */
  page?: http_PagePaging | null;
  /** An offset sent as a query parameter, growing by `limit` (sent as `limit_param`). */
  offset?: http_OffsetPaging | null;
  /** Where each answer holds its list, e.g. `body.data`; the body itself when absent. */
  items?: string | null;
  /** The most pages read; 100 when absent. */
  max_pages?: number | null;
};

export type http_CursorPaging = {
  /** A path in the answer, e.g. `body.meta.next_cursor`. */
  from: string;
  /** The query parameter the cursor is sent as, e.g. `cursor`. */
  param: string;
};

export type http_PagePaging = {
  /** The query parameter, e.g. `page`. */
  param: string;
  /** The first page's number; 1 when absent. */
  start?: number | null;
};

export type http_OffsetPaging = {
  /** The query parameter of the offset, e.g. `offset`. */
  param: string;
  /** The query parameter of the page size, e.g. `limit` (not sent when absent). */
  limit_param?: string | null;
  /** The page size: the offset grows by it. */
  limit: number;
};

/** Calls an HTTP API and returns {status, headers, body}; the body is parsed when the response is JSON. */
export type action_http = {
  /** The HTTP method; GET when absent. */
  method?: (("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") | http_Template) | null;
  /** An absolute `http://` or `https://` URL. */
  url: string | http_Template;
  /** Request headers by name. */
  headers?: (Record<string, (string | number | boolean) | (string | number | boolean)[] | null> | http_Template) | null;
  /** Query parameters, appended to those already in `url`. */
  query?: (Record<string, (string | number | boolean) | (string | number | boolean)[] | null> | http_Template) | null;
  /** A body sent as JSON (`Content-Type: application/json` unless `headers` sets one). */
  json?: unknown;
  /** A body sent as an urlencoded form. */
  form?: (Record<string, (string | number | boolean) | (string | number | boolean)[] | null> | http_Template) | null;
  /** A raw text body, sent as it is; set a `Content-Type` header to describe it. */
  body?: string | number | boolean | null;
  /**
   * The name of a stored credential (bearer, basic, API key or header) to authenticate
   * with. It overrides an `Authorization` (or API key) header set in `headers`. A credential
   * bound to hosts is sent only to them; it never follows a redirect to another origin. An
   * answer that echoes it shows it as `***`.
   */
  credential?: string | null;
  /** Statuses besides 2xx that are a success, e.g. `[404]`. */
  accept_status?: ((number | http_Template)[] | http_Template) | null;
  /**
   * How long the request (including reading the response) may take; the step's `timeout`
   * when absent.
   */
  timeout?: (string | http_Template) | null;
  /**
   * The largest response body read, e.g. `20MiB`, `512KiB` or a number of bytes; 10 MiB
   * when absent. A larger body fails the step.
   */
  max_response_size?: ((string | number) | http_Template) | null;
  /**
   * Reads a list over several pages: one of `next_url`, `cursor`, `page` or `offset`,
   * with `items` (where each answer holds its list) and `max_pages`. The output is then
   * `{items, pages}`: every page's items in order, and each page request (`url`,
   * `status`, `items`).
   */
  paginate?: http_Paginate | null;
};

/** Takes port `true` when the condition is truthy, else port `false`. */
export type action_if = {
  /** The condition, usually a template such as `"{{gt trigger.body.amount 1000}}"`. */
  condition: unknown;
};

/** A template such as `{{steps.get_user.body.id}}`, rendered when the step runs. */
export type respond_Template = string;

/** Sets the status, headers and body answered to the caller of a sync webhook. */
export type action_respond = {
  /** The HTTP status; 200 when absent. */
  status?: (number | respond_Template) | null;
  /** Response headers by name. */
  headers?: (Record<string, (string | number | boolean) | (string | number | boolean)[] | null> | respond_Template) | null;
  /** The body: any value; null when absent. */
  body?: unknown;
};

/** Builds a value from templates; the step's output is that value. */
export type action_set = {
  /** The value to build, e.g. `{ user_id: "{{steps.create_user.body.id}}" }`. */
  value: unknown;
};

/** Takes the port of the first case whose value matches, else `default`. */
export type action_switch = {
  /** The value to match, usually a template such as `"{{trigger.body.plan}}"`. */
  value: unknown;
  /**
   * Case name → the value that selects it, tried in order. Names are the step's ports:
   * `[a-z0-9_-]+`, not `default`.
   */
  cases: Record<string, unknown>;
};

/** A template such as `{{steps.get_user.body.id}}`, rendered when the step runs. */
export type wait_Template = string;

/** What a callback wait waits for. */
export type wait_WaitFor = "callback";

/** Holds the execution for a duration, until a time, or until a request reaches its resume URL (approvals, callbacks). */
export type action_wait = {
  /** How long to wait, e.g. `30s`, `2h`, `2d`. */
  duration?: (string | wait_Template) | null;
  /** Until when: an RFC 3339 timestamp such as `2027-01-31T09:00:00Z`. */
  until?: string | null;
  /** `callback`: until a request reaches `{{execution.resume_url}}`. */
  for?: wait_WaitFor | null;
  /** For a callback: how long to wait for it (default `7d`); then the step fails. */
  timeout?: (string | wait_Template) | null;
  /**
   * For a callback: a JSON Schema object of fields; `GET` on the resume URL then shows a
   * form whose submission resumes the execution.
   */
  form?: unknown;
};

/** A template such as `{{steps.get_user.body.id}}`, rendered when the step runs. */
export type webhook_Template = string;

/** POSTs a signed JSON message (Standard Webhooks), delivered durably: retried until a 2xx answers. Output {delivery_id, message_id}; with wait, also {status, attempts, last_status}. */
export type action_webhook = {
  /** An absolute `http://` or `https://` URL to POST to. */
  url: string | webhook_Template;
  /** The message, sent as JSON (`null` when absent). */
  body?: unknown;
  /** Extra request headers by name (not the `webhook-*` ones, which Weft sets). */
  headers?: (Record<string, string | number | boolean> | webhook_Template) | null;
  /**
   * The name of a `secret` credential (`whsec_…` base64, or raw text) that signs each
   * attempt; unsigned when absent. A secret bound to hosts signs only deliveries to them.
   */
  credential?: string | null;
  /**
   * Wait until the message is delivered (or failed for good) instead of only until it is
   * queued; a message that fails for good then fails the step.
   */
  wait?: (boolean | webhook_Template) | null;
};

/** Runs another workflow by name as a child execution and, by default, waits for its result. */
export type action_workflow = {
  /** The name of the workflow to run. */
  workflow: string;
  /** The child's `trigger.body`: any value; null when absent. */
  input?: unknown;
  /**
   * Wait for the child to finish and output its result (default), or go on once it is
   * queued.
   */
  wait?: boolean;
};
