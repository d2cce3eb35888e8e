//! `[http]`'s TLS, name and proxy fields: `ca_file`, `client_cert` + `client_key`,
//! `[[http.tls_auth]]`, `min_tls_version`, `hosts` and `proxy`. Files are read here, when the scenario is validated, so a
//! missing or unreadable one is reported at its line before any traffic.

use crate::check::Checker;
use crate::http_defaults::{ProxySpec, TlsAuth};
use crate::raw::RawHttp;
use loadgen_http::{load_ca_file, ClientIdentity, HostOverrides, MinTlsVersion, TlsOptions};
use std::net::IpAddr;
use std::path::Path;

/// Reads `r`'s TLS fields into `tls` (its `insecure` already set) and returns `hosts`;
/// relative paths are relative to the scenario file's folder (`base_dir`).
pub(crate) fn tls_fields(
    c: &mut Checker<'_>,
    r: &RawHttp,
    base_dir: &Path,
    tls: &mut TlsOptions,
) -> HostOverrides {
    if let Some(f) = &r.ca_file {
        match load_ca_file(&base_dir.join(f.get_ref())) {
            Ok(roots) => tls.extra_roots = roots,
            Err(e) => c.at(f, "http.ca_file", e),
        }
    }
    match (&r.client_cert, &r.client_key) {
        (Some(cert), Some(key)) => {
            match ClientIdentity::load(
                &base_dir.join(cert.get_ref()),
                &base_dir.join(key.get_ref()),
            ) {
                Ok(id) => tls.identity = Some(id),
                // Name the field whose file is at fault, pointing at its value.
                Err(e) if names(&e, key.get_ref(), base_dir) => c.at(key, "http.client_key", e),
                Err(e) => c.at(cert, "http.client_cert", e),
            }
        }
        (Some(cert), None) => c.at(cert, "http.client_cert", "needs client_key beside it"),
        (None, Some(key)) => c.at(key, "http.client_key", "needs client_cert beside it"),
        (None, None) => {}
    }
    if let Some(v) = &r.min_tls_version {
        match v.get_ref().as_str() {
            "1.2" => tls.min_version = MinTlsVersion::Tls12,
            "1.3" => tls.min_version = MinTlsVersion::Tls13,
            other => c.at(
                v,
                "http.min_tls_version",
                format!("unknown version `{other}` (use \"1.2\" or \"1.3\")"),
            ),
        }
    }
    hosts(c, r)
}

/// `[[http.tls_auth]]`: each entry's domains and identity (files relative to `base_dir`).
pub(crate) fn tls_auth(c: &mut Checker<'_>, r: &RawHttp, base_dir: &Path) -> Vec<TlsAuth> {
    let mut out = Vec::new();
    for (i, a) in r.tls_auth.iter().enumerate() {
        let a = a.get_ref();
        let field = |f: &str| format!("http.tls_auth[{i}].{f}");
        let domains: Vec<String> = a
            .domains
            .get_ref()
            .iter()
            .map(|d| d.get_ref().to_ascii_lowercase())
            .collect();
        if domains.is_empty() {
            c.at(&a.domains, field("domains"), "lists no host");
        }
        let (cert, key) = (&a.client_cert, &a.client_key);
        match ClientIdentity::load(
            &base_dir.join(cert.get_ref()),
            &base_dir.join(key.get_ref()),
        ) {
            Ok(identity) => out.push(TlsAuth { domains, identity }),
            Err(e) if names(&e, key.get_ref(), base_dir) => c.at(key, field("client_key"), e),
            Err(e) => c.at(cert, field("client_cert"), e),
        }
    }
    out
}

/// `proxy`: `"env"`, `"none"` or an `http://host:port` URL.
pub(crate) fn proxy(c: &mut Checker<'_>, r: &RawHttp) -> ProxySpec {
    let Some(v) = &r.proxy else {
        return ProxySpec::Direct;
    };
    match v.get_ref().as_str() {
        "env" => ProxySpec::Env,
        "none" => ProxySpec::Direct,
        url => match loadgen_http::Proxy::parse(url) {
            Ok(p) => ProxySpec::Url(p),
            Err(e) => {
                c.at(
                    v,
                    "http.proxy",
                    format!("{e} (or \"env\" for HTTPS_PROXY/HTTP_PROXY)"),
                );
                ProxySpec::Direct
            }
        },
    }
}

fn hosts(c: &mut Checker<'_>, r: &RawHttp) -> HostOverrides {
    let mut out = HostOverrides::new();
    for (name, addr) in &r.hosts {
        let field = format!("http.hosts.{name}");
        if name.is_empty() || name.parse::<IpAddr>().is_ok() {
            c.at(
                addr,
                field,
                "the key must be a host name (the name in the target URL)",
            );
            continue;
        }
        match addr.get_ref().parse::<IpAddr>() {
            Ok(ip) => {
                out.insert(name.to_ascii_lowercase(), ip);
            }
            Err(_) => c.at(
                addr,
                field,
                format!(
                    "`{}` is not an IP address (hosts maps a name to the address to connect to)",
                    addr.get_ref()
                ),
            ),
        }
    }
    out
}

/// True when `e` is about the file `written` (relative to `base_dir`).
fn names(e: &loadgen_http::TlsError, written: &str, base_dir: &Path) -> bool {
    let path = match e {
        loadgen_http::TlsError::Read { path, .. } | loadgen_http::TlsError::Pem { path, .. } => {
            path
        }
        _ => return false,
    };
    *path == base_dir.join(written)
}
