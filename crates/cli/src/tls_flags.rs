//! `--cacert`, `--client-cert` and `--client-key` on `loadgen run`: they replace the
//! scenario's `ca_file` and client identity (ad-hoc runs included), for HTTP, `wss://` and
//! webhook deliveries alike. Files are read before any traffic.

use crate::args::RunArgs;
use crate::Fail;
use loadgen_scenario::Scenario;

/// Applies the flags given to `sc`; a file that cannot be used is bad input (exit 2).
pub fn apply(a: &RunArgs, sc: &mut Scenario) -> Result<(), Fail> {
    if let Some(ca) = &a.cacert {
        let roots = loadgen_tls::load_ca_file(ca)
            .map_err(|e| Fail::bad_input(anyhow::anyhow!("--cacert: {e}")))?;
        sc.http.tls.extra_roots = roots;
    }
    match (&a.client_cert, &a.client_key) {
        (Some(cert), Some(key)) => {
            let id = loadgen_tls::ClientIdentity::load(cert, key)
                .map_err(|e| Fail::bad_input(anyhow::anyhow!("--client-cert: {e}")))?;
            sc.http.tls.identity = Some(id);
        }
        (None, None) => {}
        _ => {
            return Err(Fail::bad_input(anyhow::anyhow!(
                "--client-cert and --client-key go together"
            )))
        }
    }
    Ok(())
}
