//! Errors of the engine crate: located validation problems, and the `Error` callers act on.

use std::fmt;

use serde::Serialize;

/// Where a problem is in the source document (1-based line and column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One thing wrong with a workflow, located as precisely as we can: the YAML position when
/// the workflow came from YAML, and always the step id and field when it concerns a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// The file (or other source name) the workflow came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Path in the document, e.g. `steps[2].with.url` (empty: the document itself).
    pub path: String,
    /// The step concerned, by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The field within the step (e.g. `with.url`) or the document (e.g. `trigger.path`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            file: None,
            location: None,
            path: path.into(),
            step: None,
            field: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut prefix = false;
        if let Some(file) = &self.file {
            write!(f, "{file}")?;
            prefix = true;
        }
        if let Some(loc) = self.location {
            if prefix {
                write!(f, ":")?;
            }
            write!(f, "{}:{}", loc.line, loc.column)?;
            prefix = true;
        }
        if prefix {
            write!(f, ": ")?;
        }
        match (&self.step, &self.field) {
            (Some(step), Some(field)) => write!(f, "step `{step}`, field `{field}`: ")?,
            (Some(step), None) => write!(f, "step `{step}`: ")?,
            (None, Some(field)) => write!(f, "field `{field}`: ")?,
            (None, None) => {}
        }
        write!(f, "{}", self.message)
    }
}

/// Every problem found in a workflow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// The errors of the engine crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The workflow document is not valid; every problem found is listed.
    #[error("the workflow is not valid:\n{0}")]
    Invalid(Problems),
}

impl Error {
    pub fn problems(&self) -> &[Problem] {
        match self {
            Error::Invalid(p) => &p.0,
        }
    }
}
