//! `GET /processes`: the `weft serve` and `weft worker` processes on this database, alive,
//! stopped or dead, with what each runs now (an execution's `process` names one of them).

use axum::Json;
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiResult;

/// A process sharing the database.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ProcessOut {
    /// Its id: what an execution's `process` says.
    pub id: String,
    pub kind: store::ProcessKind,
    /// `alive`: its heartbeat is recent; `stopped`: it shut down; `dead`: neither (killed,
    /// or paused for longer than a few heartbeats).
    pub state: store::ProcessState,
    pub host: String,
    pub pid: u32,
    /// The Weft version it runs.
    pub version: String,
    /// Its execution slots (0 for `api`).
    pub concurrency: usize,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub heartbeat_at: chrono::DateTime<chrono::Utc>,
    #[schema(required)]
    pub stopped_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Executions it holds a claim on now.
    pub running: u64,
    /// Its writes rejected because it had lost an execution's lease to another process, as
    /// of its last heartbeat.
    pub fenced_writes: u64,
}

impl From<store::ProcessRecord> for ProcessOut {
    fn from(p: store::ProcessRecord) -> Self {
        ProcessOut {
            id: p.id,
            kind: p.kind,
            state: p.state,
            host: p.host,
            pid: p.pid,
            version: p.version,
            concurrency: p.concurrency,
            started_at: p.started_at,
            heartbeat_at: p.heartbeat_at,
            stopped_at: p.stopped_at,
            running: p.running,
            fenced_writes: p.fenced_writes,
        }
    }
}

super::list_of!(
    /// `GET /processes`: the newest first.
    ProcessList,
    ProcessOut
);

/// The processes on this database (the 200 newest; those that ended a week ago are
/// forgotten).
#[utoipa::path(get, path = "/processes", tag = "operations",
    responses((status = 200, body = ProcessList)))]
async fn list_processes(_: Caller, State(state): State<AppState>) -> ApiResult<Json<ProcessList>> {
    let items = state.store.list_processes().await?;
    Ok(Json(ProcessList::all(
        items.into_iter().map(ProcessOut::from).collect(),
    )))
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_processes))
}
