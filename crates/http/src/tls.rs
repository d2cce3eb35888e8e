//! The TLS connector of the HTTP client; trust decisions live in `loadgen-tls`.

use crate::base_url::BaseUrl;
use crate::config::HttpVersion;
use crate::error::HttpError;
use loadgen_tls::{client_tls_config, TlsOptions};
use rustls::pki_types::ServerName;
use std::sync::Arc;
use tokio_rustls::TlsConnector;

/// A connector for `base`'s host (its name is the SNI and the name checked, whatever address
/// `hosts` sends the connection to), offering `h2` first when `version` is HTTP/2.
pub(crate) fn connector(
    base: &BaseUrl,
    version: HttpVersion,
    opts: &TlsOptions,
) -> Result<(TlsConnector, ServerName<'static>), HttpError> {
    let alpn: &[&[u8]] = match version {
        HttpVersion::Http2 => &[b"h2", b"http/1.1"],
        HttpVersion::Http1 => &[b"http/1.1"],
    };
    let config = client_tls_config(opts, alpn)?;
    let name = ServerName::try_from(base.host().to_owned()).map_err(|_| HttpError::BaseUrl {
        url: base.host().to_owned(),
        reason: "host is not a valid TLS server name",
    })?;
    Ok((TlsConnector::from(Arc::new(config)), name))
}
