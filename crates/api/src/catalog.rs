//! The process's connectors: the `connectors` crate's set (installed in the registry as its
//! [`engine::action::ActionSource`]) kept in step with the store's `connectors` table. An
//! import or delete here changes the set at once; another process's shows after
//! [`Catalog::refresh`] (which `weft serve` and `weft worker` run every few seconds, a query
//! of the table's revision).

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use connectors::{Connector, Connectors, Options, Problem};

/// What an import changed.
pub struct Imported {
    pub head: store::ConnectorHead,
    pub connector: Connector,
}

/// Why an import failed.
pub enum ImportError {
    /// The document cannot be used: every problem, located.
    Problems(Vec<Problem>),
    Store(store::Error),
}

pub struct Catalog {
    store: store::Store,
    registry: Arc<engine::Registry>,
    set: Arc<Connectors>,
    plans: Mutex<Option<Arc<store::Plans>>>,
    /// The table's revision as of the last [`Catalog::load`] (only `load` sets it, so that a
    /// change another process made meanwhile is never taken as seen).
    revision: Mutex<(u64, Option<DateTime<Utc>>)>,
    /// The stored version (row id) each connector of the set was read from: a version number
    /// can come back after a delete, a row id cannot.
    loaded: Mutex<std::collections::HashMap<String, uuid::Uuid>>,
}

impl Catalog {
    /// The set of `registry` (made with [`Catalog::install`]).
    pub fn new(
        store: store::Store,
        registry: Arc<engine::Registry>,
        set: Arc<Connectors>,
    ) -> Arc<Catalog> {
        Arc::new(Catalog {
            store,
            registry,
            set,
            plans: Mutex::new(None),
            revision: Mutex::new((0, None)),
            loaded: Mutex::new(std::collections::HashMap::new()),
        })
    }

    /// A new set for `registry`, installed as its source.
    pub fn install(registry: &mut engine::Registry) -> Arc<Connectors> {
        let set = Connectors::new(registry);
        registry.with_source(set.clone());
        set
    }

    /// The plans to forget when the actions change; they ask this catalog to refresh when a
    /// version does not compile (its connector may be newer than this process's copy).
    pub fn forget_plans_of(self: &Arc<Self>, plans: Arc<store::Plans>) {
        plans.set_refresher(Arc::new(Refresher(self.clone())));
        *self.plans.lock().expect("lock") = Some(plans);
    }

    pub fn set(&self) -> &Arc<Connectors> {
        &self.set
    }

    pub fn registry(&self) -> &Arc<engine::Registry> {
        &self.registry
    }

    fn changed(&self) {
        if let Some(plans) = self.plans.lock().expect("lock").as_ref() {
            plans.clear();
        }
    }

    /// Reads every connector's newest version from the store into the set. A stored document
    /// that no longer imports (it should not happen: it imported once) is logged and left out.
    pub async fn load(&self) -> Result<usize, store::Error> {
        let revision = self.store.connectors_revision().await?;
        let heads = self.store.current_connectors().await?;
        let mut loaded = Vec::new();
        let mut ids = std::collections::HashMap::new();
        for head in heads {
            let same = self.loaded.lock().expect("lock").get(&head.name) == Some(&head.id);
            if let Some(c) = self.set.get_connector(&head.name).filter(|_| same) {
                loaded.push((*c).clone());
                ids.insert(head.name.clone(), head.id);
                continue;
            }
            let Some(text) = self.store.connector_document(head.id).await? else {
                continue;
            };
            match self.read(text, &head).await {
                Ok(c) => {
                    ids.insert(head.name.clone(), head.id);
                    loaded.push(c)
                }
                Err(problems) => tracing::error!(
                    connector = %head.name,
                    version = head.version,
                    problems = problems.len(),
                    "a stored connector no longer imports; its actions are unavailable"
                ),
            }
        }
        let n = loaded.len();
        self.set.replace_all(loaded);
        *self.loaded.lock().expect("lock") = ids;
        *self.revision.lock().expect("lock") = revision;
        self.changed();
        Ok(n)
    }

    /// Loads again if another process imported or deleted a connector since the last look.
    pub async fn refresh(&self) -> Result<bool, store::Error> {
        let revision = self.store.connectors_revision().await?;
        if *self.revision.lock().expect("lock") == revision {
            return Ok(false);
        }
        self.load().await?;
        Ok(true)
    }

    async fn read(
        &self,
        text: String,
        head: &store::ConnectorHead,
    ) -> Result<Connector, Vec<Problem>> {
        let options = Options {
            name: Some(head.name.clone()),
            base_url: head.base_url.clone(),
            version: head.version,
        };
        self.import_blocking(text, options).await.map(|(c, _)| c)
    }

    /// An import off the async threads (a large document takes a while to read).
    async fn import_blocking(
        &self,
        text: String,
        options: Options,
    ) -> Result<(Connector, String), Vec<Problem>> {
        let registry = self.registry.clone();
        tokio::task::spawn_blocking(move || {
            connectors::import(&text, &options, &registry).map(|c| (c, text))
        })
        .await
        .unwrap_or_else(|e| Err(vec![Problem::new("", format!("the import stopped: {e}"))]))
    }

    /// Imports a document as the next version of `name` (the document's title, made a slug,
    /// when absent): checked first, stored, then in the set.
    pub async fn import(
        &self,
        text: String,
        name: Option<String>,
        base_url: Option<String>,
    ) -> Result<Imported, ImportError> {
        let options = Options {
            name,
            base_url: base_url.clone(),
            version: 1,
        };
        let (mut connector, text) = self
            .import_blocking(text, options)
            .await
            .map_err(ImportError::Problems)?;
        let head = self
            .store
            .save_connector(store::NewConnector {
                name: connector.name.clone(),
                title: connector.title.clone(),
                format: connector.format.clone(),
                operations: connector.operations.len(),
                base_url,
                document: text,
            })
            .await
            .map_err(ImportError::Store)?;
        connector.version = head.version;
        self.set.insert(connector.clone());
        self.loaded
            .lock()
            .expect("lock")
            .insert(head.name.clone(), head.id);
        self.changed();
        Ok(Imported { head, connector })
    }

    /// Deletes every version of a connector.
    pub async fn delete(&self, name: &str) -> Result<u64, store::Error> {
        let n = self.store.delete_connector(name).await?;
        self.set.remove(name);
        self.loaded.lock().expect("lock").remove(name);
        self.changed();
        Ok(n)
    }

    /// The current workflows with a step of connector `name`, by name.
    pub async fn used_by(&self, name: &str) -> Result<Vec<String>, store::Error> {
        let prefix = format!("{name}.");
        let mut out = Vec::new();
        for w in self.store.current_workflows().await? {
            if w.doc
                .workflow
                .steps
                .iter()
                .any(|s| s.action.starts_with(&prefix))
            {
                out.push(w.name.clone());
            }
        }
        Ok(out)
    }
}

struct Refresher(Arc<Catalog>);

#[async_trait::async_trait]
impl store::Refresh for Refresher {
    async fn refresh(&self) -> bool {
        match self.0.refresh().await {
            Ok(changed) => changed,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the connectors");
                false
            }
        }
    }
}
