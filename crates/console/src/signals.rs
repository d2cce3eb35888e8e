//! SIGINT/SIGTERM: the first stops the run gracefully, the second stops it at once.

use loadgen_engine::RunControl;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Watches for termination signals on a background thread; returns a flag that is set once a
/// signal arrived (the run then exits 130 after writing its results).
pub fn watch(control: RunControl) -> Arc<AtomicBool> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = interrupted.clone();
    std::thread::Builder::new()
        .name("loadgen-signals".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use tokio::signal::unix::{signal, SignalKind};
                let (Ok(mut int), Ok(mut term)) = (
                    signal(SignalKind::interrupt()),
                    signal(SignalKind::terminate()),
                ) else {
                    return;
                };
                for n in 0.. {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                    flag.store(true, Ordering::SeqCst);
                    if n == 0 {
                        crate::warn!("loadgen: stopping (graceful; signal again to stop at once)");
                        control.stop();
                    } else {
                        crate::warn!("loadgen: stopping now");
                        control.kill();
                        break;
                    }
                }
            });
        })
        .expect("spawn signal thread");
    interrupted
}
