//! Connectors: imported OpenAPI documents by name and version. The store keeps the text and
//! a summary; the `connectors` crate reads the text into actions.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entity::connector;
use crate::error::{Error, Result};
use crate::{Store, now};

/// A connector version to store.
#[derive(Debug, Clone)]
pub struct NewConnector {
    pub name: String,
    pub title: String,
    pub format: String,
    pub operations: usize,
    pub base_url: Option<String>,
    pub document: String,
}

/// A stored version without its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorHead {
    pub id: Uuid,
    pub name: String,
    pub version: i64,
    pub title: String,
    pub format: String,
    pub operations: usize,
    pub base_url: Option<String>,
    pub created_at: DateTime<Utc>,
}

type Columns = (
    Uuid,
    String,
    i64,
    String,
    String,
    i32,
    Option<String>,
    DateTime<Utc>,
);

fn head(c: Columns) -> ConnectorHead {
    ConnectorHead {
        id: c.0,
        name: c.1,
        version: c.2,
        title: c.3,
        format: c.4,
        operations: usize::try_from(c.5).unwrap_or(0),
        base_url: c.6,
        created_at: c.7,
    }
}

fn heads() -> sea_orm::Select<connector::Entity> {
    use connector::Column as C;
    connector::Entity::find().select_only().columns([
        C::Id,
        C::Name,
        C::Version,
        C::Title,
        C::Format,
        C::Operations,
        C::BaseUrl,
        C::CreatedAt,
    ])
}

impl Store {
    /// Stores the next version of the named connector (1 for a new name) and returns it.
    pub async fn save_connector(&self, new: NewConnector) -> Result<ConnectorHead> {
        let id = Uuid::now_v7();
        let at = now();
        self.write("save_connector", true, move |txn| {
            Box::pin(async move {
                use connector::Column as C;
                let last: Option<i64> = connector::Entity::find()
                    .select_only()
                    .column(C::Version)
                    .filter(C::Name.eq(new.name.clone()))
                    .order_by_desc(C::Version)
                    .limit(1)
                    .into_tuple()
                    .one(txn)
                    .await?;
                let version = last.unwrap_or(0) + 1;
                let operations = i32::try_from(new.operations).unwrap_or(i32::MAX);
                let row = connector::ActiveModel {
                    id: Set(id),
                    name: Set(new.name.clone()),
                    version: Set(version),
                    title: Set(new.title.clone()),
                    format: Set(new.format.clone()),
                    operations: Set(operations),
                    base_url: Set(new.base_url.clone()),
                    document: Set(new.document),
                    created_at: Set(at),
                };
                connector::Entity::insert(row)
                    .exec_without_returning(txn)
                    .await
                    .map_err(Error::from)
                    .map_err(|e| {
                        if e.is_unique_violation() {
                            Error::conflict(format!(
                                "connector `{}` was imported by someone else at the same time; import it again",
                                new.name
                            ))
                        } else {
                            e
                        }
                    })?;
                Ok(ConnectorHead {
                    id,
                    name: new.name,
                    version,
                    title: new.title,
                    format: new.format,
                    operations: usize::try_from(operations).unwrap_or(0),
                    base_url: new.base_url,
                    created_at: at,
                })
            })
        })
        .await
    }

    /// The newest version of each connector, by name.
    pub async fn current_connectors(&self) -> Result<Vec<ConnectorHead>> {
        use connector::Column as C;
        let all = heads()
            .order_by_asc(C::Name)
            .order_by_desc(C::Version)
            .into_tuple::<Columns>()
            .all(self.db())
            .await?;
        let mut out: Vec<ConnectorHead> = Vec::new();
        for c in all.into_iter().map(head) {
            if out.last().is_none_or(|l| l.name != c.name) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// Every version of one connector, newest first.
    pub async fn connector_versions(&self, name: &str) -> Result<Vec<ConnectorHead>> {
        use connector::Column as C;
        Ok(heads()
            .filter(C::Name.eq(name))
            .order_by_desc(C::Version)
            .into_tuple::<Columns>()
            .all(self.db())
            .await?
            .into_iter()
            .map(head)
            .collect())
    }

    /// The document of a stored version.
    pub async fn connector_document(&self, id: Uuid) -> Result<Option<String>> {
        use connector::Column as C;
        Ok(connector::Entity::find_by_id(id)
            .select_only()
            .column(C::Document)
            .into_tuple()
            .one(self.db())
            .await?)
    }

    /// Deletes every version of the named connector; how many there were.
    pub async fn delete_connector(&self, name: &str) -> Result<u64> {
        let name = name.to_string();
        self.write("delete_connector", false, move |txn| {
            Box::pin(async move {
                let r = connector::Entity::delete_many()
                    .filter(connector::Column::Name.eq(name))
                    .exec(txn)
                    .await?;
                Ok(r.rows_affected)
            })
        })
        .await
    }

    /// What changes when a connector is imported or deleted anywhere: the count of versions
    /// and the newest one's time. A process compares it to reload its connectors.
    pub async fn connectors_revision(&self) -> Result<(u64, Option<DateTime<Utc>>)> {
        use connector::Column as C;
        let rows: Vec<DateTime<Utc>> = connector::Entity::find()
            .select_only()
            .column(C::CreatedAt)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok((rows.len() as u64, rows.into_iter().max()))
    }
}
