//! The live dashboard's flags for `run` and `coordinator` (`loadgen-runner` starts it), and
//! `loadgen ctl`, which pins an HTTPS dashboard's printed fingerprint.

use crate::args::DashboardArgs;
use crate::Fail;

/// The dashboard's flags as `loadgen-runner` takes them.
pub fn settings(d: &DashboardArgs) -> loadgen_runner::DashboardSettings<'_> {
    loadgen_runner::DashboardSettings {
        addr: d.dashboard,
        tls: d.dashboard_tls,
        cert: d.dashboard_cert.as_deref(),
        key: d.dashboard_key.as_deref(),
    }
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
