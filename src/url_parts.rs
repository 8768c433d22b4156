//! Absolute URLs, read with the WHATWG URL parser of the platform: the `url` crate natively,
//! the host's own `URL` on wasm32 (which costs no code size, where the crate's would be the
//! largest part of the module).

/// The parts of an absolute URL this crate looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlParts {
    /// Lower case, without the `:`.
    pub scheme: String,
    /// The host name or address; an IPv6 address keeps its brackets.
    pub host: String,
    /// Absent when it is the scheme's default.
    pub port: Option<u16>,
    /// The path, percent-encoded as the parser left it.
    pub path: String,
    pub has_query: bool,
    pub has_fragment: bool,
    pub has_userinfo: bool,
}

impl UrlParts {
    /// `host[:port]`, as a client sends it in `Host`.
    pub fn authority(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }

    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority())
    }

    /// `localhost`, `127.0.0.0/8` or `[::1]`. Both parsers (the `url` crate and the host's
    /// `URL`) normalize IP hosts (`127.1` is `127.0.0.1`, `[0::1]` is `[::1]`), so the
    /// normalized spellings are all there is to check, without an IP address parser.
    pub fn is_loopback_host(&self) -> bool {
        let ipv4_loopback = || {
            let octets: Vec<&str> = self.host.split('.').collect();
            octets.len() == 4 && octets[0] == "127" && octets.iter().all(|o| o.parse::<u8>().is_ok())
        };
        self.host.eq_ignore_ascii_case("localhost") || self.host == "[::1]" || ipv4_loopback()
    }
}

#[cfg(not(target_arch = "wasm32"))]
pub fn parse(input: &str) -> Option<UrlParts> {
    let url = url::Url::parse(input).ok()?;
    Some(UrlParts {
        scheme: url.scheme().to_owned(),
        host: url.host_str()?.to_owned(),
        port: url.port(),
        path: url.path().to_owned(),
        has_query: url.query().is_some_and(|q| !q.is_empty()),
        has_fragment: url.fragment().is_some_and(|f| !f.is_empty()),
        has_userinfo: !url.username().is_empty() || url.password().is_some(),
    })
}

#[cfg(target_arch = "wasm32")]
pub fn parse(input: &str) -> Option<UrlParts> {
    let url = web_sys::Url::new(input).ok()?;
    let scheme = url.protocol().trim_end_matches(':').to_owned();
    let port = url.port();
    Some(UrlParts {
        scheme,
        host: url.hostname(),
        port: if port.is_empty() { None } else { port.parse().ok() },
        path: url.pathname(),
        has_query: !url.search().is_empty(),
        has_fragment: !url.hash().is_empty(),
        has_userinfo: !url.username().is_empty() || !url.password().is_empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_parts() {
        let u = parse("https://h.example:8443/v1/my group:ü@x").unwrap();
        assert_eq!((u.scheme.as_str(), u.host.as_str(), u.port), ("https", "h.example", Some(8443)));
        assert_eq!(u.path, "/v1/my%20group:%C3%BC@x");
        assert_eq!(u.origin(), "https://h.example:8443");
        assert!(!u.has_query && !u.has_userinfo);
        assert_eq!(parse("https://h:443/").unwrap().port, None);
        assert!(parse("http://u:p@[::1]:1/?q#f").map(|u| u.has_query && u.has_fragment && u.has_userinfo && u.is_loopback_host()).unwrap());
        assert!(parse("http://127.0.0.2").unwrap().is_loopback_host());
        assert!(!parse("http://10.0.0.1").unwrap().is_loopback_host());
        // Spellings the parser normalizes first.
        assert!(parse("http://127.1:8080").unwrap().is_loopback_host());
        assert!(parse("http://[0:0::1]").unwrap().is_loopback_host());
        assert!(parse("http://0x7f000001").unwrap().is_loopback_host());
        assert!(!parse("http://[::2]").unwrap().is_loopback_host());
        assert!(!parse("http://127.0.0.1.example.com").unwrap().is_loopback_host());
        assert!(parse("not a url").is_none());
    }
}
