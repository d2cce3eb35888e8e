//! The type-erased workload driver a plan holds: one `dyn` call per workload per thread, none
//! per request.

use crate::ctx::ShardCtx;
use crate::model::Model;
use crate::session::SessionFactory;
use crate::{open, vu_loop};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Type-erased workload driver: one `dyn` call per workload per thread, none per request.
pub(crate) trait Driver: Send + Sync {
    fn drive(self: Arc<Self>, ctx: ShardCtx) -> Pin<Box<dyn Future<Output = ()>>>;
}

pub(crate) struct FactoryDriver<F>(pub F);

impl<F: SessionFactory> Driver for FactoryDriver<F> {
    fn drive(self: Arc<Self>, ctx: ShardCtx) -> Pin<Box<dyn Future<Output = ()>>> {
        match ctx.model.clone() {
            Model::Open(m) => Box::pin(async move { open::drive(&self.0, &m, ctx).await }),
            Model::Closed(m) => Box::pin(async move { vu_loop::drive(&self.0, &m, ctx).await }),
        }
    }
}
