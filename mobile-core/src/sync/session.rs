//! Authentication (protocol §2): log in, refresh with rotating tokens, log out, register the
//! device's actor, and make calls with a fresh access token.
//!
//! A refresh token can be used once, so the new pair is written to disk before anything else
//! happens. When the server will not refresh (`refresh_expired`, `refresh_reused`) the tokens are
//! dropped and the app is asked to log in; documents, photos and sync progress are untouched.

use super::error::{Result, SyncError};
use super::http::{Client, Reply, normalise_url};
use super::state::{FeedScope, Session, SyncState};
use super::wire::{ActorIds, LoginRequest, RefreshRequest, TokenPair, UserInfo};
use crate::workspace::{Identity, Workspace, system_now};
use closeloop_model::roles::{Role, Scope};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// An access token this close to expiry is refreshed first, so it does not expire in flight.
const EXPIRY_MARGIN_MS: i64 = 30_000;

/// Runs `f` on the workspace under its lock.
pub fn with_ws<T>(ws: &Mutex<Workspace>, f: impl FnOnce(&mut Workspace) -> T) -> Result<T> {
    let mut guard = ws.lock().map_err(|_| {
        SyncError::Workspace(crate::workspace::Error::Invalid {
            field: "workspace".into(),
            reason: "an earlier call failed inside the workspace; reopen it".into(),
        })
    })?;
    Ok(f(&mut guard))
}

/// The workspace identity the server's description of a user stands for on this device.
pub fn identity_of(user: &UserInfo, device_id: &str) -> Result<Identity> {
    let role = Role::parse(&user.role)
        .ok_or_else(|| SyncError::Malformed(format!("unknown role `{}`", user.role)))?;
    Ok(Identity {
        user_id: user.user_id.clone(),
        display_name: user.display_name.clone(),
        role,
        scope: Scope {
            org_id: user.org_id.clone(),
            grids: user.grid_ids.clone(),
            sites: user.site_ids.clone(),
        },
        device_id: device_id.to_owned(),
    })
}

fn session_of(user_id: &str, t: &TokenPair) -> Session {
    Session {
        user_id: user_id.to_owned(),
        access_token: t.access_token.clone(),
        access_expires_at: t.access_expires_at,
        refresh_token: t.refresh_token.clone(),
        refresh_expires_at: t.refresh_expires_at,
    }
}

/// Records whose feed the device reads. When that grows (another user, new grids or sites) the
/// cursor is dropped: the feed only carries batches after the cursor, and the history of the
/// newly visible documents is older (protocol §3, "after a scope grows").
fn note_scope(state: &mut SyncState, user: &UserInfo) {
    let next = FeedScope {
        user_id: user.user_id.clone(),
        role: user.role.clone(),
        org_id: user.org_id.clone(),
        grids: user.grid_ids.iter().cloned().collect(),
        sites: user.site_ids.iter().cloned().collect(),
    };
    if state.scope.as_ref().is_none_or(|old| old.grows_into(&next)) {
        state.cursor = None;
    }
    state.scope = Some(next);
}

/// Logs in and makes the server's user the workspace's identity, then adopts for that user the
/// work done on this device before (under a provisional identity, never synced): see
/// [`super::adopt`]. Returns the identity.
pub fn login(
    ws: &Mutex<Workspace>,
    server_url: &str,
    username: &str,
    password: &str,
) -> Result<Identity> {
    let url = normalise_url(server_url)?;
    let (root, device_id) = with_ws(ws, |w| {
        (w.root().to_owned(), w.identity().device_id.clone())
    })?;
    let client = Client::new(&url)?;
    let reply = client.post_json(
        "/v1/auth/login",
        None,
        &LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            device_id: device_id.clone(),
        },
    )?;
    if !reply.ok() {
        return Err(reply.error());
    }
    let tokens: TokenPair = reply.json()?;
    let user = tokens
        .user
        .clone()
        .ok_or_else(|| SyncError::Malformed("the login answer names no user".into()))?;
    let identity = identity_of(&user, &device_id)?;
    let (mut state, _) = SyncState::load(&root)?;
    // Taken before the server's user is recorded, so that a provisional identity with the
    // server's own user id still counts as one.
    let known = state.known_users();
    let provisional = with_ws(ws, |w| w.provisional_users(&known))?;
    if state.server_url.as_deref() != Some(url.as_str()) {
        // Heads synced with, and a cursor of, another server mean nothing to this one.
        state = SyncState::for_server(&url);
    }
    state.version = 1;
    state.session = Some(session_of(&user.user_id, &tokens));
    note_scope(&mut state, &user);
    state.save(&root)?;
    with_ws(ws, |w| w.set_identity(identity.clone()))??;
    super::adopt::adopt(ws, &state, provisional)?;
    Ok(identity)
}

/// Forgets the session's tokens on this device, then asks the server to revoke them. Always
/// succeeds locally; the revocation is best effort (offline, the tokens simply expire), so the
/// user is never stuck signed in. Offline work and sync progress are kept.
pub fn logout(root: &Path) -> Result<()> {
    let (mut state, _) = SyncState::load(root)?;
    let Some(session) = state.session.take() else {
        return Ok(());
    };
    // Forgotten on disk first: if the app dies during the call below, the user is still out.
    state.save(root)?;
    if let Some(url) = &state.server_url {
        let quick = super::http::Timeouts {
            connect: std::time::Duration::from_secs(5),
            stall: std::time::Duration::from_secs(10),
            call: std::time::Duration::from_secs(15),
        };
        if let Ok(client) = Client::with_timeouts(url, quick) {
            revoke(&client, session);
        }
    }
    Ok(())
}

/// `POST /v1/auth/logout` with the refresh token, authorised by the access token; an expired
/// access token is refreshed once first, so the family is revoked even after a long offline spell.
fn revoke(client: &Client, mut session: Session) {
    for attempt in 0..2 {
        let expired = system_now() >= session.access_expires_at - EXPIRY_MARGIN_MS;
        if expired || attempt == 1 {
            let refreshed = client
                .post_json(
                    "/v1/auth/refresh",
                    None,
                    &RefreshRequest {
                        refresh_token: session.refresh_token.clone(),
                    },
                )
                .ok()
                .filter(Reply::ok)
                .and_then(|r| r.json::<TokenPair>().ok());
            let Some(t) = refreshed else { return };
            session = session_of(&session.user_id, &t);
        }
        let reply = client.post_json(
            "/v1/auth/logout",
            Some(&session.access_token),
            &RefreshRequest {
                refresh_token: session.refresh_token.clone(),
            },
        );
        if !matches!(reply, Ok(ref r) if r.status == 401) {
            return;
        }
    }
}

/// A logged-in connection to the server, with the sync state it keeps current.
#[derive(Debug)]
pub struct Conn {
    pub client: Client,
    pub state: SyncState,
    root: PathBuf,
    /// The user as the server last described them on a refresh, for the workspace to take on.
    pub refreshed_user: Option<UserInfo>,
}

impl Conn {
    /// Opens the session stored in `root`, for `user_id`. No session, or one of another user,
    /// means the app must log in.
    pub fn open(root: &Path, user_id: &str) -> Result<Conn> {
        let (state, _) = SyncState::load(root)?;
        let url = state
            .server_url
            .clone()
            .ok_or_else(|| SyncError::LoginRequired("this device has never logged in".into()))?;
        match &state.session {
            None => return Err(SyncError::LoginRequired("not logged in".into())),
            Some(s) if s.user_id != user_id => {
                return Err(SyncError::LoginRequired(format!(
                    "logged in as {}, not {user_id}",
                    s.user_id
                )));
            }
            Some(_) => {}
        }
        Ok(Conn {
            client: Client::new(&url)?,
            state,
            root: root.to_owned(),
            refreshed_user: None,
        })
    }

    /// A connection over an existing client and state (tests).
    pub fn with(client: Client, state: SyncState, root: &Path) -> Conn {
        Conn {
            client,
            state,
            root: root.to_owned(),
            refreshed_user: None,
        }
    }

    /// Writes the sync state. Durable on return.
    pub fn persist(&self) -> Result<()> {
        self.state.save(&self.root)?;
        Ok(())
    }

    fn end_session(&mut self, why: &str) -> SyncError {
        self.state.session = None;
        match self.persist() {
            Ok(()) => SyncError::LoginRequired(why.to_owned()),
            Err(e) => e,
        }
    }

    fn session(&self) -> Result<&Session> {
        self.state
            .session
            .as_ref()
            .ok_or_else(|| SyncError::LoginRequired("not logged in".into()))
    }

    /// Exchanges the refresh token for a new pair and stores it at once (the old one is now
    /// spent). A refusal ends the session; a network failure keeps it for the next try.
    pub fn refresh(&mut self) -> Result<()> {
        let session = self.session()?.clone();
        if system_now() >= session.refresh_expires_at {
            return Err(self.end_session("the session has expired"));
        }
        let reply = self.client.post_json(
            "/v1/auth/refresh",
            None,
            &RefreshRequest {
                refresh_token: session.refresh_token.clone(),
            },
        )?;
        if reply.status == 401 {
            let why = match reply.code().as_deref() {
                Some("refresh_reused") => "the session was used elsewhere and has been closed",
                Some("refresh_expired") => "the session has expired",
                _ => "the session is no longer valid",
            };
            return Err(self.end_session(why));
        }
        if !reply.ok() {
            return Err(reply.error());
        }
        let tokens: TokenPair = reply.json()?;
        self.state.session = Some(session_of(&session.user_id, &tokens));
        if let Some(user) = tokens.user.filter(|u| u.user_id == session.user_id) {
            note_scope(&mut self.state, &user);
            self.refreshed_user = Some(user);
        }
        self.persist()
    }

    fn fresh_token(&mut self) -> Result<String> {
        if system_now() >= self.session()?.access_expires_at - EXPIRY_MARGIN_MS {
            self.refresh()?;
        }
        Ok(self.session()?.access_token.clone())
    }

    /// Makes a call with a fresh access token. A 401 (expired early through clock skew, or signed
    /// with a retired key) gets one refresh and one retry; a second 401 ends the session.
    pub fn call(&mut self, f: impl Fn(&Client, &str) -> Result<Reply>) -> Result<Reply> {
        let token = self.fresh_token()?;
        let reply = f(&self.client, &token)?;
        if reply.status != 401 {
            return Ok(reply);
        }
        self.refresh()?;
        let token = self.session()?.access_token.clone();
        let reply = f(&self.client, &token)?;
        if reply.status == 401 {
            return Err(self.end_session("the server does not accept this session"));
        }
        Ok(reply)
    }

    /// Binds `actor` to this user and device on the server, once (protocol §2).
    pub fn register_actor(&mut self, user_id: &str, actor: &str) -> Result<()> {
        if self.state.is_registered(user_id, actor) {
            return Ok(());
        }
        let body = ActorIds {
            actor_ids: vec![actor.to_owned()],
        };
        let reply = self.call(|c, t| c.post_json("/v1/devices/actors", Some(t), &body))?;
        if !reply.ok() {
            return Err(reply.error());
        }
        self.state
            .registered
            .entry(user_id.to_owned())
            .or_default()
            .insert(actor.to_owned());
        self.persist()
    }
}
