//! Webhook and callback steps → the engine workload (a `WebhookFactory` session per VU).

use super::spec::{DeliverySpec, WebhookBuildError, WebhookStep, WebhookStepSpec, WebhookWorkload};
use crate::context::BuildContext;
use crate::http_defaults::{process_env, HttpVersionSpec};
use loadgen_engine::Workload;
use loadgen_http::{BaseUrl, Expect};
use loadgen_template::BodySource;
use loadgen_webhook::{
    CallbackStep, DeliveryStep, EventMix, FaultMix, Scheme, Signer, StepKind, WebhookClient,
    WebhookFactory,
};
use std::sync::Arc;

/// A header name and value, checked.
type Header = (http::HeaderName, http::HeaderValue);

/// Builds a webhook workload against the context's base URL.
pub(crate) fn build(
    w: &WebhookWorkload,
    ctx: &BuildContext<'_>,
) -> Result<Workload, WebhookBuildError> {
    let b = Builder { ctx };
    let base = BaseUrl::parse(ctx.base_url).map_err(|e| b.err(e.to_string()))?;
    let defaults = b.headers(&ctx.http.headers)?;
    let steps = w
        .steps
        .iter()
        .map(|s| b.step(s))
        .collect::<Result<Vec<_>, _>>()?;
    let client = b.client(base, defaults)?;
    let factory = WebhookFactory::new(client, steps).map_err(|e| b.err(e.to_string()))?;
    let names = factory.step_names();
    Ok(ctx.workload(names, factory, w.custom_metrics()))
}

/// One workload's build, its errors naming the workload.
struct Builder<'a> {
    ctx: &'a BuildContext<'a>,
}

impl Builder<'_> {
    fn err(&self, message: String) -> WebhookBuildError {
        WebhookBuildError {
            workload: self.ctx.workload.to_string(),
            message,
        }
    }

    fn headers(&self, list: &[(String, String)]) -> Result<Vec<Header>, WebhookBuildError> {
        list.iter()
            .map(|(k, v)| {
                Ok((
                    http::HeaderName::from_bytes(k.as_bytes())
                        .map_err(|_| self.err(format!("invalid header `{k}`")))?,
                    http::HeaderValue::from_str(v)
                        .map_err(|_| self.err(format!("invalid value of header `{k}`")))?,
                ))
            })
            .collect()
    }

    fn source(&self, ix: usize) -> Arc<dyn BodySource> {
        Arc::new(self.ctx.payloads[ix].clone())
    }

    fn step(&self, s: &WebhookStep) -> Result<StepKind, WebhookBuildError> {
        let expect = Expect {
            status: s.status.clone(),
            ..Expect::default()
        };
        Ok(match &s.spec {
            WebhookStepSpec::Delivery(d) => self.delivery(&s.name, d, expect)?,
            WebhookStepSpec::Callback(c) => StepKind::Callback(Box::new(CallbackStep {
                name: s.name.clone(),
                method: c
                    .method
                    .parse()
                    .map_err(|_| self.err(format!("method `{}`", c.method)))?,
                path: c.path.clone(),
                body: c.payload.map(|ix| self.source(ix)),
                json: c.json.clone(),
                within: c.within,
                expect,
                headers: self.headers(&c.headers)?,
            })),
        })
    }

    fn delivery(
        &self,
        name: &str,
        d: &DeliverySpec,
        expect: Expect,
    ) -> Result<StepKind, WebhookBuildError> {
        let err = |e: &dyn std::fmt::Display| self.err(e.to_string());
        let scheme = match &d.scheme {
            // Square signs the URL it delivered to: the target's, known only now.
            Scheme::Square { notification_url } if notification_url.is_empty() => Scheme::Square {
                notification_url: format!("{}{}", self.ctx.base_url.trim_end_matches('/'), d.path),
            },
            other => other.clone(),
        };
        Ok(StepKind::Delivery(Box::new(DeliveryStep {
            name: name.to_string(),
            path: d.path.clone(),
            signer: Signer::new(scheme, &d.secret).map_err(|e| err(&e))?,
            events: EventMix::new(d.events.clone()).map_err(|e| err(&e))?,
            object: d.payload.map(|ix| self.source(ix)),
            retry: d.retry,
            faults: FaultMix::new(d.fail_share, d.fail_kinds.clone()).map_err(|e| err(&e))?,
            expect,
            headers: self.headers(&d.headers)?,
        })))
    }

    /// The client every VU's deliveries go through: `[http]`'s version, TLS, hosts, proxy,
    /// timeouts and headers.
    fn client(
        &self,
        base: BaseUrl,
        headers: Vec<Header>,
    ) -> Result<WebhookClient, WebhookBuildError> {
        let http = self.ctx.http;
        let proxy = http
            .proxy
            .resolve(base.host(), base.is_tls(), &process_env)
            .map_err(|e| self.err(e.to_string()))?;
        Ok(WebhookClient {
            version: match http.version {
                HttpVersionSpec::Http1 => loadgen_http::HttpVersion::Http1,
                HttpVersionSpec::Http2 => loadgen_http::HttpVersion::Http2,
            },
            tls: http.tls_for(base.host()),
            base,
            hosts: http.hosts.clone(),
            proxy,
            connect_timeout: http.connect_timeout,
            request_timeout: http.timeout,
            headers,
            fast_path: http.fast_path,
        })
    }
}
