//! The console's session and its boundary, at the HTTP level: cookie flags, CSRF on every
//! state-changing request, expiry, logout, the same reach as the API, language by header and by
//! choice, and nothing but the console's own script allowed to run.

mod common;

use common::browser::*;
use common::*;

#[test]
fn sessions_are_httponly_samesite_and_every_change_needs_the_csrf_token() {
    let s = TestServer::start();
    let mut b = Browser::new(&s);
    // Signed out, every page sends the browser to the login page; scripts get a 401.
    let p = b.get("/console/review");
    assert_eq!((p.status, p.location.as_str()), (303, "/console/login"));
    let p = b.send(
        "GET",
        "/console/events",
        None,
        &[("accept", "text/event-stream")],
    );
    assert_eq!(p.status, 401);
    // A login form posted without its own token is refused and starts nothing.
    let p = b.send(
        "POST",
        "/console/login",
        Some("username=li&password=li-demo-pass&csrf=forged"),
        &[],
    );
    assert_eq!(p.status, 403);
    assert!(b.cookie("cl_session").is_none());
    let p = b.sign_in("li");
    assert_eq!((p.status, p.location.as_str()), (303, "/console/"));
    let session = p
        .set_cookies
        .iter()
        .find(|c| c.starts_with("cl_session="))
        .expect("a session cookie")
        .to_ascii_lowercase();
    assert!(
        session.contains("httponly") && session.contains("samesite=lax"),
        "{session}"
    );
    assert!(
        !session.contains("secure"),
        "plain HTTP by default: {session}"
    );
    // Pages run the console's own script and nothing else.
    let p = b.get("/console/");
    assert_eq!(p.status, 200);
    assert!(
        p.csp.contains("script-src 'self'") && p.csp.contains("default-src 'none'"),
        "{}",
        p.csp
    );
    // A decision without the session's CSRF token is refused, in a form and in a script.
    let p = b.send(
        "POST",
        "/console/hazards/hzd-x/decide",
        Some("csrf=00000000000000000000000000000000&type=commented&note=x"),
        &[],
    );
    assert_eq!(p.status, 403);
    let p = b.send(
        "POST",
        "/console/logout",
        Some("csrf=00000000000000000000000000000000"),
        &[],
    );
    assert_eq!(p.status, 403, "logout needs it too");
    // Logout ends the session on the server: the old cookie no longer works.
    let old = b.cookie("cl_session").expect("session");
    let csrf = b.csrf();
    let p = b.send(
        "POST",
        "/console/logout",
        Some(&format!("csrf={csrf}")),
        &[],
    );
    assert_eq!((p.status, p.location.as_str()), (303, "/console/login"));
    let mut replay = Browser::new(&s);
    replay.cookies.push(("cl_session".into(), old));
    assert_eq!(replay.get("/console/review").status, 303);
}

#[test]
fn sessions_expire_when_idle() {
    let s = TestServer::start_with(|c| c.console_idle_minutes = 30);
    let mut b = Browser::new(&s);
    b.sign_in("li");
    let rewind = |minutes: i64| {
        s.block(async {
            sqlx::query("UPDATE console_sessions SET seen_at = seen_at - $1")
                .bind(minutes * 60_000)
                .execute(&s.state.db.pool)
                .await
                .expect("rewind");
        })
    };
    // Twenty-nine quiet minutes: still signed in, and the visit counts as activity.
    rewind(29);
    assert_eq!(b.get("/console/").status, 200);
    rewind(29);
    assert_eq!(
        b.get("/console/").status,
        200,
        "each visit restarts the idle clock"
    );
    rewind(31);
    let p = b.get("/console/");
    assert_eq!(
        (p.status, p.location.as_str()),
        (303, "/console/login"),
        "an idle session is over"
    );
}

#[test]
fn the_console_sees_what_the_api_sees_in_the_callers_language() {
    let s = TestServer::start();
    let wang = author(&s, "wang");
    let zhao = author(&s, "zhao");
    let h1 = push_hazard(
        &s,
        &wang,
        &s.sites[0],
        "hzd-console-1",
        closeloop_model::lifecycle::Severity::General,
        None,
        vec![],
    );
    let h3 = push_hazard(
        &s,
        &zhao,
        &s.sites[3],
        "hzd-console-3",
        closeloop_model::lifecycle::Severity::Major,
        None,
        vec![],
    );
    let mut b = Browser::new(&s);
    b.sign_in("wang");
    assert_eq!(b.get(&format!("/console/hazards/{h1}")).status, 200);
    assert_eq!(
        b.get(&format!("/console/hazards/{h3}")).status,
        404,
        "another grid's hazard is not there"
    );
    assert_eq!(b.get("/console/hazards/hzd-nobody").status, 404);
    let list = b.get("/console/hazards").body;
    assert!(list.contains(&h1) && !list.contains(&h3));
    assert!(b.get(&format!("/console/sites/{}", s.sites[3])).status == 404);
    // Chinese unless the browser or the user asks otherwise.
    assert!(b.get("/console/").body.contains("仪表盘"));
    let mut en = Browser::new(&s);
    en.sign_in("li");
    let p = en.send(
        "GET",
        "/console/",
        None,
        &[("accept-language", "en-GB,en;q=0.9")],
    );
    assert!(p.body.contains("Dashboard"), "by Accept-Language");
    let p = b.get("/console/lang/en?back=/console/review");
    assert_eq!((p.status, p.location.as_str()), (303, "/console/review"));
    assert!(
        b.get("/console/review")
            .body
            .contains("Rectifications to review")
    );
    let p = b.get("/console/lang/zh?back=https://evil.example/");
    assert_eq!(p.location, "/console/", "never sent anywhere else");
    // The root opens the console.
    let p = b.get("/");
    assert_eq!((p.status, p.location.as_str()), (303, "/console/"));
}
