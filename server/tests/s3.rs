//! Photos in a real S3 server (MinIO, started by the test kit): upload through the server,
//! existence checks, downloads through presigned URLs, and clear errors when the store is wrong
//! or gone.

mod common;

use closeloop_server::config::Config;
use closeloop_testkit::Minio;
use common::*;
use std::sync::atomic::{AtomicU32, Ordering};

fn bucket() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "photos-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn use_s3(c: &mut Config, minio: &Minio, bucket: &str) {
    c.s3_bucket = Some(bucket.to_owned());
    c.s3_endpoint = Some(minio.endpoint());
    c.s3_path_style = true;
    c.s3_access_key_id = Some(minio.access_key.clone());
    c.s3_secret_access_key = Some(minio.secret_key.clone());
    c.s3_presign_seconds = 60;
}

fn no_redirects() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

#[test]
fn photos_go_to_the_bucket_and_come_back_through_presigned_urls() {
    let minio = Minio::shared();
    let b = bucket();
    let s = TestServer::start_with(|c| use_s3(c, minio, &b));
    let t = token(&s, "wang", "wang-phone");
    let (photo, sha) = jpeg(7);
    let url = format!("{}/v1/blobs/{sha}", s.url);
    assert_eq!(call("HEAD", &url, Some(&t), None, "").status, 404);
    assert_eq!(
        call("PUT", &url, Some(&t), Some(&photo), "image/jpeg").status,
        201
    );
    assert_eq!(
        call("PUT", &url, Some(&t), Some(&photo), "image/jpeg").status,
        200,
        "stored once"
    );
    assert_eq!(call("HEAD", &url, Some(&t), None, "").status, 200);
    assert!(
        s.block(s.state.blobs.exists(&sha)).expect("S3 answers"),
        "the object is in the bucket"
    );

    let res = no_redirects()
        .get(&url)
        .header("authorization", &format!("Bearer {t}"))
        .call()
        .expect("transport");
    assert_eq!(res.status().as_u16(), 307);
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a presigned URL")
        .to_owned();
    assert!(
        location.starts_with(&format!("{}/{b}/blobs/{sha}?", minio.endpoint())),
        "{location}"
    );
    assert!(location.contains("X-Amz-Signature="), "{location}");

    // The URL alone is enough, with no token: this is what the phone follows.
    let got = no_redirects().get(&location).call().expect("transport");
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(
        got.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/jpeg")
    );
    assert_eq!(got.into_body().read_to_vec().expect("bytes"), photo);

    // A URL that was altered, or names another object, is refused by S3 itself.
    let forged = location.replace(&sha, &jpeg(8).1);
    assert_eq!(
        no_redirects()
            .get(&forged)
            .call()
            .expect("transport")
            .status()
            .as_u16(),
        403
    );
    let without_signature = location
        .split("X-Amz-Signature=")
        .next()
        .expect("prefix")
        .to_owned();
    let unsigned = no_redirects()
        .get(&without_signature)
        .call()
        .expect("transport");
    assert!(
        matches!(unsigned.status().as_u16(), 400 | 403),
        "{}",
        unsigned.status()
    );

    // Another organisation's user, or nobody, gets no URL at all.
    assert_eq!(call("GET", &url, None, None, "").status, 401);
    let r = call(
        "GET",
        &format!("{}/v1/blobs/{}", s.url, jpeg(9).1),
        Some(&t),
        None,
        "",
    );
    assert_eq!(r.status, 404);

    let (status, body) = {
        let r = call("GET", &format!("{}/readyz", s.url), None, None, "");
        (r.status, r.body)
    };
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["blobs"], "ok");
}

#[test]
fn wrong_credentials_or_no_server_stop_the_start_with_the_reason() {
    let minio = Minio::shared();
    let dir = tempfile::tempdir().expect("tmp");
    let mut config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    use_s3(&mut config, minio, &bucket());
    config.s3_secret_access_key = Some("not-the-secret".into());
    let e = closeloop_server::background::Background::start(config.clone(), |_| async {})
        .expect_err("refused");
    assert!(
        e.contains("s3") && e.contains("could not be created"),
        "{e}"
    );
    assert!(
        e.contains("SignatureDoesNotMatch") || e.contains("403") || e.contains("Access"),
        "{e}"
    );

    config.s3_secret_access_key = Some(minio.secret_key.clone());
    config.s3_endpoint = Some(format!(
        "http://127.0.0.1:{}",
        closeloop_testkit::free_port()
    ));
    let e = closeloop_server::background::Background::start(config.clone(), |_| async {})
        .expect_err("refused");
    assert!(e.contains("s3"), "{e}");

    config.s3_endpoint = Some(minio.endpoint());
    config.s3_access_key_id = None;
    config.s3_secret_access_key = None;
    // Without keys in the configuration, the AWS variables are the fallback; unset, the start fails.
    if std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        let e = closeloop_server::background::Background::start(config, |_| async {})
            .expect_err("refused");
        assert!(e.contains("s3_access_key_id"), "{e}");
    }
}

#[test]
fn readiness_fails_while_the_store_is_gone() {
    let minio = Minio::start().expect("a MinIO of our own");
    let b = bucket();
    let s = TestServer::start_with(|c| use_s3(c, &minio, &b));
    assert_eq!(
        call("GET", &format!("{}/readyz", s.url), None, None, "").status,
        200
    );
    drop(minio);
    let r = call("GET", &format!("{}/readyz", s.url), None, None, "");
    assert_eq!(r.status, 503, "{}", r.body);
    assert_eq!(r.body["ready"], false);
    assert_eq!(r.body["database"], "ok");
    assert!(
        r.body["blobs"].as_str().is_some_and(|m| m.contains("S3")),
        "{}",
        r.body
    );
    let (photo, sha) = jpeg(3);
    let t = token(&s, "wang", "wang-phone");
    let put = call(
        "PUT",
        &format!("{}/v1/blobs/{sha}", s.url),
        Some(&t),
        Some(&photo),
        "image/jpeg",
    );
    assert_eq!(
        put.status, 503,
        "the phone keeps the photo and retries later"
    );
    assert_eq!(put.body["error"], "unavailable");
}
