//! W3C trace context (`traceparent`): an execution belongs to the trace of the webhook request
//! that started it (its `traceparent` header), or to a trace of its own named by the execution
//! id; each outgoing call gets a `traceparent` of that trace with a new parent id, so that a
//! tracing backend joins the caller, Weft's calls and the APIs they reach.

use uuid::Uuid;

/// The trace an execution belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// 32 lower-case hex digits, not all zero.
    pub trace_id: String,
    /// 2 hex digits (`01`: sampled).
    pub flags: String,
}

impl Trace {
    /// The trace of `traceparent` (a trigger request's header) when it is a valid one, else a
    /// trace named by the execution id, sampled.
    pub fn of(execution_id: Uuid, traceparent: Option<&str>) -> Trace {
        traceparent.and_then(parse).unwrap_or_else(|| Trace {
            trace_id: execution_id.simple().to_string(),
            flags: "01".to_string(),
        })
    }

    /// A `traceparent` for an outgoing call: this trace, a new parent (span) id.
    pub fn child(&self) -> String {
        let span = Uuid::new_v4().as_u64_pair().0.max(1);
        format!("00-{}-{span:016x}-{}", self.trace_id, self.flags)
    }
}

/// `version-traceid-parentid-flags`, as the W3C Trace Context spec reads it: version `ff` is
/// invalid, version `00` has exactly four fields, later versions may add fields.
fn parse(header: &str) -> Option<Trace> {
    let header = header.trim();
    let mut parts = header.split('-');
    let (version, trace_id, parent_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let zeros = |s: &str| s.bytes().all(|b| b == b'0');
    if !hex(version, 2) || version == "ff" || (version == "00" && parts.next().is_some()) {
        return None;
    }
    if !hex(trace_id, 32) || zeros(trace_id) || !hex(parent_id, 16) || zeros(parent_id) {
        return None;
    }
    if !hex(flags, 2) {
        return None;
    }
    Some(Trace {
        trace_id: trace_id.to_string(),
        flags: flags.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_traceparent_is_continued_and_anything_else_starts_a_trace() {
        let id = Uuid::now_v7();
        let t = Trace::of(
            id,
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        );
        assert_eq!(t.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(t.flags, "01");
        let child = t.child();
        assert!(
            child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{child}"
        );
        assert!(child.ends_with("-01"), "{child}");
        assert_ne!(&child[36..52], "00f067aa0ba902b7");
        assert_eq!(parse(&child), Some(t.clone()));
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            let t = Trace::of(id, Some(bad));
            assert_eq!(t.trace_id, id.simple().to_string(), "{bad}");
        }
        // A later version may carry more fields.
        let t = Trace::of(
            id,
            Some("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-more"),
        );
        assert_eq!(
            (t.trace_id.as_str(), t.flags.as_str()),
            ("4bf92f3577b34da6a3ce929d0e0e4736", "00")
        );
    }
}
