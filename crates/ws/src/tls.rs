//! The rustls client for `wss://`: the shared trust policy of `loadgen-tls` (roots, CA file,
//! client identity, lowest version, or `insecure`), offering only `http/1.1` (the upgrade is
//! an HTTP/1.1 request).

use crate::error::WsError;
use loadgen_http::TlsOptions;
use rustls::pki_types::ServerName;
use std::sync::Arc;
use tokio_rustls::TlsConnector;

/// A connector, and the name to present for `host`.
pub(crate) fn connector(
    host: &str,
    opts: &TlsOptions,
) -> Result<(TlsConnector, ServerName<'static>), WsError> {
    let config = loadgen_http::client_tls_config(opts, &[b"http/1.1"])?;
    let name = ServerName::try_from(host.to_owned()).map_err(|_| WsError::Url {
        url: host.to_owned(),
        reason: "host is not a valid TLS server name",
    })?;
    Ok((TlsConnector::from(Arc::new(config)), name))
}
