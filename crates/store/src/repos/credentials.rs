//! Credentials managed through the API: rows whose secret fields arrive sealed (the
//! `credentials` crate seals and opens them; the store never holds a secret in clear).
//! Changes are conditional on the row's `revision`, so that two writers (an edit and a token
//! renewal, two processes renewing) never overwrite each other unseen.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entity::credential;
use crate::error::{Error, Result};
use crate::records::WorkflowRecord;
use crate::{Store, now};

/// A stored credential, its secret fields sealed.
pub type CredentialRow = credential::Model;

impl Store {
    /// Inserts a new credential; [`Error::Conflict`] if the name is taken.
    pub async fn insert_credential(&self, row: CredentialRow) -> Result<()> {
        let name = row.name.clone();
        self.write("insert_credential", false, move |txn| {
            Box::pin(async move {
                credential::Entity::insert(credential::ActiveModel::from(row))
                    .exec_without_returning(txn)
                    .await
                    .map_err(Error::from)
                    .map_err(|e| {
                        if e.is_unique_violation() {
                            Error::conflict(format!("a credential named `{name}` already exists"))
                        } else {
                            e
                        }
                    })?;
                Ok(())
            })
        })
        .await
    }

    pub async fn credential_by_name(&self, name: &str) -> Result<Option<CredentialRow>> {
        Ok(credential::Entity::find()
            .filter(credential::Column::Name.eq(name))
            .one(self.db())
            .await?)
    }

    pub async fn credential_by_id(&self, id: Uuid) -> Result<Option<CredentialRow>> {
        Ok(credential::Entity::find_by_id(id).one(self.db()).await?)
    }

    /// Every stored credential, by name.
    pub async fn credential_rows(&self) -> Result<Vec<CredentialRow>> {
        Ok(credential::Entity::find()
            .order_by_asc(credential::Column::Name)
            .all(self.db())
            .await?)
    }

    /// Replaces the row if its revision is still `row.revision`, bumping it (and
    /// `updated_at`). Returns the stored row, or `None` if the row changed or went meanwhile.
    pub async fn replace_credential(
        &self,
        mut row: CredentialRow,
    ) -> Result<Option<CredentialRow>> {
        let expected = row.revision;
        row.revision = expected + 1;
        row.updated_at = now();
        let stored = row.clone();
        let changed = self
            .write("replace_credential", false, move |txn| {
                Box::pin(async move {
                    use credential::Column as C;
                    let r = credential::Entity::update_many()
                        .col_expr(C::Kind, Expr::value(row.kind))
                        .col_expr(C::Description, Expr::value(row.description))
                        .col_expr(C::AllowedHosts, Expr::value(row.allowed_hosts))
                        .col_expr(C::Data, Expr::value(row.data))
                        .col_expr(C::Token, Expr::value(row.token))
                        .col_expr(C::TokenExpiresAt, Expr::value(row.token_expires_at))
                        .col_expr(C::RefreshAt, Expr::value(row.refresh_at))
                        .col_expr(C::Status, Expr::value(row.status))
                        .col_expr(C::StatusMessage, Expr::value(row.status_message))
                        .col_expr(C::Pending, Expr::value(row.pending))
                        .col_expr(C::RefreshLeaseUntil, Expr::value(row.refresh_lease_until))
                        .col_expr(C::Revision, Expr::value(row.revision))
                        .col_expr(C::UpdatedAt, Expr::value(row.updated_at))
                        .filter(C::Id.eq(row.id))
                        .filter(C::Revision.eq(expected))
                        .exec(txn)
                        .await?;
                    Ok(r.rows_affected == 1)
                })
            })
            .await?;
        Ok(changed.then_some(stored))
    }

    /// Deletes the credential; false if there was none.
    pub async fn delete_credential(&self, id: Uuid) -> Result<bool> {
        self.write("delete_credential", false, move |txn| {
            Box::pin(async move {
                let r = credential::Entity::delete_by_id(id).exec(txn).await?;
                Ok(r.rows_affected == 1)
            })
        })
        .await
    }

    /// Takes the renewal lease of an OAuth2 credential until `until`, if nobody holds one:
    /// one renewal at a time, across processes. The holder releases it by replacing the row
    /// (with `refresh_lease_until` cleared); an expired lease (a crashed holder) can be taken.
    pub async fn take_refresh_lease(&self, id: Uuid, until: DateTime<Utc>) -> Result<bool> {
        let at = now();
        self.write("take_refresh_lease", false, move |txn| {
            Box::pin(async move {
                use credential::Column as C;
                let r = credential::Entity::update_many()
                    .col_expr(C::RefreshLeaseUntil, Expr::value(Some(until)))
                    .filter(C::Id.eq(id))
                    .filter(
                        Condition::any()
                            .add(C::RefreshLeaseUntil.is_null())
                            .add(C::RefreshLeaseUntil.lt(at)),
                    )
                    .exec(txn)
                    .await?;
                Ok(r.rows_affected == 1)
            })
        })
        .await
    }

    /// Notes that the credential was used (not waited for; not a change: the revision stays).
    pub fn touch_credential(&self, id: Uuid) {
        let at = now();
        let store = self.clone();
        tokio::spawn(async move {
            let _ = store
                .write_detached("credential last used", false, move |txn| {
                    Box::pin(async move {
                        credential::Entity::update_many()
                            .col_expr(credential::Column::LastUsedAt, Expr::value(Some(at)))
                            .filter(credential::Column::Id.eq(id))
                            .exec(txn)
                            .await?;
                        Ok(())
                    })
                })
                .await;
        });
    }

    /// Every workflow with its current version's document (to find what uses a credential).
    pub async fn current_workflows(&self) -> Result<Vec<WorkflowRecord>> {
        let mut out = Vec::new();
        for summary in self.list_workflows().await? {
            if let Some(w) = self.workflow(summary.id).await? {
                out.push(w);
            }
        }
        Ok(out)
    }
}
