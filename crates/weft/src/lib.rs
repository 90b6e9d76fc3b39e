//! The `weft` binary: the command line and the server. `main` calls [`run`], which parses the
//! command line (`cli`) and dispatches: `weft run` and `validate` need no database, the admin
//! commands (`admin`) reach one directly or through `--server`, and `weft serve` (`serve`)
//! wires store, worker and API into one process.

mod admin;
mod cli;
mod config;
mod deliveries;
mod listen;
mod local;
mod serve;
mod trace;
mod trigger_runtime;

use std::process::ExitCode;

use clap::Parser;

pub use cli::Cli;

/// Exit status of a run whose execution failed, and of `validate` finding problems.
pub const EXIT_FAILED: u8 = 1;
/// Exit status for an invalid workflow or wrong usage.
pub const EXIT_USAGE: u8 = 2;

/// Parses the command line and runs the command.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    runtime.block_on(cli::dispatch(cli))
}

fn init_tracing(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("WEFT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // `WEFT_LOG_FORMAT=json`: one JSON object per line, with the fields of the spans it is in
    // (`execution_id`, `step_id`, …), for log collectors.
    let json = std::env::var("WEFT_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().with_current_span(true).try_init()
    } else {
        builder.try_init()
    };
}

/// The registry with every built-in action (one shared HTTP client, with the default outbound
/// policy: every non-public address refused) and every trigger kind (`triggers::kinds`).
pub fn registry() -> engine::Registry {
    with_triggers(actions::registry(actions::http_client()))
}

/// [`registry`] with an outbound policy (`--outbound-allow`, `WEFT_OUTBOUND_ALLOW`).
pub fn registry_with(policy: actions::outbound::Policy) -> engine::Registry {
    with_triggers(actions::registry(actions::http_client_with(policy)))
}

/// [`registry`] whose actions call out through `client` (the one client of `weft serve`, which
/// its delivery runner sends with too).
pub fn registry_with_client(client: actions::HttpClient) -> engine::Registry {
    with_triggers(actions::registry(client))
}

fn with_triggers(mut registry: engine::Registry) -> engine::Registry {
    registry.with_triggers(triggers::kinds().clone());
    registry
}

/// The workflow JSON Schema (what `weft schema` prints and `docs/workflow.schema.json` holds).
pub fn workflow_schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&engine::schema::workflow_schema(&registry()))
        .expect("a schema serializes");
    s.push('\n');
    s
}

/// The API's OpenAPI document (what `weft openapi` prints, `docs/openapi.json` holds and
/// `/api/v1/openapi.json` serves).
pub fn openapi_text() -> String {
    let mut s = serde_json::to_string_pretty(&api::openapi()).expect("a document serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_openapi_document_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == super::openapi_text(),
            "docs/openapi.json is stale; regenerate it with `cargo run -p weft -- openapi > docs/openapi.json` (then `npm --prefix web-ui run generate`)"
        );
    }

    #[test]
    fn the_committed_workflow_schema_is_up_to_date() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/workflow.schema.json"
        );
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == super::workflow_schema_text(),
            "docs/workflow.schema.json is stale; regenerate it with `cargo run -p weft -- schema > docs/workflow.schema.json`"
        );
    }
}
