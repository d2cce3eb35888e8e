//! Unit tests of templates.

use super::var::put_decimal;
use super::*;
use crate::clock;
use bytes::BytesMut;
use loadgen_capture::Slots;
use rand::rngs::SmallRng;
use rand::SeedableRng;

fn render(t: &Template, rng: &mut SmallRng) -> String {
    let mut buf = BytesMut::new();
    let mut vars = Vars::new(RunNonce::CHECK, 7, 3, 11, "buy", rng);
    String::from_utf8(t.render(&mut vars, &mut buf).to_vec()).unwrap()
}

#[test]
fn renders_builtin_variables() {
    let mut rng = SmallRng::seed_from_u64(1);
    let t = Template::parse("/u/{{vu}}/i/{{ iteration }}/s/{{seq}}/{{step}}").unwrap();
    assert_eq!(render(&t, &mut rng), "/u/7/i/3/s/11/buy");
    assert!(!t.is_literal());
}

#[test]
fn uuid_and_timestamps_are_well_formed_and_stable_within_a_request() {
    let mut rng = SmallRng::seed_from_u64(1);
    let (a, b) = (
        Template::parse("{{uuid}} {{timestamp_ms}} {{timestamp}}").unwrap(),
        Template::parse("{{uuid}}").unwrap(),
    );
    let mut buf = BytesMut::new();
    let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng);
    let first = String::from_utf8(a.render(&mut vars, &mut buf).to_vec()).unwrap();
    let second = b.render(&mut vars, &mut buf);
    let fields: Vec<&str> = first.split(' ').collect();
    let id = uuid::Uuid::parse_str(fields[0]).unwrap();
    assert_eq!(id.get_version_num(), 4);
    assert_eq!(&second[..], fields[0].as_bytes());
    let ms: u64 = fields[1].parse().unwrap();
    assert_eq!(fields[2].as_bytes(), clock::rfc3339(ms));
    assert!(ms > 1_600_000_000_000);
    // A new request gets a new UUID.
    let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 1, "s", &mut rng);
    assert_ne!(&b.render(&mut vars, &mut buf)[..], fields[0].as_bytes());
}

#[test]
fn random_int_stays_within_inclusive_bounds() {
    let mut rng = SmallRng::seed_from_u64(9);
    let t = Template::parse("{{random_int(-2, 3)}}").unwrap();
    let mut seen = [false; 6];
    for _ in 0..500 {
        let v: i64 = render(&t, &mut rng).parse().unwrap();
        assert!((-2..=3).contains(&v), "{v}");
        seen[(v + 2) as usize] = true;
    }
    assert!(seen.iter().all(|s| *s), "every value drawn: {seen:?}");
    let t = Template::parse("{{random_int(5,5)}}").unwrap();
    assert_eq!(render(&t, &mut rng), "5");
}

#[test]
fn rejects_unknown_and_malformed_placeholders() {
    let e = Template::parse("/x/{{ nope }}").unwrap_err();
    assert!(matches!(&e, TemplateError::UnknownVar { name, .. } if name == "nope"));
    assert!(e.to_string().contains("`nope`"), "{e}");
    for bad in [
        "/x/{{vu",
        "{{random_int(3,1)}}",
        "{{random_int(a,1)}}",
        "{{random_int(1)}}",
        "{{random_int 1,2}}",
    ] {
        assert!(
            matches!(Template::parse(bad), Err(TemplateError::Malformed { .. })),
            "{bad}"
        );
    }
}

#[test]
fn literal_templates_render_the_prebuilt_bytes_without_touching_the_buffer() {
    let mut rng = SmallRng::seed_from_u64(1);
    let t = Template::parse(r#"{"a":{"b":[1,2]}} }} {"#).unwrap();
    assert!(t.is_literal());
    let mut buf = BytesMut::new();
    let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng);
    let one = t.render(&mut vars, &mut buf);
    let two = t.render(&mut vars, &mut buf);
    assert_eq!(&one[..], br#"{"a":{"b":[1,2]}} }} {"#);
    assert_eq!(one.as_ptr(), two.as_ptr(), "same shared allocation");
    assert_eq!(buf.capacity(), 0, "buffer never allocated");
    assert!(Template::parse("").unwrap().is_literal());
    assert_eq!(
        &Template::literal("{{vu}}").render(&mut vars, &mut buf)[..],
        b"{{vu}}"
    );
}

#[test]
fn uuids_follow_the_seed_within_a_run_and_differ_across_runs() {
    let t = Template::parse("{{uuid}}").unwrap();
    let render = |nonce: RunNonce| {
        let mut rng = SmallRng::seed_from_u64(42);
        let mut buf = BytesMut::new();
        let mut vars = Vars::new(nonce, 0, 0, 0, "s", &mut rng);
        t.render(&mut vars, &mut buf).to_vec()
    };
    let run = RunNonce::fresh();
    assert_eq!(render(run), render(run));
    assert_ne!(render(run), render(RunNonce::fresh()));
}

#[test]
fn render_buffer_is_reused_once_output_is_dropped() {
    let mut rng = SmallRng::seed_from_u64(1);
    let t = Template::parse("/items/{{seq}}").unwrap();
    let mut buf = BytesMut::with_capacity(64);
    let base = buf.as_ptr();
    for seq in 0..3 {
        let mut vars = Vars::new(RunNonce::CHECK, 0, 0, seq, "s", &mut rng);
        let out = t.render(&mut vars, &mut buf);
        assert_eq!(out, format!("/items/{seq}"));
        drop(out);
        buf.reserve(64);
        assert_eq!(buf.as_ptr(), base, "reclaimed the same memory");
    }
}

#[test]
fn decimals_render_without_fmt() {
    for v in [0, 7, 10, 99, 1_234_567, u64::MAX] {
        let mut buf = BytesMut::new();
        put_decimal(&mut buf, v);
        assert_eq!(&buf[..], v.to_string().as_bytes());
    }
    let mut rng = SmallRng::seed_from_u64(3);
    let t = Template::parse("{{random_int(-9223372036854775808,-9223372036854775808)}}").unwrap();
    assert_eq!(render(&t, &mut rng), i64::MIN.to_string());
}

#[test]
fn prefixed_keeps_literal_templates_literal() {
    let mut rng = SmallRng::seed_from_u64(1);
    let t = Template::parse("/a").unwrap().prefixed("/api");
    assert!(t.is_literal());
    assert_eq!(render(&t, &mut rng), "/api/a");
    let t = Template::parse("/a/{{vu}}").unwrap().prefixed("/api");
    assert_eq!(render(&t, &mut rng), "/api/a/7");
}

#[test]
fn captures_are_escaped_for_their_place_and_refused_when_missing_or_unsafe() {
    let mut rng = SmallRng::seed_from_u64(1);
    let slot = |name: &str| (name == "id").then_some(Named::Capture(0));
    let parse = |text, place| Template::parse_in(text, place, &slot).unwrap();
    let mut slots = Slots::new(1);
    let value = r#"a/b "c"?#"#;
    let cap = loadgen_capture::Capture {
        name: "id".into(),
        slot: 0,
        source: loadgen_capture::CaptureSource::Regex(regex::bytes::Regex::new("(?s).+").unwrap()),
    };
    assert!(slots.fill(&cap, &http::HeaderMap::new(), value.as_bytes()));
    let mut buf = BytesMut::new();
    let mut render = |t: &Template| {
        let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng).with_captures(&slots);
        let out = t.render(&mut vars, &mut buf);
        (String::from_utf8(out.to_vec()).unwrap(), vars.refused())
    };
    let path = parse("/p/{{id}}?q={{ id }}", Place::Path);
    assert_eq!(path.capture_slots().collect::<Vec<_>>(), [0, 0]);
    assert_eq!(
        render(&path),
        (
            "/p/a%2Fb%20%22c%22%3F%23?q=a%2Fb%20%22c%22%3F%23".into(),
            false
        )
    );
    let json = parse(r#"{"ref":"{{id}}"}"#, Place::Json);
    let (body, refused) = render(&json);
    assert!(!refused);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["ref"], value);
    assert!(!render(&parse("Bearer {{id}}", Place::Header)).1);

    let crlf = loadgen_capture::Capture {
        source: loadgen_capture::CaptureSource::Regex(regex::bytes::Regex::new("(?s).+").unwrap()),
        ..cap
    };
    assert!(slots.fill(&crlf, &http::HeaderMap::new(), b"x\r\nHost: evil"));
    let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng).with_captures(&slots);
    parse("Bearer {{id}}", Place::Header).render(&mut vars, &mut buf);
    assert!(vars.refused(), "a CR/LF in a header value is refused");

    slots.clear();
    let mut vars = Vars::new(RunNonce::CHECK, 0, 0, 0, "s", &mut rng).with_captures(&slots);
    parse("/p/{{id}}", Place::Path).render(&mut vars, &mut buf);
    assert!(
        vars.refused(),
        "a missing capture is refused, never rendered empty"
    );
}

#[test]
fn random_zipf_stays_in_bounds_and_favours_the_first_keys() {
    let mut rng = SmallRng::seed_from_u64(5);
    let t = Template::parse("{{random_zipf(10, 109)}}").unwrap();
    let mut counts = [0u32; 100];
    for _ in 0..20_000 {
        let v: i64 = render(&t, &mut rng).parse().unwrap();
        assert!((10..=109).contains(&v), "{v}");
        counts[(v - 10) as usize] += 1;
    }
    // Zipf with s = 1 over 100 keys: the first key takes 1/H(100) ~ 19%, key k about 1/k of it.
    assert!((3_200..4_500).contains(&counts[0]), "{}", counts[0]);
    assert!(counts[0] > 3 * counts[4], "{counts:?}");
    assert!(counts[1] > counts[50] * 10, "{counts:?}");
    // A steeper exponent makes the first key hotter; 0 is uniform.
    let steep = Template::parse("{{ random_zipf(1,100,2) }}").unwrap();
    let ones = (0..2_000)
        .filter(|_| render(&steep, &mut rng) == "1")
        .count();
    assert!(ones > 1_100, "{ones}");
    let flat = Template::parse("{{random_zipf(1,100,0)}}").unwrap();
    let ones = (0..2_000)
        .filter(|_| render(&flat, &mut rng) == "1")
        .count();
    assert!(ones < 100, "{ones}");
    assert_eq!(
        render(
            &Template::parse("{{random_zipf(-3,-3)}}").unwrap(),
            &mut rng
        ),
        "-3"
    );
}

#[test]
fn random_zipf_refuses_bad_arguments() {
    for bad in [
        "{{random_zipf(5,1)}}",
        "{{random_zipf(1)}}",
        "{{random_zipf(1,10,-1)}}",
        "{{random_zipf(1,10,x)}}",
        "{{random_zipf(1,10,1,2)}}",
        "{{random_zipf 1,10}}",
        "{{random_zipf(-9223372036854775808,9223372036854775807)}}",
    ] {
        let e = Template::parse(bad).unwrap_err();
        assert!(e.to_string().contains("random_zipf"), "{bad}: {e}");
    }
}
