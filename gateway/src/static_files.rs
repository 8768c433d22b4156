//! The page (`www/` at `/`), the package (`pkg/` at `/pkg/`) and `/config.json`, which
//! pre-fills the page's connect form. A missing directory or file is a 404, never a crash;
//! paths with `..`, hidden segments or backslashes are refused.

use crate::error::{codes, ApiError};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use percent_encoding::percent_decode_str;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct StaticSite {
    pub www: PathBuf,
    pub pkg: PathBuf,
    /// The body of `/config.json`.
    pub config_json: Value,
}

pub fn router(site: Arc<StaticSite>) -> Router {
    Router::new().route("/config.json", get(config_json)).route("/pkg/{*path}", get(pkg_file)).fallback(www_file).with_state(site)
}

async fn config_json(State(site): State<Arc<StaticSite>>) -> Json<Value> {
    Json(site.config_json.clone())
}

/// The content type of a file, by its extension.
pub fn content_type(path: &Path) -> &'static str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.ends_with(".d.ts") {
        return "text/plain; charset=utf-8";
    }
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs" | "cjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("webp") => "image/webp",
        Some("woff2") => "font/woff2",
        Some("txt" | "md" | "ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// A request path (still percent-encoded) as a path under `root`, if it is a safe one.
pub fn resolve(root: &Path, encoded: &str) -> Option<PathBuf> {
    let mut path = root.to_path_buf();
    for segment in encoded.split('/').filter(|s| !s.is_empty()) {
        let segment = percent_decode_str(segment).decode_utf8().ok()?;
        if segment.starts_with('.') || segment.contains(['/', '\\', '\0', ':']) {
            return None;
        }
        path.push(segment.as_ref());
    }
    Some(path)
}

fn not_found(what: &str) -> Response {
    ApiError::new(StatusCode::NOT_FOUND, codes::PAGE_NOT_FOUND, format!("{what} was not found.")).into_response()
}

async fn serve(root: &Path, encoded: &str, what: &str) -> Response {
    let Some(mut path) = resolve(root, encoded) else {
        return not_found(what);
    };
    if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
        path.push("index.html");
    }
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            response
        }
        Err(_) => not_found(what),
    }
}

async fn pkg_file(State(site): State<Arc<StaticSite>>, request: Request) -> Response {
    let encoded = request.uri().path().strip_prefix("/pkg").unwrap_or("");
    serve(&site.pkg, encoded, "This file of the package (pkg/)").await
}

async fn www_file(State(site): State<Arc<StaticSite>>, request: Request) -> Response {
    if crate::api::is_api_path(request.uri().path()) {
        return ApiError::no_such_api().into_response();
    }
    if !matches!(*request.method(), Method::GET | Method::HEAD) {
        return not_found("This page");
    }
    let path = request.uri().path();
    if path == "/" && !site.www.join("index.html").is_file() {
        return not_found("The page (www/index.html; build it or pass --www)");
    }
    serve(&site.www, path, "This page").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(content_type(Path::new("a/b.wasm")), "application/wasm");
        assert!(content_type(Path::new("x.mjs")).starts_with("text/javascript"));
        assert!(content_type(Path::new("x.d.ts")).starts_with("text/plain"));
        assert_eq!(content_type(Path::new("x.unknown")), "application/octet-stream");
    }

    #[test]
    fn unsafe_paths_are_refused() {
        let root = Path::new("/srv/www");
        assert_eq!(resolve(root, "/app/main.js"), Some(PathBuf::from("/srv/www/app/main.js")));
        assert_eq!(resolve(root, "/my%20file.js"), Some(PathBuf::from("/srv/www/my file.js")));
        for bad in ["/../etc/passwd", "/a/%2e%2e/b", "/.git/config", "/a%2Fb", "/a%5Cb", "/%ff"] {
            assert_eq!(resolve(root, bad), None, "{bad}");
        }
    }
}
