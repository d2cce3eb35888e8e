//! The live dashboard's set-up for `run` and `coordinator` (`--dashboard`, and HTTPS with
//! `--dashboard-tls`: the fleet's certificates and fingerprints), and `loadgen ctl`, which
//! pins an HTTPS dashboard's printed fingerprint.

use crate::args::DashboardArgs;
use crate::Fail;
use loadgen_dashboard::{Dashboard, RunShape, Tls};
use loadgen_engine::RunControl;

/// The dashboard on `--dashboard`, when given; its URL (with the token) and, over TLS, its
/// certificate's fingerprint are printed, each line starting with `who`.
pub fn start(
    d: &DashboardArgs,
    control: &RunControl,
    shape: RunShape,
    who: &str,
) -> Result<Option<Dashboard>, Fail> {
    let Some(addr) = d.dashboard else {
        return Ok(None);
    };
    let identity = match (&d.dashboard_cert, &d.dashboard_key) {
        (Some(c), Some(k)) => {
            Some(loadgen_fleet::tls::Identity::from_pem(c, k).map_err(Fail::bad_input)?)
        }
        _ if d.dashboard_tls => Some(loadgen_fleet::tls::Identity::generate(&[
            "loadgen-dashboard".to_string(),
        ])?),
        _ => None,
    };
    let tls = match identity {
        Some(id) => Some(Tls {
            acceptor: id.acceptor().map_err(Fail::bad_input)?,
            fingerprint: id.fingerprint(),
        }),
        None => None,
    };
    let dash =
        loadgen_dashboard::start(addr, control.clone(), shape, tls).map_err(Fail::bad_input)?;
    crate::say!(
        "{who}: dashboard at {} (the part after # is the control token)",
        dash.url
    );
    if let Some(fp) = &dash.fingerprint {
        crate::say!("{who}: dashboard certificate SHA-256 {fp} (loadgen ctl --fingerprint)");
    }
    Ok(Some(dash))
}

/// `loadgen ctl URL COMMAND [--fingerprint FP]`.
pub fn ctl(
    url: &str,
    token_file: Option<&std::path::Path>,
    command: &str,
    fingerprint: &Option<String>,
) -> Result<u8, Fail> {
    let connector = match fingerprint {
        Some(fp) => Some(loadgen_fleet::tls::connector(std::slice::from_ref(fp))?.0),
        None => None,
    };
    let answer = loadgen_dashboard::ctl_command(url, token_file, command, connector.as_ref())
        .map_err(Fail::bad_input)?;
    crate::say!("loadgen: {answer}");
    Ok(crate::exit::PASSED)
}
