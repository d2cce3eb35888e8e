//! The fields of `webhook = {…}` (a signed delivery: provider, secret, events, retries,
//! built-to-fail share) and `callback = {…}` (a request answered later by a call back).
//! Secrets are kept in [`Secret`], whose `Debug` prints `***`; no message here quotes one.

use super::fields::{
    bad, duration, headers, path, payload_ref, required, string, take, unknown, weight, Bad,
};
use super::spec::{CallbackSpec, DeliverySpec};
use loadgen_grammar::units::parse_share;
use loadgen_webhook::{
    Algorithm, Encoding, EventMix, Fault, FaultMix, GenericScheme, RetryPolicy, Scheme, Secret,
    Signed, Signer,
};

/// The keys of `webhook = {…}` (the scenario's key walk reports any other).
pub(crate) const DELIVERY_KEYS: [&str; 16] = [
    "provider",
    "secret",
    "path",
    "events",
    "payload",
    "retries",
    "fail",
    "headers",
    "notification_url",
    "header",
    "algorithm",
    "encoding",
    "signed",
    "prefix",
    "timestamp_header",
    "id_header",
];

/// The keys of `retries = {…}`.
pub(crate) const RETRY_KEYS: [&str; 3] = ["max", "backoff", "max_backoff"];

/// The keys of a delivery's `fail = {…}`: the share and the kinds of built-to-fail delivery.
pub(crate) const FAIL_KEYS: [&str; 5] = [
    "share",
    "bad_signature",
    "stale",
    "duplicate",
    "out_of_order",
];

/// The keys of `callback = {…}`.
pub(crate) const CALLBACK_KEYS: [&str; 5] = ["path", "method", "json", "within", "headers"];

/// `webhook = {…}` read; every problem of the table is returned (each field is read on its
/// own; what depends on a bad field is not checked again).
pub(super) fn delivery(t: &toml::Table, payloads: &[String]) -> Result<DeliverySpec, Vec<Bad>> {
    let all = &mut Vec::new();
    take(all, unknown(t, &DELIVERY_KEYS));
    let scheme =
        take(all, required(t, "provider", "\"stripe\"")).and_then(|p| take(all, scheme(t, p)));
    let secret = take(all, required(t, "secret", "\"${STRIPE_WEBHOOK_SECRET}\"")).map(Secret::new);
    if let (Some(scheme), Some(secret)) = (&scheme, &secret) {
        // Checks the secret's form (a Standard Webhooks secret must decode); the error never
        // quotes it.
        take(
            all,
            Signer::new(scheme.clone(), secret).map(drop).map_err(|e| {
                let text = e.to_string();
                let msg = text.strip_prefix("secret: ").unwrap_or(&text).to_string();
                bad("secret", msg)
            }),
        );
    }
    let events = take(all, events(t));
    let payload = take(
        all,
        string(t, "payload")
            .and_then(|p| p.map(|p| payload_ref(p, "payload", payloads)).transpose()),
    );
    let retry = take(all, retries(t));
    let fail = scheme.as_ref().and_then(|s| take(all, fail(t, s)));
    let path = take(all, path(t));
    let headers = take(all, headers(t));
    let (
        Some(scheme),
        Some(secret),
        Some(events),
        Some(payload),
        Some(retry),
        Some((fail_share, fail_kinds)),
        Some(path),
        Some(headers),
    ) = (scheme, secret, events, payload, retry, fail, path, headers)
    else {
        return Err(std::mem::take(all));
    };
    if !all.is_empty() {
        return Err(std::mem::take(all));
    }
    Ok(DeliverySpec {
        scheme,
        secret,
        path,
        events,
        payload,
        retry,
        fail_share,
        fail_kinds,
        headers,
    })
}

/// The signature scheme of `provider`, with its own fields (`notification_url` for Square,
/// `header`, `algorithm`… for generic HMAC).
fn scheme(t: &toml::Table, provider: &str) -> Result<Scheme, Bad> {
    let generic_only = [
        "header",
        "algorithm",
        "encoding",
        "signed",
        "prefix",
        "timestamp_header",
        "id_header",
    ];
    if provider != "generic" {
        if let Some(k) = generic_only.iter().find(|k| t.contains_key(**k)) {
            return Err(bad(*k, "only for provider = \"generic\""));
        }
    }
    if provider != "square" && t.contains_key("notification_url") {
        return Err(bad("notification_url", "only for provider = \"square\""));
    }
    Ok(match provider {
        "stripe" => Scheme::Stripe,
        "github" => Scheme::GitHub,
        "standard" | "standard-webhooks" | "svix" => Scheme::Standard,
        "square" => Scheme::Square {
            notification_url: string(t, "notification_url")?.unwrap_or_default().to_string(),
        },
        "shopify" => Scheme::Shopify,
        "generic" => Scheme::Generic(generic(t)?),
        other => {
            return Err(bad(
                "provider",
                format!("unknown provider `{other}` (use stripe, github, standard, square, shopify or generic)"),
            ))
        }
    })
}

/// `events = { "type" = weight, … }` (default: the provider's usual mix), checked as a mix.
fn events(t: &toml::Table) -> Result<Vec<(String, f64)>, Bad> {
    let events =
        match t.get("events") {
            None => loadgen_webhook::event::DEFAULT_EVENTS
                .iter()
                .map(|(n, w)| (n.to_string(), *w))
                .collect(),
            Some(toml::Value::Table(e)) if !e.is_empty() => e
                .iter()
                .map(|(k, v)| {
                    weight(v)
                        .map(|w| (k.clone(), w))
                        .ok_or_else(|| bad(format!("events.{k}"), "expected a positive weight"))
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(bad(
                "events",
                "expected weights { \"payment_intent.succeeded\" = 80, \"charge.refunded\" = 20 }",
            )),
        };
    EventMix::new(events.clone()).map_err(|e| {
        let text = e.to_string();
        bad(
            "events",
            text.strip_prefix("events: ").unwrap_or(&text).to_string(),
        )
    })?;
    Ok(events)
}

/// `retries = 3` or `retries = { max, backoff, max_backoff }`.
fn retries(t: &toml::Table) -> Result<RetryPolicy, Bad> {
    let mut retry = RetryPolicy::default();
    match t.get("retries") {
        None => {}
        Some(toml::Value::Integer(n)) if *n >= 0 => retry.max = *n as u32,
        Some(toml::Value::Table(r)) => {
            unknown(r, &RETRY_KEYS).map_err(|(f, m)| (format!("retries.{f}"), m))?;
            match r.get("max") {
                None => {}
                Some(toml::Value::Integer(n)) if (0..=20).contains(n) => retry.max = *n as u32,
                Some(_) => return Err(bad("retries.max", "expected 0..=20")),
            }
            let d = |k: &str| duration(r, k).map_err(|(f, m)| (format!("retries.{f}"), m));
            if let Some(b) = d("backoff")? {
                retry.backoff = b;
            }
            if let Some(b) = d("max_backoff")? {
                retry.max_backoff = b;
            }
            if retry.max_backoff < retry.backoff {
                return Err(bad("retries.max_backoff", "must not be below backoff"));
            }
        }
        Some(_) => {
            return Err(bad(
                "retries",
                "expected { max = 3, backoff = \"100ms\", max_backoff = \"5s\" } or a count",
            ))
        }
    }
    Ok(retry)
}

/// `fail = { share = "10%", bad_signature = 4, … }`: the built-to-fail share and its kinds.
fn fail(t: &toml::Table, scheme: &Scheme) -> Result<(f64, Vec<(Fault, f64)>), Bad> {
    let (mut fail_share, mut fail_kinds) = (0.0, Vec::new());
    match t.get("fail") {
        None => {}
        Some(toml::Value::Table(f)) => {
            for (k, v) in f {
                if k == "share" {
                    fail_share = match v {
                        toml::Value::String(s) => {
                            parse_share(s).map_err(|m| bad("fail.share", m))?
                        }
                        _ => return Err(bad("fail.share", "expected a share like \"10%\"")),
                    };
                    continue;
                }
                let kind = Fault::ALL.into_iter().find(|x| x.name() == k).ok_or_else(|| {
                    bad(
                        format!("fail.{k}"),
                        "unknown kind (use bad_signature, stale, duplicate, out_of_order)",
                    )
                })?;
                if kind == Fault::Stale && !scheme.signs_timestamp() {
                    return Err(bad(
                        "fail.stale",
                        format!("the {} scheme signs no timestamp, so a stale delivery cannot be built", scheme.name()),
                    ));
                }
                let w = weight(v).ok_or_else(|| bad(format!("fail.{k}"), "expected a positive weight"))?;
                fail_kinds.push((kind, w));
            }
            FaultMix::new(fail_share, fail_kinds.clone()).map_err(|m| bad("fail", m))?;
        }
        Some(_) => {
            return Err(bad(
                "fail",
                "expected { share = \"10%\", bad_signature = 4, stale = 2, duplicate = 3, out_of_order = 1 }",
            ))
        }
    }
    Ok((fail_share, fail_kinds))
}

/// The value named by `key` (`default` when absent) among `options`, or an error naming
/// them all.
fn one_of<T: Copy>(
    t: &toml::Table,
    key: &str,
    default: &str,
    options: &[(&str, T)],
) -> Result<T, Bad> {
    let name = string(t, key)?.unwrap_or(default);
    if let Some((_, v)) = options.iter().find(|(n, _)| *n == name) {
        return Ok(*v);
    }
    let mut names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
    let last = names.pop().unwrap_or_default();
    let listed = if names.is_empty() {
        last.to_string()
    } else {
        format!("{} or {last}", names.join(", "))
    };
    Err(bad(key, format!("unknown `{name}` (use {listed})")))
}

fn generic(t: &toml::Table) -> Result<GenericScheme, Bad> {
    let header = required(t, "header", "\"x-signature\"")?.to_ascii_lowercase();
    let algorithm = one_of(
        t,
        "algorithm",
        "sha256",
        &[
            ("sha1", Algorithm::Sha1),
            ("sha256", Algorithm::Sha256),
            ("sha512", Algorithm::Sha512),
        ],
    )?;
    let encoding = one_of(
        t,
        "encoding",
        "hex",
        &[("hex", Encoding::Hex), ("base64", Encoding::Base64)],
    )?;
    let signed = one_of(
        t,
        "signed",
        "body",
        &[
            ("body", Signed::Body),
            ("timestamp.body", Signed::TimestampBody),
            ("id.timestamp.body", Signed::IdTimestampBody),
        ],
    )?;
    let timestamp_header = string(t, "timestamp_header")?.map(str::to_ascii_lowercase);
    let id_header = string(t, "id_header")?.map(str::to_ascii_lowercase);
    if signed != Signed::Body && timestamp_header.is_none() {
        return Err(bad(
            "timestamp_header",
            "a signed timestamp must travel in a header (e.g. timestamp_header = \"x-timestamp\")",
        ));
    }
    if signed == Signed::IdTimestampBody && id_header.is_none() {
        return Err(bad(
            "id_header",
            "a signed id must travel in a header (e.g. id_header = \"x-event-id\")",
        ));
    }
    for (k, h) in [
        ("header", Some(&header)),
        ("timestamp_header", timestamp_header.as_ref()),
        ("id_header", id_header.as_ref()),
    ] {
        if let Some(h) = h {
            if http::HeaderName::from_bytes(h.as_bytes()).is_err() {
                return Err(bad(k, format!("`{h}` is not a valid header name")));
            }
        }
    }
    Ok(GenericScheme {
        header,
        algorithm,
        encoding,
        signed,
        prefix: string(t, "prefix")?.unwrap_or("").to_string(),
        timestamp_header,
        id_header,
    })
}

/// `callback = {…}` read; every problem of the table is returned.
pub(super) fn callback(t: &toml::Table, payloads: &[String]) -> Result<CallbackSpec, Vec<Bad>> {
    let all = &mut Vec::new();
    take(all, unknown(t, &CALLBACK_KEYS));
    let method = take(all, string(t, "method")).map(|m| m.unwrap_or("POST").to_ascii_uppercase());
    let method = method.filter(|m| {
        let known = ["POST", "PUT", "PATCH"].contains(&m.as_str());
        if !known {
            all.push(bad("method", "use POST, PUT or PATCH"));
        }
        known
    });
    let within = take(all, within(t));
    let body = take(all, callback_body(t, payloads));
    let path = take(all, path(t));
    let headers = take(all, headers(t));
    let (Some(method), Some(within), Some((payload, json)), Some(path), Some(headers)) =
        (method, within, body, path, headers)
    else {
        return Err(std::mem::take(all));
    };
    if !all.is_empty() {
        return Err(std::mem::take(all));
    }
    Ok(CallbackSpec {
        method,
        path,
        payload,
        json,
        within,
        headers,
    })
}

/// `within = "2s"`: required, longer than zero.
fn within(t: &toml::Table) -> Result<std::time::Duration, Bad> {
    let within = duration(t, "within")?.ok_or_else(|| {
        bad(
            "within",
            "required: how long the callback may take (e.g. within = \"2s\")",
        )
    })?;
    if within.is_zero() {
        return Err(bad("within", "must be longer than zero"));
    }
    Ok(within)
}

/// `json = "@NAME"` or an inline table: `(payload index, JSON text)`.
fn callback_body(
    t: &toml::Table,
    payloads: &[String],
) -> Result<(Option<usize>, Option<String>), Bad> {
    Ok(match t.get("json") {
        None => (None, None),
        Some(toml::Value::String(r)) if r.starts_with('@') => {
            (Some(payload_ref(r, "json", payloads)?), None)
        }
        Some(v @ toml::Value::Table(_)) => (
            None,
            Some(serde_json::to_string(v).map_err(|e| bad("json", e.to_string()))?),
        ),
        Some(_) => return Err(bad("json", "expected \"@NAME\" or an inline table")),
    })
}
