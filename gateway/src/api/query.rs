//! Query strings as the service reads them: `limit` in [1, 100] (default 10), `offset` ≥ 0
//! (default 0), booleans as the strings `true`/`false`; anything else is a 400 that names the
//! parameter. Unknown parameters are ignored, and an empty value counts as absent.

use crate::error::{quote, ApiError};
use workspace_tsvi::sign::parse_wire_query;

pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 100;
/// The largest offset taken, as the core crate's query rules have it.
pub const MAX_OFFSET: i64 = i32::MAX as i64;

#[derive(Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = parse_wire_query(raw.unwrap_or("")).into_iter().map(|(k, v)| (k, v.wire())).collect();
        Query { pairs }
    }

    /// The first non-empty value of `key`.
    pub fn text(&self, key: &str) -> Option<String> {
        self.pairs.iter().find(|(k, v)| k == key && !v.is_empty()).map(|(_, v)| v.clone())
    }

    fn int(&self, key: &str, default: usize, min: i64, max: i64) -> Result<usize, ApiError> {
        let Some(raw) = self.text(key) else {
            return Ok(default);
        };
        match raw.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n as usize),
            _ if max == MAX_OFFSET => {
                Err(ApiError::bad_request(format!("The parameter {key} must be a whole number of at least {min}, not {}.", quote(&raw))))
            }
            _ => {
                Err(ApiError::bad_request(format!("The parameter {key} must be a whole number from {min} to {max}, not {}.", quote(&raw))))
            }
        }
    }

    pub fn limit(&self) -> Result<usize, ApiError> {
        self.int("limit", DEFAULT_LIMIT, 1, MAX_LIMIT as i64)
    }

    pub fn offset(&self) -> Result<usize, ApiError> {
        self.int("offset", 0, 0, MAX_OFFSET)
    }

    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.text(key).as_deref() {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::bad_request(format!("The parameter {key} must be \"true\" or \"false\", not {}.", quote(other)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_bounds() {
        let q = |s: &str| Query::parse(Some(s));
        assert_eq!(q("").limit().unwrap(), 10);
        assert_eq!(q("limit=100&offset=0").limit().unwrap(), 100);
        assert!(q("limit=0").limit().is_err());
        assert!(q("limit=101").limit().is_err());
        assert!(q("limit=abc").limit().is_err());
        assert!(q("limit=1.5").limit().is_err());
        assert!(q("offset=-1").offset().is_err());
        assert_eq!(q("offset=250").offset().unwrap(), 250);
    }

    #[test]
    fn text_and_booleans() {
        let q = Query::parse(Some("server_name=a%20b~%2A&maintain_status=true&x=&bad=yes"));
        assert_eq!(q.text("server_name").as_deref(), Some("a b~*"));
        assert_eq!(q.text("x"), None);
        assert_eq!(q.boolean("maintain_status").unwrap(), Some(true));
        assert!(q.boolean("bad").is_err());
    }
}
