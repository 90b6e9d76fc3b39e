//! Repositories: the records users manage (workflows and their versions, API keys, the
//! editor's sessions), each converted from its entities at this boundary.

pub(crate) mod api_keys;
pub(crate) mod connectors;
pub(crate) mod credentials;
pub(crate) mod sessions;
pub(crate) mod workflows;
