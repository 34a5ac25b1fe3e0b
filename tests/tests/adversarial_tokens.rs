//! Forged and replayed credentials against a real server process: a JWT set (no algorithm, the
//! wrong key, another algorithm, tampered claims, expired, not yet valid, unknown or missing key
//! id, another issuer, a user who does not exist), refresh-token reuse, concurrent refreshes of
//! one token, and logout with someone else's token. Never a 5xx; never a way in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use closeloop_e2e::adversary::{JWT_KID, JWT_SECRET, Target, call, get, login, login_on, post};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use std::path::Path;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_closeloop-replica"))
}

fn now() -> i64 {
    closeloop_server::db::now_ms() / 1000
}

/// A JWT with exactly this header and these claims, signed with HMAC-SHA256 or -SHA512 under
/// `secret` (or unsigned for `alg: none`).
fn jwt(header: &Value, claims: &Value, secret: &str) -> String {
    let head = B64.encode(header.to_string());
    let body = B64.encode(claims.to_string());
    let input = format!("{head}.{body}");
    let sig = match header["alg"].as_str() {
        Some("HS256") => {
            let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
            m.update(input.as_bytes());
            B64.encode(m.finalize().into_bytes())
        }
        Some("HS512") => {
            let mut m = hmac::Hmac::<sha2::Sha512>::new_from_slice(secret.as_bytes()).expect("key");
            m.update(input.as_bytes());
            B64.encode(m.finalize().into_bytes())
        }
        _ => String::new(),
    };
    format!("{input}.{sig}")
}

#[test]
fn forged_tokens_get_401_and_never_5xx() {
    let t = Target::start(bin(), &[]);
    let wang = login(&t, "wang");
    let me = format!("{}/v1/me", t.url);
    let claims = |f: &dyn Fn(&mut Value)| {
        let mut c = json!({
            "sub": wang.user_id, "did": wang.device, "org": "demo-org", "role": "inspector",
            "iss": "closeloop", "iat": now(), "nbf": now(), "exp": now() + 600,
        });
        f(&mut c);
        c
    };
    let hs256 = json!({"alg": "HS256", "typ": "JWT", "kid": JWT_KID});
    let good = jwt(&hs256, &claims(&|_| {}), JWT_SECRET);
    assert_eq!(
        call("GET", &me, Some(&good), None, &[]).status,
        200,
        "the harness signs like the server"
    );
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "alg none",
            jwt(
                &json!({"alg": "none", "typ": "JWT", "kid": JWT_KID}),
                &claims(&|_| {}),
                "",
            ),
            "token_invalid",
        ),
        (
            "alg none, no kid",
            jwt(&json!({"alg": "none"}), &claims(&|_| {}), ""),
            "token_invalid",
        ),
        (
            "wrong key",
            jwt(
                &hs256,
                &claims(&|_| {}),
                "another secret of at least 32 bytes!!",
            ),
            "token_invalid",
        ),
        (
            "HS512 with the right key",
            jwt(
                &json!({"alg": "HS512", "typ": "JWT", "kid": JWT_KID}),
                &claims(&|_| {}),
                JWT_SECRET,
            ),
            "token_invalid",
        ),
        (
            "RS256 header (key confusion)",
            jwt(
                &json!({"alg": "RS256", "typ": "JWT", "kid": JWT_KID}),
                &claims(&|_| {}),
                JWT_SECRET,
            ),
            "token_invalid",
        ),
        (
            "tampered role",
            {
                let parts: Vec<&str> = good.split('.').collect();
                let forged = B64.encode(claims(&|c| c["role"] = json!("supervisor")).to_string());
                format!("{}.{forged}.{}", parts[0], parts[2])
            },
            "token_invalid",
        ),
        (
            "expired",
            jwt(
                &hs256,
                &claims(&|c| {
                    c["iat"] = json!(now() - 7200);
                    c["nbf"] = json!(now() - 7200);
                    c["exp"] = json!(now() - 3600);
                }),
                JWT_SECRET,
            ),
            "token_expired",
        ),
        (
            "not yet valid",
            jwt(
                &hs256,
                &claims(&|c| c["nbf"] = json!(now() + 3600)),
                JWT_SECRET,
            ),
            "token_invalid",
        ),
        (
            "no nbf",
            jwt(
                &hs256,
                &claims(&|c| {
                    c.as_object_mut().expect("map").remove("nbf");
                }),
                JWT_SECRET,
            ),
            "token_invalid",
        ),
        (
            "unknown kid",
            jwt(
                &json!({"alg": "HS256", "typ": "JWT", "kid": "retired"}),
                &claims(&|_| {}),
                JWT_SECRET,
            ),
            "token_invalid",
        ),
        (
            "no kid",
            jwt(
                &json!({"alg": "HS256", "typ": "JWT"}),
                &claims(&|_| {}),
                JWT_SECRET,
            ),
            "token_invalid",
        ),
        (
            "another issuer",
            jwt(&hs256, &claims(&|c| c["iss"] = json!("evil")), JWT_SECRET),
            "token_invalid",
        ),
        (
            "a user who does not exist",
            jwt(
                &hs256,
                &claims(&|c| c["sub"] = json!("u-nobody")),
                JWT_SECRET,
            ),
            "token_invalid",
        ),
        ("garbage", "a.b.c".into(), "token_invalid"),
        ("empty", String::new(), "token_invalid"),
    ];
    for (what, token, code) in cases {
        for path in ["/v1/me", "/v1/hazards", "/v1/review-queue"] {
            let r = call("GET", &format!("{}{path}", t.url), Some(&token), None, &[]);
            assert_eq!(
                (r.status, r.body["error"].as_str()),
                (401, Some(code)),
                "{what} on {path}: {}",
                r.body
            );
        }
        let r = post(&t, Some(&token), "/v1/sync", &json!({"push": []}));
        assert_eq!(r.status, 401, "{what} on /v1/sync");
    }
    // No header, another scheme.
    for h in ["", "Basic d2FuZzp4", "Bearer", "bearer x"] {
        let r = call("GET", &me, None, None, &[("authorization", h)]);
        assert_eq!(r.status, 401, "`{h}`");
    }
}

#[test]
fn refresh_tokens_are_used_once_even_when_raced() {
    let t = Target::start(bin(), &[("login-burst-per-address", "1000")]);
    let refresh = |token: &str| {
        post(
            &t,
            None,
            "/v1/auth/refresh",
            &json!({"refresh_token": token}),
        )
    };
    // Reuse revokes the family: the thief and the owner both log in again.
    let a = login(&t, "wang");
    let first = refresh(&a.refresh);
    assert_eq!(first.status, 200);
    let next = first.body["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    let reuse = refresh(&a.refresh);
    assert_eq!(
        (reuse.status, reuse.body["error"].as_str()),
        (401, Some("refresh_reused"))
    );
    assert_eq!(refresh(&next).status, 401, "the family is revoked");
    // Eight refreshes of one token at once, ten times over: exactly one wins each time and no
    // answer is a server error (it was 26 of 80 answered 500).
    let mut statuses = Vec::new();
    for round in 0..10 {
        let a = login_on(&t, "zhao", &format!("race-{round}"));
        let got: Vec<u16> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..8)
                .map(|_| s.spawn(|| refresh(&a.refresh).status))
                .collect();
            hs.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        assert_eq!(
            got.iter().filter(|s| **s == 200).count(),
            1,
            "round {round}: {got:?}"
        );
        statuses.extend(got);
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 401),
        "{statuses:?}"
    );
}

#[test]
fn logout_ends_only_ones_own_login() {
    let t = Target::start(bin(), &[]);
    let wang = login(&t, "wang");
    let zhao = login(&t, "zhao");
    // zhao presents wang's refresh token at logout: answered like any token, and changes nothing.
    let r = post(
        &t,
        Some(&zhao.token),
        "/v1/auth/logout",
        &json!({"refresh_token": wang.refresh}),
    );
    assert_eq!(r.status, 204);
    let r = post(
        &t,
        None,
        "/v1/auth/refresh",
        &json!({"refresh_token": wang.refresh}),
    );
    assert_eq!(r.status, 200, "wang's login survives: {}", r.body);
    // His own logout works.
    let again = r.body["refresh_token"].as_str().expect("token").to_owned();
    let r = post(
        &t,
        Some(&get_token(&r.body)),
        "/v1/auth/logout",
        &json!({"refresh_token": again}),
    );
    assert_eq!(r.status, 204);
    let r = post(
        &t,
        None,
        "/v1/auth/refresh",
        &json!({"refresh_token": again}),
    );
    assert_eq!(r.status, 401);
    assert_eq!(get(&t, &zhao.token, "/v1/me").status, 200);
}

fn get_token(pair: &Value) -> String {
    pair["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}
