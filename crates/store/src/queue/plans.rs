//! Compiled plans of stored workflow versions. A saved version never changes, so the plan
//! compiled for `(workflow id, version)` serves every webhook and every execution of that
//! version; one [`Plans`] per process is shared by the webhook intake and the workers.
//! Bounded: past [`Plans::capacity`] the least recently used plan goes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use engine::{Plan, Registry};
use uuid::Uuid;

use crate::{Error, Store};

/// How many plans a process keeps by default.
pub const DEFAULT_PLANS: usize = 1024;

/// Why a version has no plan.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("workflow {workflow_id} has no version {version}")]
    Missing { workflow_id: Uuid, version: i32 },
    /// The stored version does not compile any more (e.g. an action kind that is gone).
    #[error("the workflow version is not valid: {0}")]
    Invalid(engine::Problems),
    #[error(transparent)]
    Store(#[from] Error),
}

pub struct Plans {
    store: Store,
    registry: Arc<Registry>,
    capacity: usize,
    cache: Mutex<Cache>,
    /// Asked to bring the registry's changing actions up to date when a version does not
    /// compile (a connector another process imported a moment ago).
    refresher: Mutex<Option<Arc<dyn Refresh>>>,
    /// Counts [`Plans::clear`]s: a plan compiled before one is not cached after it.
    generation: std::sync::atomic::AtomicU64,
}

/// Brings a registry's changing actions (its [`engine::action::ActionSource`]) up to date.
#[async_trait::async_trait]
pub trait Refresh: Send + Sync + 'static {
    /// Whether anything changed.
    async fn refresh(&self) -> bool;
}

#[derive(Default)]
struct Cache {
    plans: HashMap<(Uuid, i32), (Arc<Plan>, u64)>,
    /// A use counter: the entry with the smallest stamp is the least recently used.
    clock: u64,
}

impl Plans {
    pub fn new(store: Store, registry: Arc<Registry>, capacity: usize) -> Arc<Plans> {
        Arc::new(Plans {
            store,
            registry,
            capacity: capacity.max(1),
            cache: Mutex::new(Cache::default()),
            refresher: Mutex::new(None),
            generation: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// What to ask before a version that does not compile is given up on.
    pub fn set_refresher(&self, refresher: Arc<dyn Refresh>) {
        *self.refresher.lock().expect("lock") = Some(refresher);
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// How many plans are cached.
    pub fn len(&self) -> usize {
        self.cache.lock().expect("lock").plans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every compiled plan (the actions they were compiled with changed: a connector
    /// was imported or deleted); the next use compiles again.
    pub fn clear(&self) {
        let mut cache = self.cache.lock().expect("lock");
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        cache.plans.clear();
    }

    /// The registry plans are compiled with.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The plan of a version: from the cache, else read and compiled (two callers that miss
    /// at once may both compile; the plans are the same).
    pub async fn get(&self, workflow_id: Uuid, version: i32) -> Result<Arc<Plan>, PlanError> {
        if let Some(plan) = self.cached(workflow_id, version) {
            return Ok(plan);
        }
        let generation = self.generation.load(std::sync::atomic::Ordering::SeqCst);
        let workflow = self
            .store
            .version(workflow_id, version)
            .await?
            .ok_or(PlanError::Missing {
                workflow_id,
                version,
            })?
            .doc
            .workflow;
        let compiled = match engine::compile(workflow.clone(), &self.registry) {
            Ok(plan) => plan,
            Err(problems) => {
                let refresher = self.refresher.lock().expect("lock").clone();
                let changed = match refresher {
                    Some(r) => r.refresh().await,
                    None => false,
                };
                if !changed {
                    return Err(PlanError::Invalid(engine::Problems(problems)));
                }
                engine::compile(workflow, &self.registry)
                    .map_err(|p| PlanError::Invalid(engine::Problems(p)))?
            }
        };
        let plan = Arc::new(compiled);
        self.insert(workflow_id, version, plan.clone(), generation);
        Ok(plan)
    }

    /// The concurrency group of a new execution of this version started by `request` (`None`
    /// for a workflow without `concurrency:`): [`Error::Invalid`] when its key cannot be
    /// rendered from the request (the message names `concurrency.key`).
    pub async fn concurrency(
        &self,
        workflow_id: Uuid,
        version: i32,
        request: &engine::TriggerEvent,
    ) -> Result<Option<crate::Concurrency>, Error> {
        let plan = match self.get(workflow_id, version).await {
            Ok(plan) => plan,
            Err(PlanError::Store(e)) => return Err(e),
            Err(PlanError::Missing { .. }) => {
                return Err(Error::not_found(
                    "workflow version",
                    format!("{workflow_id}@{version}"),
                ));
            }
            Err(e @ PlanError::Invalid(_)) => return Err(Error::invalid(e.to_string())),
        };
        Ok(plan
            .concurrency_group(request)
            .map_err(Error::invalid)?
            .map(|(key, limit)| crate::Concurrency { key, limit }))
    }

    fn cached(&self, workflow_id: Uuid, version: i32) -> Option<Arc<Plan>> {
        let mut cache = self.cache.lock().expect("lock");
        cache.clock += 1;
        let now = cache.clock;
        cache
            .plans
            .get_mut(&(workflow_id, version))
            .map(|(plan, used)| {
                *used = now;
                plan.clone()
            })
    }

    /// Caches a plan compiled at `generation`, unless a [`Plans::clear`] came since.
    fn insert(&self, workflow_id: Uuid, version: i32, plan: Arc<Plan>, generation: u64) {
        let mut cache = self.cache.lock().expect("lock");
        if self.generation.load(std::sync::atomic::Ordering::SeqCst) != generation {
            return;
        }
        cache.clock += 1;
        let now = cache.clock;
        if cache.plans.len() >= self.capacity
            && !cache.plans.contains_key(&(workflow_id, version))
            && let Some(oldest) = cache
                .plans
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| *k)
        {
            cache.plans.remove(&oldest);
        }
        cache.plans.insert((workflow_id, version), (plan, now));
    }
}
