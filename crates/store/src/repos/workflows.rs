//! Workflows and their versions.

use std::collections::HashMap;

use sea_orm::prelude::Expr;
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use uuid::Uuid;

use crate::entity::{
    JsonText, execution, workflow, workflow_draft, workflow_pin, workflow_version,
};
use crate::error::{Error, Result};
use crate::records::{
    LastExecution, Route, VersionRecord, VersionSummary, WorkflowDoc, WorkflowRecord,
    WorkflowSummary, doc_of,
};
use crate::writer::Tx;
use crate::{SourceFormat, Store, now};

impl Store {
    /// Saves a new workflow as version 1, inactive.
    pub async fn create_workflow(&self, doc: WorkflowDoc) -> Result<WorkflowRecord> {
        let definition = definition_of(&doc)?;
        let at = now();
        let id = Uuid::now_v7();
        let row = workflow::Model {
            id,
            name: doc.workflow.name.clone(),
            description: doc.workflow.description.clone(),
            trigger_kind: doc.workflow.trigger.kind().to_string(),
            webhook_path: doc.webhook_path().map(str::to_string),
            active: false,
            current_version: 1,
            created_at: at,
            updated_at: at,
        };
        let version = version_row(id, 1, &doc, definition, at);
        let record = WorkflowRecord::with_doc(row.clone(), doc);
        self.write("create_workflow", true, move |txn| {
            Box::pin(async move {
                workflow::Entity::insert(workflow::ActiveModel::from(row))
                    .exec_without_returning(txn)
                    .await?;
                workflow_version::Entity::insert(version)
                    .exec_without_returning(txn)
                    .await?;
                Ok(record)
            })
        })
        .await
    }

    /// Saves `doc` as the workflow's next version, which becomes current at once (an active
    /// workflow serves it from now on). Fails with [`Error::Conflict`] when the workflow is
    /// active and another active workflow serves the new webhook path.
    pub async fn update_workflow(&self, id: Uuid, doc: WorkflowDoc) -> Result<WorkflowRecord> {
        let definition = definition_of(&doc)?;
        self.write("update_workflow", true, move |txn| {
            Box::pin(async move {
                let Some(current) = workflow::Entity::find_by_id(id).one(txn).await? else {
                    return Err(Error::not_found("workflow", id));
                };
                let path = doc.webhook_path().map(str::to_string);
                if current.active
                    && let Some(p) = &path
                {
                    ensure_path_free(txn, p, id).await?;
                }
                let at = now();
                let next = current.current_version + 1;
                let row = workflow::Model {
                    name: doc.workflow.name.clone(),
                    description: doc.workflow.description.clone(),
                    trigger_kind: doc.workflow.trigger.kind().to_string(),
                    webhook_path: path,
                    current_version: next,
                    updated_at: at,
                    ..current
                };
                workflow_version::Entity::insert(version_row(id, next, &doc, definition, at))
                    .exec_without_returning(txn)
                    .await?;
                let mut am = workflow::ActiveModel::from(row.clone()).reset_all();
                am.id = NotSet;
                am.created_at = NotSet;
                am.active = NotSet;
                workflow::Entity::update_many()
                    .set(am)
                    .filter(workflow::Column::Id.eq(id))
                    .exec(txn)
                    .await
                    .map_err(|e| path_conflict(Error::from(e), row.webhook_path.as_deref()))?;
                // A valid version supersedes the draft it came from.
                workflow_draft::Entity::delete_by_id(id).exec(txn).await?;
                Ok(WorkflowRecord::with_doc(row, doc))
            })
        })
        .await
    }

    /// Keeps the editor's draft of a workflow (valid or not), replacing the one before; the
    /// current version stays as it is.
    pub async fn save_draft(
        &self,
        id: Uuid,
        source: String,
        format: SourceFormat,
    ) -> Result<chrono::DateTime<chrono::Utc>> {
        let at = now();
        self.write("save_draft", true, move |txn| {
            Box::pin(async move {
                if workflow::Entity::find_by_id(id).one(txn).await?.is_none() {
                    return Err(Error::not_found("workflow", id));
                }
                // One statement: two saves at once replace each other, never collide.
                use workflow_draft::Column as C;
                workflow_draft::Entity::insert(workflow_draft::ActiveModel {
                    workflow_id: Set(id),
                    source: Set(source),
                    source_format: Set(format.as_str().to_string()),
                    saved_at: Set(at),
                })
                .on_conflict(
                    sea_orm::sea_query::OnConflict::column(C::WorkflowId)
                        .update_columns([C::Source, C::SourceFormat, C::SavedAt])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
                Ok(at)
            })
        })
        .await
    }

    /// The workflow's draft: its text, format and when it was saved.
    pub async fn draft(
        &self,
        id: Uuid,
    ) -> Result<Option<(String, SourceFormat, chrono::DateTime<chrono::Utc>)>> {
        let Some(d) = workflow_draft::Entity::find_by_id(id)
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        Ok(Some((
            d.source,
            SourceFormat::parse(&d.source_format)?,
            d.saved_at,
        )))
    }

    /// Drops the workflow's draft; false if it had none.
    pub async fn discard_draft(&self, id: Uuid) -> Result<bool> {
        self.write("discard_draft", false, move |txn| {
            Box::pin(async move {
                let r = workflow_draft::Entity::delete_by_id(id).exec(txn).await?;
                Ok(r.rows_affected == 1)
            })
        })
        .await
    }

    /// Keeps the workflow's test data (the editor's pins: JSON, shaped by the API), replacing
    /// what it had.
    pub async fn save_pins(
        &self,
        id: Uuid,
        pins: serde_json::Value,
    ) -> Result<chrono::DateTime<chrono::Utc>> {
        let at = now();
        let text = pins.to_string();
        self.write("save_pins", true, move |txn| {
            Box::pin(async move {
                if workflow::Entity::find_by_id(id).one(txn).await?.is_none() {
                    return Err(Error::not_found("workflow", id));
                }
                use workflow_pin::Column as C;
                workflow_pin::Entity::insert(workflow_pin::ActiveModel {
                    workflow_id: Set(id),
                    pins: Set(text),
                    saved_at: Set(at),
                })
                .on_conflict(
                    sea_orm::sea_query::OnConflict::column(C::WorkflowId)
                        .update_columns([C::Pins, C::SavedAt])
                        .to_owned(),
                )
                .exec_without_returning(txn)
                .await?;
                Ok(at)
            })
        })
        .await
    }

    /// The workflow's test data and when it was saved, if it has any.
    pub async fn pins(
        &self,
        id: Uuid,
    ) -> Result<Option<(serde_json::Value, chrono::DateTime<chrono::Utc>)>> {
        let Some(p) = workflow_pin::Entity::find_by_id(id).one(self.db()).await? else {
            return Ok(None);
        };
        let pins = serde_json::from_str(&p.pins).map_err(Error::corrupt)?;
        Ok(Some((pins, p.saved_at)))
    }

    /// Drops the workflow's test data; false if it had none.
    pub async fn discard_pins(&self, id: Uuid) -> Result<bool> {
        self.write("discard_pins", false, move |txn| {
            Box::pin(async move {
                let r = workflow_pin::Entity::delete_by_id(id).exec(txn).await?;
                Ok(r.rows_affected == 1)
            })
        })
        .await
    }

    /// Makes an earlier version current again, by saving its document as a new version.
    pub async fn restore_version(&self, id: Uuid, version: i32) -> Result<WorkflowRecord> {
        let Some(v) = self.version(id, version).await? else {
            return Err(Error::not_found(
                "workflow version",
                format!("{id}@{version}"),
            ));
        };
        self.update_workflow(id, v.doc).await
    }

    /// A workflow with its current version's document.
    pub async fn workflow(&self, id: Uuid) -> Result<Option<WorkflowRecord>> {
        one(self.db(), workflow::Entity::find_by_id(id)).await
    }

    /// The workflow with this name; the most recently created one if several share it.
    pub async fn workflow_by_name(&self, name: &str) -> Result<Option<WorkflowRecord>> {
        one(
            self.db(),
            workflow::Entity::find()
                .filter(workflow::Column::Name.eq(name))
                .order_by_desc(workflow::Column::Id),
        )
        .await
    }

    /// The active workflow serving `/hooks/{path}` (one indexed query, no cache: a save or an
    /// activation in any process takes effect at once).
    pub async fn active_by_path(&self, path: &str) -> Result<Option<WorkflowRecord>> {
        one(
            self.db(),
            workflow::Entity::find()
                .filter(workflow::Column::WebhookPath.eq(path))
                .filter(workflow::Column::Active.eq(true)),
        )
        .await
    }

    /// Like [`Store::active_by_path`] but only which workflow and version, without reading the
    /// document: the cheapest lookup for the webhook hot path (cache the compiled plan under
    /// the returned `(workflow_id, version)`, which never changes).
    pub async fn route(&self, path: &str) -> Result<Option<Route>> {
        if let Some(fast) = &self.inner.fast_read {
            return Ok(fast.route(path)?);
        }
        let row = workflow::Entity::find()
            .select_only()
            .column(workflow::Column::Id)
            .column(workflow::Column::CurrentVersion)
            .filter(workflow::Column::WebhookPath.eq(path))
            .filter(workflow::Column::Active.eq(true))
            .into_tuple::<(Uuid, i32)>()
            .one(self.db())
            .await?;
        Ok(row.map(|(workflow_id, version)| Route {
            workflow_id,
            version,
        }))
    }

    /// The active workflows whose current trigger is of this kind, as `(id, current version)`:
    /// no documents (callers take the plans from [`crate::Plans`]).
    pub async fn active_routes(&self, trigger_kind: &str) -> Result<Vec<Route>> {
        let rows = workflow::Entity::find()
            .select_only()
            .column(workflow::Column::Id)
            .column(workflow::Column::CurrentVersion)
            .filter(workflow::Column::Active.eq(true))
            .filter(workflow::Column::TriggerKind.eq(trigger_kind))
            .order_by_asc(workflow::Column::Id)
            .into_tuple::<(Uuid, i32)>()
            .all(self.db())
            .await?;
        Ok(rows
            .into_iter()
            .map(|(workflow_id, version)| Route {
                workflow_id,
                version,
            })
            .collect())
    }

    /// The workflow whose current version has this webhook path, active or not (for
    /// `/hooks-test`): the active one if there is one, else the most recently saved.
    pub async fn workflow_by_path_any(&self, path: &str) -> Result<Option<WorkflowRecord>> {
        one(
            self.db(),
            workflow::Entity::find()
                .filter(workflow::Column::WebhookPath.eq(path))
                .order_by(workflow::Column::Active, Order::Desc)
                .order_by(workflow::Column::UpdatedAt, Order::Desc),
        )
        .await
    }

    /// Every workflow, by name, with its last execution.
    pub async fn list_workflows(&self) -> Result<Vec<WorkflowSummary>> {
        let rows = workflow::Entity::find()
            .order_by_asc(workflow::Column::Name)
            .order_by_asc(workflow::Column::Id)
            .all(self.db())
            .await?;
        // The newest execution of each workflow, through the (workflow_id, id) index.
        let last_id = Query::select()
            .column((Alias::new("e"), execution::Column::Id))
            .from_as(execution::Entity, Alias::new("e"))
            .and_where(
                Expr::col((Alias::new("e"), execution::Column::WorkflowId))
                    .equals((workflow::Entity, workflow::Column::Id)),
            )
            .order_by((Alias::new("e"), execution::Column::Id), Order::Desc)
            .limit(1)
            .to_owned();
        let ids: Vec<Uuid> = workflow::Entity::find()
            .select_only()
            .expr_as(
                SimpleExpr::SubQuery(None, Box::new(last_id.into_sub_query_statement())),
                "last",
            )
            .into_tuple::<Option<Uuid>>()
            .all(self.db())
            .await?
            .into_iter()
            .flatten()
            .collect();
        #[derive(FromQueryResult)]
        struct Last {
            id: Uuid,
            workflow_id: Uuid,
            status: String,
            created_at: chrono::DateTime<chrono::Utc>,
            finished_at: Option<chrono::DateTime<chrono::Utc>>,
        }
        let mut last: HashMap<Uuid, LastExecution> = HashMap::new();
        for chunk in ids.chunks(500) {
            let found = execution::Entity::find()
                .select_only()
                .columns([
                    execution::Column::Id,
                    execution::Column::WorkflowId,
                    execution::Column::Status,
                    execution::Column::CreatedAt,
                    execution::Column::FinishedAt,
                ])
                .filter(execution::Column::Id.is_in(chunk.iter().copied()))
                .into_model::<Last>()
                .all(self.db())
                .await?;
            for e in found {
                last.insert(
                    e.workflow_id,
                    LastExecution {
                        id: e.id,
                        status: crate::records::parse_status(&e.status)?,
                        created_at: e.created_at,
                        finished_at: e.finished_at,
                    },
                );
            }
        }
        Ok(rows
            .into_iter()
            .map(|w| WorkflowSummary {
                last_execution: last.remove(&w.id),
                id: w.id,
                name: w.name,
                description: w.description,
                active: w.active,
                version: w.current_version,
                webhook_path: w.webhook_path,
                trigger_kind: w.trigger_kind,
                created_at: w.created_at,
                updated_at: w.updated_at,
            })
            .collect())
    }

    /// Deletes the workflow with its versions, executions and step runs.
    pub async fn delete_workflow(&self, id: Uuid) -> Result<()> {
        let deleted = self
            .write("delete_workflow", false, move |txn| {
                Box::pin(async move {
                    Ok(workflow::Entity::delete_by_id(id)
                        .exec(txn)
                        .await?
                        .rows_affected)
                })
            })
            .await?;
        if deleted == 0 {
            return Err(Error::not_found("workflow", id));
        }
        Ok(())
    }

    /// Activates or deactivates the workflow. Activating fails with [`Error::Conflict`] when
    /// another active workflow serves the same webhook path.
    pub async fn set_active(&self, id: Uuid, active: bool) -> Result<WorkflowRecord> {
        self.write("set_active", true, move |txn| {
            Box::pin(async move {
                let Some(w) = workflow::Entity::find_by_id(id).one(txn).await? else {
                    return Err(Error::not_found("workflow", id));
                };
                if active
                    && !w.active
                    && let Some(p) = &w.webhook_path
                {
                    ensure_path_free(txn, p, id).await?;
                }
                if w.active != active {
                    workflow::Entity::update_many()
                        .col_expr(workflow::Column::Active, Expr::value(active))
                        .filter(workflow::Column::Id.eq(id))
                        .exec(txn)
                        .await
                        .map_err(|e| path_conflict(Error::from(e), w.webhook_path.as_deref()))?;
                }
                let Some(v) = workflow_version::Entity::find_by_id((id, w.current_version))
                    .one(txn)
                    .await?
                else {
                    return Err(Error::corrupt(format!(
                        "workflow {id} has no version {}",
                        w.current_version
                    )));
                };
                WorkflowRecord::from_models(workflow::Model { active, ..w }, v)
            })
        })
        .await
    }

    /// The workflow's versions, newest first.
    pub async fn versions(&self, id: Uuid) -> Result<Vec<VersionSummary>> {
        let Some(w) = workflow::Entity::find_by_id(id).one(self.db()).await? else {
            return Err(Error::not_found("workflow", id));
        };
        let rows = workflow_version::Entity::find()
            .select_only()
            .columns([
                workflow_version::Column::Version,
                workflow_version::Column::SourceFormat,
                workflow_version::Column::CreatedAt,
                workflow_version::Column::Message,
            ])
            .filter(workflow_version::Column::WorkflowId.eq(id))
            .order_by_desc(workflow_version::Column::Version)
            .into_tuple::<(i32, String, chrono::DateTime<chrono::Utc>, Option<String>)>()
            .all(self.db())
            .await?;
        rows.into_iter()
            .map(|(version, format, created_at, message)| {
                Ok(VersionSummary {
                    version,
                    format: crate::records::SourceFormat::parse(&format)?,
                    created_at,
                    current: version == w.current_version,
                    message,
                })
            })
            .collect()
    }

    /// One version of a workflow.
    pub async fn version(&self, id: Uuid, version: i32) -> Result<Option<VersionRecord>> {
        let Some(v) = workflow_version::Entity::find_by_id((id, version))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(VersionRecord {
            workflow_id: v.workflow_id,
            version: v.version,
            created_at: v.created_at,
            message: v.message.clone(),
            doc: doc_of(v)?,
        }))
    }

    /// Sets (or, with `None`, clears) the message of a saved version; false if there is no
    /// such version.
    pub async fn label_version(
        &self,
        id: Uuid,
        version: i32,
        message: Option<String>,
    ) -> Result<bool> {
        self.write("label_version", false, move |txn| {
            Box::pin(async move {
                let r = workflow_version::Entity::update_many()
                    .col_expr(
                        workflow_version::Column::Message,
                        sea_orm::prelude::Expr::value(message),
                    )
                    .filter(workflow_version::Column::WorkflowId.eq(id))
                    .filter(workflow_version::Column::Version.eq(version))
                    .exec(txn)
                    .await?;
                Ok(r.rows_affected == 1)
            })
        })
        .await
    }
}

fn definition_of(doc: &WorkflowDoc) -> Result<serde_json::Value> {
    serde_json::to_value(&doc.workflow)
        .map_err(|e| Error::invalid(format!("the workflow does not serialize: {e}")))
}

fn version_row(
    id: Uuid,
    version: i32,
    doc: &WorkflowDoc,
    definition: serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
) -> workflow_version::ActiveModel {
    workflow_version::ActiveModel {
        workflow_id: Set(id),
        version: Set(version),
        source: Set(doc.source.clone()),
        source_format: Set(doc.format.as_str().to_string()),
        definition: Set(JsonText(definition)),
        created_at: Set(at),
        message: Set(None),
    }
}

/// [`Error::Conflict`] if an active workflow other than `except` serves `path`.
async fn ensure_path_free(txn: &Tx<'_>, path: &str, except: Uuid) -> Result<()> {
    let other = workflow::Entity::find()
        .filter(workflow::Column::WebhookPath.eq(path))
        .filter(workflow::Column::Active.eq(true))
        .filter(workflow::Column::Id.ne(except))
        .one(txn)
        .await?;
    match other {
        Some(o) => Err(Error::conflict(format!(
            "the webhook path `{path}` is already served by the active workflow `{}` ({})",
            o.name, o.id
        ))),
        None => Ok(()),
    }
}

/// Turns the partial unique index's violation (another process won a race) into a conflict.
fn path_conflict(e: Error, path: Option<&str>) -> Error {
    match path {
        Some(p) if e.is_unique_violation() => Error::conflict(format!(
            "the webhook path `{p}` is already served by another active workflow"
        )),
        _ => e,
    }
}

/// Joins each workflow with its current version.
fn with_current_version(
    q: Select<workflow::Entity>,
) -> sea_orm::SelectTwo<workflow::Entity, workflow_version::Entity> {
    q.find_also_related(workflow_version::Entity).filter(
        Expr::col((workflow_version::Entity, workflow_version::Column::Version))
            .equals((workflow::Entity, workflow::Column::CurrentVersion)),
    )
}

async fn one<C: ConnectionTrait>(
    db: &C,
    q: Select<workflow::Entity>,
) -> Result<Option<WorkflowRecord>> {
    match with_current_version(q).one(db).await? {
        Some((w, Some(v))) => Ok(Some(WorkflowRecord::from_models(w, v)?)),
        Some((w, None)) => Err(Error::corrupt(format!(
            "workflow {} has no version {}",
            w.id, w.current_version
        ))),
        None => Ok(None),
    }
}
