use crate::common::*;
use tsvi_gateway::config::DEFAULT_PROJECT_ID;
use tsvi_gateway::http::CONTENT_SECURITY_POLICY;
use tsvi_gateway::{GatewayConfig, SimulatorConfig};

async fn site() -> Gw {
    let www = temp_dir("www");
    let pkg = temp_dir("pkg");
    std::fs::write(www.join("index.html"), "<!doctype html><title>TSVI</title>").unwrap();
    std::fs::write(www.join("app.js"), "export const x = 1;").unwrap();
    std::fs::write(www.join("style.css"), "body{}").unwrap();
    std::fs::create_dir_all(www.join("img")).unwrap();
    std::fs::write(www.join("img/logo.svg"), "<svg/>").unwrap();
    std::fs::write(www.join(".secret"), "no").unwrap();
    std::fs::write(pkg.join("workspace_tsvi_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(pkg.join("workspace_tsvi.js"), "export default 1;").unwrap();
    std::fs::write(pkg.join("workspace_tsvi.d.ts"), "export {};").unwrap();
    let mut config = GatewayConfig::simulator(SimulatorConfig::default());
    config.www = www;
    config.pkg = pkg;
    Gw::from_config(config).await
}

#[tokio::test]
async fn serves_the_page_and_the_package_with_the_right_types_and_headers() {
    let gw = site().await;
    let page = gw.send("GET", "/", &[], None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("TSVI"));
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.header("content-security-policy"), Some(CONTENT_SECURITY_POLICY));
    assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self' 'wasm-unsafe-eval'") && !CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(page.request_id().len(), 36);
    for (path, content_type) in [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/img/logo.svg", "image/svg+xml"),
        ("/pkg/workspace_tsvi_bg.wasm", "application/wasm"),
        ("/pkg/workspace_tsvi.js", "text/javascript; charset=utf-8"),
        ("/pkg/workspace_tsvi.d.ts", "text/plain; charset=utf-8"),
    ] {
        let r = gw.send("GET", path, &[], None).await;
        assert_eq!((r.status, r.header("content-type")), (200, Some(content_type)), "{path}");
    }
    let head = gw.send("HEAD", "/app.js", &[], None).await;
    assert_eq!((head.status, head.body.as_str()), (200, ""));
}

#[tokio::test]
async fn missing_files_and_unsafe_paths_are_404() {
    let gw = site().await;
    for path in ["/nope.html", "/pkg/nope.wasm", "/.secret", "/a%5Cb"] {
        let r = gw.send("GET", path, &[], None).await;
        assert_eq!((r.status, r.error_code().as_str()), (404, "GATEWAY.0404"), "{path}");
    }
    // Written as sent: an HTTP client would normalize these away.
    for target in ["/pkg/../app.js", "/pkg/%2e%2e/app.js", "/img/../../../etc/passwd", "/img/%2E%2E/%2e%2e/etc/passwd", "/pkg/..%2Fapp.js"]
    {
        assert_eq!(raw_status(gw.gateway.addr(), "GET", target).await, 404, "{target}");
    }
    assert_eq!(raw_status(gw.gateway.addr(), "GET", "/img/logo.svg").await, 200);
    let r = gw.send("POST", "/app.js", &[], Some("{}")).await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn missing_directories_do_not_crash_the_gateway() {
    let mut config = GatewayConfig::simulator(SimulatorConfig::default());
    config.www = temp_dir("empty").join("no-www");
    config.pkg = temp_dir("empty").join("no-pkg");
    let gw = Gw::from_config(config).await;
    let r = gw.send("GET", "/", &[], None).await;
    assert_eq!(r.status, 404);
    assert!(r.error_msg().contains("www/index.html"));
    assert_eq!(gw.send("GET", "/pkg/workspace_tsvi.js", &[], None).await.status, 404);
    assert_eq!(gw.get(&api("app-servers")).await.status, 200, "the API still works");
}

#[tokio::test]
async fn config_json_prefills_the_connect_form() {
    let gw = site().await;
    let r = gw.send("GET", "/config.json", &[], None).await;
    assert_eq!(r.status, 200);
    let config = r.json();
    assert_eq!(config["mode"], "simulator");
    assert!(config["endpoint"].is_null(), "the page uses its own origin");
    assert_eq!(config["projectId"], DEFAULT_PROJECT_ID);
    assert_eq!((config["token"].as_str(), config["ak"].as_str(), config["sk"].as_str()), (Some(TOKEN), Some(AK), Some(SK)));
    assert_eq!(config["auth"], "token");
}
