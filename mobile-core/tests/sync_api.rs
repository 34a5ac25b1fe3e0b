//! The exported sync calls where no server is needed: what the app is told before logging in,
//! with no network, or with a wrong address.

mod common;

use closeloop::api::*;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct Recorder(Mutex<Vec<SyncProgress>>);

impl SyncListener for Recorder {
    fn on_progress(&self, progress: SyncProgress) {
        if let Ok(mut v) = self.0.lock() {
            v.push(progress);
        }
    }
}

async fn workspace(dir: &std::path::Path) -> Arc<Workspace> {
    let user = UserIdentity {
        user_id: "wang".into(),
        display_name: "王".into(),
        role: UserRole::Inspector,
        org_id: common::ORG.into(),
        grid_ids: vec![common::GRID.into()],
        site_ids: vec![],
        device_id: "wang-phone".into(),
    };
    open_workspace(dir.to_string_lossy().into_owned(), user, 480)
        .await
        .expect("open")
}

fn closed_port() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    format!("http://{addr}")
}

#[tokio::test]
async fn sync_before_any_login_asks_for_a_login_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = workspace(dir.path()).await;
    let rec = Arc::new(Recorder::default());
    let err = ws.sync(rec.clone()).await.expect_err("not logged in");
    assert!(matches!(err, CoreError::LoginRequired { .. }), "{err:?}");
    assert!(rec.0.lock().expect("lock").is_empty());
    assert!(ws.quarantined().await.expect("list").is_empty());
    // Logging out when not logged in is fine.
    ws.logout().await.expect("logout");
}

#[tokio::test]
async fn login_without_a_server_is_a_network_error_and_a_bad_address_is_input() {
    let dir = tempfile::tempdir().expect("tmp");
    let ws = workspace(dir.path()).await;
    let err = ws
        .login(closed_port(), "wang".into(), "pw".into())
        .await
        .expect_err("nobody there");
    assert!(matches!(err, CoreError::Network { .. }), "{err:?}");
    let err = ws
        .login("ftp://example.org".into(), "wang".into(), "pw".into())
        .await
        .expect_err("bad address");
    assert!(
        matches!(err, CoreError::InvalidInput { ref field, .. } if field == "server_url"),
        "{err:?}"
    );
    // The identity the app opened with is untouched.
    assert_eq!(ws.actor_id().expect("actor").len(), 32);
}

mod session {
    //! The stored session, without a server: what happens to it when the network is down or the
    //! refresh token has run out.

    use super::*;
    use closeloop::sync::state::{Session, SyncState};

    fn far_future() -> i64 {
        closeloop::workspace::system_now() + 3_600_000
    }

    fn store_session(root: &std::path::Path, url: &str, refresh_expires_at: i64, access: i64) {
        let mut s = SyncState::for_server(url);
        s.session = Some(Session {
            user_id: "wang".into(),
            access_token: "a".into(),
            access_expires_at: access,
            refresh_token: "r".into(),
            refresh_expires_at,
        });
        s.cursor = Some("42".into());
        s.save(root).expect("save");
    }

    #[tokio::test]
    async fn offline_sync_keeps_the_session_and_the_work() {
        let dir = tempfile::tempdir().expect("tmp");
        let ws = workspace(dir.path()).await;
        store_session(dir.path(), &closed_port(), far_future(), far_future());
        let before = SyncState::load(dir.path()).expect("load").0;
        let rec = Arc::new(Recorder::default());
        let err = ws.sync(rec).await.expect_err("offline");
        assert!(matches!(err, CoreError::Network { .. }), "{err:?}");
        assert_eq!(SyncState::load(dir.path()).expect("load").0, before);
    }

    #[tokio::test]
    async fn an_expired_session_asks_for_a_login_and_keeps_sync_progress() {
        let dir = tempfile::tempdir().expect("tmp");
        let ws = workspace(dir.path()).await;
        // Both tokens expired: no network call can help.
        store_session(dir.path(), &closed_port(), 1, 1);
        let err = ws
            .sync(Arc::new(Recorder::default()))
            .await
            .expect_err("expired");
        assert!(matches!(err, CoreError::LoginRequired { .. }), "{err:?}");
        let after = SyncState::load(dir.path()).expect("load").0;
        assert!(after.session.is_none(), "spent tokens are dropped");
        assert_eq!(after.cursor.as_deref(), Some("42"), "progress is kept");
        // Logging out afterwards is still fine.
        ws.logout().await.expect("logout");
    }

    #[tokio::test]
    async fn logout_forgets_the_tokens_even_offline() {
        let dir = tempfile::tempdir().expect("tmp");
        let ws = workspace(dir.path()).await;
        store_session(dir.path(), &closed_port(), far_future(), far_future());
        ws.logout().await.expect("logout");
        let after = SyncState::load(dir.path()).expect("load").0;
        assert!(after.session.is_none());
        assert_eq!(after.cursor.as_deref(), Some("42"));
        let err = ws
            .sync(Arc::new(Recorder::default()))
            .await
            .expect_err("logged out");
        assert!(matches!(err, CoreError::LoginRequired { .. }), "{err:?}");
    }
}
