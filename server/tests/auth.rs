//! Logins, access tokens and refresh tokens against a real server.

mod common;

use closeloop_server::auth::jwt::Claims;
use common::*;
use serde_json::json;

#[test]
fn wrong_passwords_and_unknown_users_get_the_same_answer() {
    let s = TestServer::start();
    let url = format!("{}/v1/auth/login", s.url);
    let wrong = post(
        &url,
        None,
        &json!({"username": "wang", "password": "nope", "device_id": "d"}),
    );
    let unknown = post(
        &url,
        None,
        &json!({"username": "nobody", "password": "nope", "device_id": "d"}),
    );
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.body["error"], "invalid_credentials");
    let bad_device = post(
        &url,
        None,
        &json!({"username": "wang", "password": "wang-demo-pass", "device_id": "a b"}),
    );
    assert_eq!(
        (bad_device.status, bad_device.body["field"].as_str()),
        (400, Some("device_id"))
    );
    let ok = login(&s, "wang", "d1");
    assert_eq!(ok["user"]["role"], "inspector");
    assert_eq!(ok["user"]["grid_ids"], json!(["grid-1"]));
}

#[test]
fn expired_forged_wrong_key_and_alg_none_tokens_are_refused() {
    let s = TestServer::start();
    let me = format!("{}/v1/me", s.url);
    let good = token(&s, "wang", "d1");
    assert_eq!(
        call("GET", &me, Some(&good), None, "application/json").status,
        200
    );

    let user_id = login(&s, "wang", "d1")["user"]["user_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let now = closeloop_server::db::now_ms() / 1000;
    let expired = s
        .state
        .keys
        .issue(&Claims {
            sub: user_id.clone(),
            did: "d1".into(),
            org: "demo-org".into(),
            role: "inspector".into(),
            iss: "closeloop".into(),
            iat: now - 100,
            nbf: now - 100,
            exp: now - 10,
        })
        .expect("issue");
    let r = call("GET", &me, Some(&expired), None, "application/json");
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (401, Some("token_expired"))
    );

    let parts: Vec<&str> = good.split('.').collect();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).expect("payload")).expect("json");
    claims["role"] = json!("supervisor");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    let none = format!(
        "{}.{}.",
        b64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let other_key = closeloop_server::auth::jwt::Keys::new(
        &[closeloop_server::config::JwtKey {
            kid: "k-other".into(),
            secret: "x".repeat(40),
        }],
        "closeloop",
    )
    .expect("keys")
    .issue(&Claims {
        sub: user_id,
        did: "d1".into(),
        org: "demo-org".into(),
        role: "supervisor".into(),
        iss: "closeloop".into(),
        iat: now,
        nbf: now,
        exp: now + 60,
    })
    .expect("issue");
    for t in [
        forged.as_str(),
        none.as_str(),
        other_key.as_str(),
        "garbage",
    ] {
        let r = call("GET", &me, Some(t), None, "application/json");
        assert_eq!(
            (r.status, r.body["error"].as_str()),
            (401, Some("token_invalid")),
            "{t}"
        );
    }
    assert_eq!(call("GET", &me, None, None, "application/json").status, 401);
}

#[test]
fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    let s = TestServer::start();
    let first = login(&s, "zhang", "phone");
    let url = format!("{}/v1/auth/refresh", s.url);
    let old = first["refresh_token"].as_str().expect("refresh").to_owned();
    let second = post(&url, None, &json!({"refresh_token": old}));
    assert_eq!(second.status, 200, "{}", second.body);
    let new = second.body["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    assert_ne!(new, old);
    assert_eq!(second.body["user"]["user_id"], first["user"]["user_id"]);
    // The old token again: theft is assumed and the whole login ends.
    let reuse = post(&url, None, &json!({"refresh_token": old}));
    assert_eq!(
        (reuse.status, reuse.body["error"].as_str()),
        (401, Some("refresh_reused"))
    );
    let after = post(&url, None, &json!({"refresh_token": new}));
    assert_eq!(
        (after.status, after.body["error"].as_str()),
        (401, Some("refresh_reused")),
        "the newer token died with its family"
    );
    let unknown = post(&url, None, &json!({"refresh_token": "r1.nothing"}));
    assert_eq!(unknown.status, 401);
}

#[test]
fn logout_ends_the_login() {
    let s = TestServer::start();
    let l = login(&s, "li", "tablet");
    let access = l["access_token"].as_str().expect("access");
    let refresh = l["refresh_token"].as_str().expect("refresh");
    let r = post(
        &format!("{}/v1/auth/logout", s.url),
        Some(access),
        &json!({"refresh_token": refresh}),
    );
    assert_eq!(r.status, 204);
    let r = post(
        &format!("{}/v1/auth/refresh", s.url),
        None,
        &json!({"refresh_token": refresh}),
    );
    assert_eq!(r.status, 401);
}

#[test]
fn expired_refresh_tokens_are_refused() {
    let s = TestServer::start();
    let l = login(&s, "wang", "d1");
    let refresh = l["refresh_token"].as_str().expect("refresh").to_owned();
    s.block(async {
        sqlx::query("UPDATE refresh_tokens SET expires_at = 1")
            .execute(&s.state.db.pool)
            .await
            .expect("expire");
    });
    let r = post(
        &format!("{}/v1/auth/refresh", s.url),
        None,
        &json!({"refresh_token": refresh}),
    );
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (401, Some("refresh_expired"))
    );
}
