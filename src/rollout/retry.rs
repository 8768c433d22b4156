//! Which failures of a batch-update-tsvi call may be sent again, and when.
//!
//! The call reboots servers, so a retry is only ever automatic when the failure proves the
//! batch was not applied. Everything else is either final or ambiguous: an ambiguous batch is
//! resolved by reading the servers' state, never by resending blindly.

use crate::error::Error;
use serde::Serialize;

/// What a failed submission means for the servers in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureClass {
    /// Provably not applied: wait and send the same batch again.
    SafeToResend,
    /// Maybe applied: read the servers before doing anything else.
    Ambiguous,
    /// Refused for good. 404 and 409 name servers that can be dropped before resubmitting.
    Final,
}

/// Classifies a failed batch-update-tsvi call.
pub fn classify(error: &Error) -> FailureClass {
    match error {
        Error::Api(api) => match api.status {
            429 => FailureClass::SafeToResend,
            // A 503 the service itself wrote (a JSON error body) refused the call; a 503 page
            // from something in between says nothing about whether the service got it.
            503 if api.body.is_none() => FailureClass::SafeToResend,
            400 | 401 | 403 | 404 | 405 | 409 => FailureClass::Final,
            // 500, 502, 504, other statuses, and success answers we could not read.
            _ => FailureClass::Ambiguous,
        },
        Error::Network { sent: false, .. } => FailureClass::SafeToResend,
        Error::Network { sent: true, .. } | Error::Timeout { .. } => FailureClass::Ambiguous,
        // Nothing was sent (checked before sending) or the caller stopped the run.
        Error::Validation(_) => FailureClass::Final,
        Error::Aborted => FailureClass::Ambiguous,
    }
}

pub use crate::backoff::{parse_retry_after_ms, Backoff, Rng, SplitMix64};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn api(status: u16, json: bool) -> Error {
        let body = if json { r#"{"error_code":"X","error_msg":"y"}"# } else { "<html>busy</html>" };
        Error::Api(Box::new(ApiError::from_response(status, body, None)))
    }

    #[test]
    fn every_status_and_failure_kind() {
        use FailureClass::*;
        let cases = [
            (api(429, true), SafeToResend),
            (api(429, false), SafeToResend),
            (api(503, true), SafeToResend),
            (api(503, false), Ambiguous),
            (api(500, true), Ambiguous),
            (api(502, false), Ambiguous),
            (api(504, false), Ambiguous),
            (api(400, true), Final),
            (api(401, true), Final),
            (api(403, true), Final),
            (api(404, true), Final),
            (api(405, true), Final),
            (api(409, true), Final),
            (api(200, false), Ambiguous),
            (Error::Timeout { timeout_ms: 1 }, Ambiguous),
            (Error::Network { message: "refused".into(), sent: false }, SafeToResend),
            (Error::Network { message: "reset".into(), sent: true }, Ambiguous),
            (Error::Aborted, Ambiguous),
            (Error::validation("", "x", "y"), Final),
        ];
        for (error, want) in cases {
            assert_eq!(classify(&error), want, "{error:?}");
        }
    }
}
