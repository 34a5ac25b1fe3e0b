//! The OpenAPI document matches the routes: every route is described, every described route
//! exists, and JSON bodies that break their schema are refused with a 400.

mod common;

use closeloop_server::{OPENAPI, ROUTES};
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn described() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(OPENAPI).expect("openapi.json is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            out.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    out
}

#[test]
fn every_route_is_described_and_every_description_is_a_route() {
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(described(), routes);
}

#[test]
fn every_listed_route_is_served_and_others_are_not() {
    let s = TestServer::start();
    for (method, path) in ROUTES {
        let url = format!(
            "{}{}",
            s.url,
            path.replace("{sha256}", &"0".repeat(64))
                .replace("{id}", "x")
                .replace("{user_id}", "x")
        );
        let r = call(method, &url, None, Some(b"{}"), "application/json");
        assert!(
            r.status != 404 && r.status != 405,
            "{method} {path} is not served: {}",
            r.status
        );
    }
    let r = call("GET", &format!("{}/v1/nothing-here", s.url), None, None, "");
    assert_eq!(r.status, 404);
    let r = call("DELETE", &format!("{}/v1/sync", s.url), None, None, "");
    assert_eq!(r.status, 405);
    let served: Value = {
        let r = call("GET", &format!("{}/v1/openapi.json", s.url), None, None, "");
        assert_eq!(r.status, 200);
        r.body
    };
    assert_eq!(
        served,
        serde_json::from_str::<Value>(OPENAPI).expect("json")
    );
}

#[test]
fn json_bodies_outside_their_schema_are_refused() {
    let s = TestServer::start();
    let admin = token(&s, "admin", "console");
    let doc: Value = serde_json::from_str(OPENAPI).expect("json");
    let mut checked = 0;
    for (method, path) in ROUTES {
        let op = &doc["paths"][*path][method.to_ascii_lowercase()];
        let Some(schema_ref) =
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
        else {
            continue;
        };
        let schema = &doc["components"]["schemas"][schema_ref.rsplit('/').next().expect("name")];
        assert_eq!(
            schema["additionalProperties"],
            Value::Bool(false),
            "{path} schema is closed"
        );
        let url = format!(
            "{}{}",
            s.url,
            path.replace("{user_id}", "x").replace("{id}", "x")
        );
        // An unknown property, and (where there are required ones) nothing else.
        let r = call(
            method,
            &url,
            Some(&admin),
            Some(br#"{"unexpected": 1}"#),
            "application/json",
        );
        assert_eq!(r.status, 400, "{method} {path}: {}", r.body);
        assert_eq!(r.body["error"], "bad_request");
        checked += 1;
    }
    assert!(checked >= 7, "{checked} bodies checked");
}
