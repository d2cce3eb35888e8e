//! Webhook and callback steps → the engine workload (a `WebhookFactory` session per VU).

use super::spec::{WebhookBuildError, WebhookStepSpec, WebhookWorkload};
use crate::protocol::context::BuildContext;
use loadgen_engine::Workload;
use loadgen_http::{BaseUrl, BodySource, Expect};
use loadgen_webhook::{
    CallbackStep, DeliveryStep, EventMix, FaultMix, Scheme, Signer, StepKind, WebhookClient,
    WebhookFactory,
};
use std::sync::Arc;

/// Builds a webhook workload against `base_url`.
pub(crate) fn build(
    w: &WebhookWorkload,
    ctx: &BuildContext<'_>,
) -> Result<Workload, WebhookBuildError> {
    let err = |message: String| WebhookBuildError {
        workload: ctx.workload.to_string(),
        message,
    };
    let (base_url, http) = (ctx.base_url, ctx.http);
    let base = BaseUrl::parse(base_url).map_err(|e| err(e.to_string()))?;
    let header = |k: &str, v: &str| {
        Ok::<_, WebhookBuildError>((
            http::HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| err(format!("invalid header `{k}`")))?,
            http::HeaderValue::from_str(v)
                .map_err(|_| err(format!("invalid value of header `{k}`")))?,
        ))
    };
    let defaults = http
        .headers
        .iter()
        .map(|(k, v)| header(k, v))
        .collect::<Result<Vec<_>, _>>()?;
    let source = |ix: usize| -> Arc<dyn BodySource> { Arc::new(ctx.payloads[ix].clone()) };
    let mut steps = Vec::new();
    for s in &w.steps {
        let expect = Expect {
            status: s.status.clone(),
            ..Expect::default()
        };
        let kind = match &s.spec {
            WebhookStepSpec::Delivery(d) => {
                let scheme = match &d.scheme {
                    Scheme::Square { notification_url } if notification_url.is_empty() => {
                        Scheme::Square {
                            notification_url: format!(
                                "{}{}",
                                base_url.trim_end_matches('/'),
                                d.path
                            ),
                        }
                    }
                    other => other.clone(),
                };
                let signer = Signer::new(scheme, &d.secret).map_err(|e| err(e.to_string()))?;
                StepKind::Delivery(Box::new(DeliveryStep {
                    name: s.name.clone(),
                    path: d.path.clone(),
                    signer,
                    events: EventMix::new(d.events.clone()).map_err(|e| err(e.to_string()))?,
                    object: d.payload.map(source),
                    retry: d.retry,
                    faults: FaultMix::new(d.fail_share, d.fail_kinds.clone())
                        .map_err(|e| err(e.to_string()))?,
                    expect,
                    headers: d
                        .headers
                        .iter()
                        .map(|(k, v)| header(k, v))
                        .collect::<Result<_, _>>()?,
                }))
            }
            WebhookStepSpec::Callback(c) => StepKind::Callback(Box::new(CallbackStep {
                name: s.name.clone(),
                method: c
                    .method
                    .parse()
                    .map_err(|_| err(format!("method `{}`", c.method)))?,
                path: c.path.clone(),
                body: c.payload.map(source),
                json: c.json.clone(),
                within: c.within,
                expect,
                headers: c
                    .headers
                    .iter()
                    .map(|(k, v)| header(k, v))
                    .collect::<Result<_, _>>()?,
            })),
        };
        steps.push(kind);
    }
    let proxy = http
        .proxy
        .resolve(
            base.host(),
            base.is_tls(),
            &crate::http_defaults::process_env,
        )
        .map_err(|e| err(e.to_string()))?;
    let tls = http.tls_for(base.host());
    let client = WebhookClient {
        base,
        version: match http.version {
            crate::http_defaults::HttpVersionSpec::Http1 => loadgen_http::HttpVersion::Http1,
            crate::http_defaults::HttpVersionSpec::Http2 => loadgen_http::HttpVersion::Http2,
        },
        tls,
        hosts: http.hosts.clone(),
        proxy,
        connect_timeout: http.connect_timeout,
        request_timeout: http.timeout,
        headers: defaults,
    };
    let factory = WebhookFactory::new(client, steps).map_err(|e| err(e.to_string()))?;
    let names = factory.step_names();
    Ok(ctx.workload(names, factory, w.custom_metrics()))
}
