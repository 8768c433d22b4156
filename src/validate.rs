//! Validation that lists every problem at once, each with a JSON pointer and a stable code.
//! Input arrives untyped (a JS value or JSON text), so the rules read a [`Value`] rather than
//! a typed struct: a typed parse would stop at the first problem and could not tell
//! `"true"` from `true` in a useful way.

use crate::json::Value;
use serde::Serialize;

/// Most servers a batch-update-tsvi (or batch-maint) call takes.
pub const MAX_BATCH_ITEMS: usize = 20;

/// One problem with the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// JSON pointer to the offending value, e.g. `/items/3/id`; `""` is the whole input.
    pub path: String,
    /// Stable, machine-readable, e.g. `items.too_many`.
    pub code: &'static str,
    /// For people. Never contains a secret.
    pub message: String,
}

impl Issue {
    pub fn new(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Issue { path: path.into(), code, message: message.into() }
    }
}

/// Appends a key to a JSON pointer, escaping as RFC 6901 says.
pub fn pointer(base: &str, key: &str) -> String {
    let mut out = String::with_capacity(base.len() + key.len() + 1);
    out.push_str(base);
    out.push('/');
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Server, group and job ids: what the service hands out, and nothing that could escape a
/// path segment.
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks an id given to a `show*` call.
pub fn check_id(id: &str, path: &str, issues: &mut Vec<Issue>) {
    if !is_valid_id(id) {
        issues.push(Issue::new(path, "id.invalid", "must be 1 to 64 letters, digits, '-' or '_'"));
    }
}

/// Reports every key of `fields` that is not in `allowed`.
pub fn check_unknown_fields(fields: &[(String, Value)], allowed: &[&str], base: &str, code: &'static str, issues: &mut Vec<Issue>) {
    for (key, _) in fields {
        if !allowed.contains(&key.as_str()) {
            issues.push(Issue::new(pointer(base, key), code, format!("unknown field \"{key}\"")));
        }
    }
}

/// Validates a batch-update-tsvi body: `{"items":[{"id","enable"}]}` with 1 to 20 entries,
/// each id well formed and unique, `enable` a real boolean, and no unknown field anywhere.
pub fn validate_batch_request(body: &Value) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(fields) = body.as_object() else {
        issues.push(Issue::new("", "body.not_object", format!("the request must be an object, not {}", body.kind())));
        return issues;
    };
    check_unknown_fields(fields, &["items"], "", "body.unknown_field", &mut issues);
    let items = match body.get("items") {
        None => {
            issues.push(Issue::new("/items", "items.missing", "items is required"));
            return issues;
        }
        Some(Value::Array(items)) => items,
        Some(other) => {
            issues.push(Issue::new("/items", "items.not_array", format!("items must be an array, not {}", other.kind())));
            return issues;
        }
    };
    if items.is_empty() {
        issues.push(Issue::new("/items", "items.empty", "items needs at least 1 server"));
    } else if items.len() > MAX_BATCH_ITEMS {
        issues.push(Issue::new(
            "/items",
            "items.too_many",
            format!("items has {} servers; a batch takes at most {MAX_BATCH_ITEMS}", items.len()),
        ));
    }
    let mut seen: Vec<&str> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let base = format!("/items/{index}");
        let Some(item_fields) = item.as_object() else {
            issues.push(Issue::new(base, "item.not_object", format!("each item must be an object, not {}", item.kind())));
            continue;
        };
        check_unknown_fields(item_fields, &["id", "enable"], &base, "item.unknown_field", &mut issues);
        match item.get("id") {
            None => issues.push(Issue::new(format!("{base}/id"), "id.missing", "id is required")),
            Some(Value::String(id)) => {
                if !is_valid_id(id) {
                    issues.push(Issue::new(format!("{base}/id"), "id.invalid", "id must be 1 to 64 letters, digits, '-' or '_'"));
                } else if let Some(first) = seen.iter().position(|s| s == id) {
                    issues.push(Issue::new(
                        format!("{base}/id"),
                        "id.duplicate",
                        format!("server {id} is already listed at /items/{first}"),
                    ));
                }
                seen.push(id);
            }
            Some(other) => {
                issues.push(Issue::new(format!("{base}/id"), "id.not_string", format!("id must be a string, not {}", other.kind())));
            }
        }
        match item.get("enable") {
            None => issues.push(Issue::new(format!("{base}/enable"), "enable.missing", "enable is required")),
            Some(Value::Bool(_)) => {}
            Some(other) => issues.push(Issue::new(
                format!("{base}/enable"),
                "enable.not_boolean",
                format!("enable must be true or false, not {}", other.kind()),
            )),
        }
    }
    issues
}

/// Validates a batch-maint body, `{"items": [1 to 20 server ids], "maintain_status": bool}`,
/// listing every problem.
pub fn validate_maint_request(body: &Value) -> Vec<Issue> {
    let mut issues = Vec::new();
    let Some(fields) = body.as_object() else {
        issues.push(Issue::new("", "body.not_object", format!("the request must be an object, not {}", body.kind())));
        return issues;
    };
    check_unknown_fields(fields, &["items", "maintain_status"], "", "body.unknown_field", &mut issues);
    match body.get("items") {
        None => issues.push(Issue::new("/items", "items.missing", "items is required")),
        Some(Value::Array(items)) => {
            if items.is_empty() || items.len() > MAX_BATCH_ITEMS {
                issues.push(Issue::new(
                    "/items",
                    "items.count",
                    format!("items must list 1 to {MAX_BATCH_ITEMS} server ids, not {}", items.len()),
                ));
            }
            let mut seen: Vec<&str> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let path = format!("/items/{i}");
                match item {
                    Value::String(id) => {
                        check_id(id, &path, &mut issues);
                        if seen.contains(&id.as_str()) {
                            issues.push(Issue::new(path, "id.duplicate", format!("server {id} is listed twice")));
                        }
                        seen.push(id);
                    }
                    other => issues.push(Issue::new(
                        path,
                        "id.not_string",
                        format!("each item must be a server id string, not {}", other.kind()),
                    )),
                }
            }
        }
        Some(other) => issues.push(Issue::new("/items", "items.not_array", format!("items must be an array, not {}", other.kind()))),
    }
    match body.get("maintain_status") {
        None => issues.push(Issue::new("/maintain_status", "maintain_status.missing", "maintain_status is required")),
        Some(Value::Bool(_)) => {}
        Some(other) => issues.push(Issue::new(
            "/maintain_status",
            "maintain_status.not_boolean",
            format!("maintain_status must be true or false, not {}", other.kind()),
        )),
    }
    issues
}

/// What a query parameter may hold.
#[derive(Debug, Clone, Copy)]
pub enum ParamKind {
    /// A whole number within the bounds.
    Int { min: i64, max: i64 },
    /// Any string.
    Text,
    /// A boolean the API takes as the string "true" or "false"; either form is accepted.
    BoolText,
}

/// A query parameter ready for the wire, before encoding.
pub type QueryPair = (String, String);

/// Validates an optional query object against a spec and returns its pairs in spec order.
/// `null` and `undefined` values are left out, as the official SDK leaves out `None`.
pub fn validate_query(query: Option<&Value>, spec: &[(&str, ParamKind)]) -> Result<Vec<QueryPair>, Vec<Issue>> {
    let mut issues = Vec::new();
    let mut pairs = Vec::new();
    let fields = match query {
        None | Some(Value::Null) => return Ok(pairs),
        Some(Value::Object(fields)) => fields,
        Some(other) => {
            return Err(vec![Issue::new("", "query.not_object", format!("the query must be an object, not {}", other.kind()))]);
        }
    };
    let names: Vec<&str> = spec.iter().map(|(name, _)| *name).collect();
    check_unknown_fields(fields, &names, "", "query.unknown_field", &mut issues);
    for (name, kind) in spec {
        let path = pointer("", name);
        let value = match query.and_then(|q| q.get(name)) {
            None | Some(Value::Null) => continue,
            Some(value) => value,
        };
        match (kind, value) {
            (ParamKind::Int { min, max }, Value::Number(n)) => {
                if n.fract() != 0.0 || *n < *min as f64 || *n > *max as f64 {
                    issues.push(Issue::new(path, "query.out_of_range", format!("{name} must be a whole number from {min} to {max}")));
                } else {
                    pairs.push((name.to_string(), (*n as i64).to_string()));
                }
            }
            (ParamKind::Text, Value::String(s)) => pairs.push((name.to_string(), s.clone())),
            (ParamKind::BoolText, Value::Bool(b)) => pairs.push((name.to_string(), b.to_string())),
            (ParamKind::BoolText, Value::String(s)) if s == "true" || s == "false" => pairs.push((name.to_string(), s.clone())),
            (kind, other) => {
                let wanted = match kind {
                    ParamKind::Int { .. } => "a whole number",
                    ParamKind::Text => "a string",
                    ParamKind::BoolText => "true or false",
                };
                issues.push(Issue::new(path, "query.wrong_type", format!("{name} must be {wanted}, not {}", other.kind())));
            }
        }
    }
    if issues.is_empty() {
        Ok(pairs)
    } else {
        Err(issues)
    }
}

/// ListServers filters (reference §2.1).
pub const LIST_SERVERS_QUERY: &[(&str, ParamKind)] = &[
    ("offset", ParamKind::Int { min: 0, max: i32::MAX as i64 }),
    ("limit", ParamKind::Int { min: 1, max: 100 }),
    ("server_group_id", ParamKind::Text),
    ("server_name", ParamKind::Text),
    ("machine_name", ParamKind::Text),
    ("ip_addr", ParamKind::Text),
    ("server_id", ParamKind::Text),
    ("maintain_status", ParamKind::BoolText),
    ("scaling_auto_create", ParamKind::BoolText),
];

/// ListServerGroups filters (reference §3).
pub const LIST_SERVER_GROUPS_QUERY: &[(&str, ParamKind)] = &[
    ("offset", ParamKind::Int { min: 0, max: i32::MAX as i64 }),
    ("limit", ParamKind::Int { min: 1, max: 100 }),
    ("server_group_name", ParamKind::Text),
    ("server_group_id", ParamKind::Text),
    ("app_type", ParamKind::Text),
    ("tags", ParamKind::Text),
    ("enterprise_project_id", ParamKind::Text),
    ("is_secondary_server_group", ParamKind::BoolText),
];

/// ListSubJobs filters (reference §5.3).
pub const LIST_SUB_JOBS_QUERY: &[(&str, ParamKind)] = &[
    ("job_type", ParamKind::Text),
    ("job_id", ParamKind::Text),
    ("status", ParamKind::Text),
    ("offset", ParamKind::Int { min: 0, max: i32::MAX as i64 }),
    ("limit", ParamKind::Int { min: 1, max: 100 }),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn check(text: &str) -> Vec<(String, &'static str)> {
        let value: Value = json::from_str(text).unwrap();
        validate_batch_request(&value).into_iter().map(|i| (i.path, i.code)).collect()
    }

    fn items(n: usize) -> String {
        let list: Vec<String> = (0..n).map(|i| format!(r#"{{"id":"srv-{i}","enable":true}}"#)).collect();
        format!(r#"{{"items":[{}]}}"#, list.join(","))
    }

    #[test]
    fn the_seed_example_request_is_valid() {
        let seed = r#"{
            "items" : [ {
            "id" : "3f791197-d166-4c8e-81e4-38c40ffc1989",
            "enable" : true
            }, {
            "id" : "62f48b59-0ebb-4b1e-ad35-f64948a0591b",
            "enable" : true
            } ]
        }"#;
        assert_eq!(check(seed), vec![]);
    }

    #[test]
    fn one_and_twenty_items_are_valid() {
        assert_eq!(check(&items(1)), vec![]);
        assert_eq!(check(&items(20)), vec![]);
    }

    #[test]
    fn item_count_bounds() {
        assert_eq!(check(&items(0)), vec![("/items".into(), "items.empty")]);
        assert_eq!(check(&items(21)), vec![("/items".into(), "items.too_many")]);
    }

    #[test]
    fn body_shape() {
        assert_eq!(check("[]"), vec![("".into(), "body.not_object")]);
        assert_eq!(check("null"), vec![("".into(), "body.not_object")]);
        assert_eq!(check("{}"), vec![("/items".into(), "items.missing")]);
        assert_eq!(check(r#"{"items":{}}"#), vec![("/items".into(), "items.not_array")]);
        assert_eq!(check(r#"{"items":[{"id":"a","enable":true}],"dry_run":true}"#), vec![("/dry_run".into(), "body.unknown_field")]);
    }

    #[test]
    fn every_item_problem_is_listed_at_once() {
        let got = check(
            r#"{"items":[
                {"id":"ok-1","enable":true},
                "srv",
                {"enable":false},
                {"id":"bad id!","enable":"true"},
                {"id":7,"enable":1},
                {"id":"ok-1","enable":true,"force":true},
                {"id":"","enable":null},
                {"id":"x"}
            ]}"#,
        );
        assert_eq!(
            got,
            vec![
                ("/items/1".into(), "item.not_object"),
                ("/items/2/id".into(), "id.missing"),
                ("/items/3/id".into(), "id.invalid"),
                ("/items/3/enable".into(), "enable.not_boolean"),
                ("/items/4/id".into(), "id.not_string"),
                ("/items/4/enable".into(), "enable.not_boolean"),
                ("/items/5/force".into(), "item.unknown_field"),
                ("/items/5/id".into(), "id.duplicate"),
                ("/items/6/id".into(), "id.invalid"),
                ("/items/6/enable".into(), "enable.not_boolean"),
                ("/items/7/enable".into(), "enable.missing"),
            ]
        );
    }

    #[test]
    fn id_rules() {
        assert!(is_valid_id("3f791197-d166-4c8e-81e4-38c40ffc1989"));
        assert!(is_valid_id(&"a".repeat(64)));
        assert!(!is_valid_id(&"a".repeat(65)));
        assert!(!is_valid_id(""));
        assert!(!is_valid_id("a/b"));
        assert!(!is_valid_id("ü"));
        assert!(!is_valid_id("a.b"));
    }

    #[test]
    fn maint_requests() {
        let check = |text: &str| -> Vec<(String, &'static str)> {
            validate_maint_request(&json::from_str(text).unwrap()).into_iter().map(|i| (i.path, i.code)).collect()
        };
        assert_eq!(check(r#"{"items":["a","b"],"maintain_status":true}"#), vec![]);
        assert_eq!(
            check(r#"{"items":["a","a",3,"bad id"],"maintain_status":"yes","x":1}"#),
            vec![
                ("/x".into(), "body.unknown_field"),
                ("/items/1".into(), "id.duplicate"),
                ("/items/2".into(), "id.not_string"),
                ("/items/3".into(), "id.invalid"),
                ("/maintain_status".into(), "maintain_status.not_boolean"),
            ]
        );
        assert_eq!(
            check(r#"{"items":[]}"#),
            vec![("/items".into(), "items.count"), ("/maintain_status".into(), "maintain_status.missing")]
        );
    }

    #[test]
    fn pointers_escape_tilde_and_slash() {
        assert_eq!(pointer("/a", "b/c~d"), "/a/b~1c~0d");
    }

    #[test]
    fn query_rules() {
        let q: Value = json::from_str(r#"{"limit":100,"offset":0,"server_name":"a b","maintain_status":true,"ip_addr":null}"#).unwrap();
        assert_eq!(
            validate_query(Some(&q), LIST_SERVERS_QUERY).unwrap(),
            vec![
                ("offset".to_string(), "0".to_string()),
                ("limit".into(), "100".into()),
                ("server_name".into(), "a b".into()),
                ("maintain_status".into(), "true".into()),
            ]
        );
        let bad: Value = json::from_str(r#"{"limit":101,"offset":-1,"server_name":3,"maintain_status":"yes","colour":"red"}"#).unwrap();
        let codes: Vec<_> = validate_query(Some(&bad), LIST_SERVERS_QUERY).unwrap_err().into_iter().map(|i| (i.path, i.code)).collect();
        assert_eq!(
            codes,
            vec![
                ("/colour".into(), "query.unknown_field"),
                ("/offset".into(), "query.out_of_range"),
                ("/limit".into(), "query.out_of_range"),
                ("/server_name".into(), "query.wrong_type"),
                ("/maintain_status".into(), "query.wrong_type"),
            ]
        );
        let fractional: Value = json::from_str(r#"{"limit":2.5}"#).unwrap();
        assert!(validate_query(Some(&fractional), LIST_SERVERS_QUERY).is_err());
        assert_eq!(validate_query(None, LIST_SERVERS_QUERY).unwrap(), vec![]);
    }
}
