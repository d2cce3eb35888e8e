//! The live dashboard's set-up for `run` and `coordinator` (`--dashboard`, and HTTPS with
//! `--dashboard-tls`: the fleet's certificates and fingerprints).

use crate::RunError;
use loadgen_dashboard::{Dashboard, RunShape, Tls};
use loadgen_engine::RunControl;
use std::net::SocketAddr;
use std::path::Path;

/// `--dashboard[=ADDR]`, `--dashboard-tls`, `--dashboard-cert` and `--dashboard-key`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DashboardSettings<'a> {
    /// Where to listen; `None`: no dashboard.
    pub addr: Option<SocketAddr>,
    /// Serve HTTPS with a certificate made at start-up (unless `cert` and `key` are given).
    pub tls: bool,
    pub cert: Option<&'a Path>,
    pub key: Option<&'a Path>,
}

/// The dashboard `d` asks for, when it asks for one; its URL (with the token) and, over TLS,
/// its certificate's fingerprint are printed, each line starting with `who`.
pub fn start_dashboard(
    d: &DashboardSettings<'_>,
    control: &RunControl,
    shape: RunShape,
    who: &str,
) -> Result<Option<Dashboard>, RunError> {
    let Some(addr) = d.addr else {
        return Ok(None);
    };
    let identity = match (d.cert, d.key) {
        (Some(c), Some(k)) => {
            Some(loadgen_fleet::tls::Identity::from_pem(c, k).map_err(RunError::bad)?)
        }
        _ if d.tls => Some(
            loadgen_fleet::tls::Identity::generate(&["loadgen-dashboard".to_string()])
                .map_err(RunError::internal)?,
        ),
        _ => None,
    };
    let tls = match identity {
        Some(id) => Some(Tls {
            acceptor: id.acceptor().map_err(RunError::bad)?,
            fingerprint: id.fingerprint(),
        }),
        None => None,
    };
    let dash =
        loadgen_dashboard::start(addr, control.clone(), shape, tls).map_err(RunError::bad)?;
    loadgen_console::say!(
        "{who}: dashboard at {} (the part after # is the control token)",
        dash.url
    );
    if let Some(fp) = &dash.fingerprint {
        loadgen_console::say!(
            "{who}: dashboard certificate SHA-256 {fp} (loadgen ctl --fingerprint)"
        );
    }
    Ok(Some(dash))
}
