//! End-to-end harness: a real Closeloop server (SQLite, blob folder, demo organisation) on a free
//! loopback port, and phones: each a mobile-core workspace in its own folder, driven through the
//! exported API exactly as the Kotlin and Swift apps drive it.

pub mod adversary;
pub mod load;
pub mod proxy;
pub mod replicas;

use closeloop::api::{
    self, CoreError, SyncListener, SyncProgress, SyncReport, UserIdentity, UserRole,
};
use closeloop_server::background::Background;
use closeloop_server::demo;
use std::sync::{Arc, Mutex};

/// A server with the demo organisation.
#[derive(Debug)]
pub struct Cluster {
    pub server: Background,
    /// (site id, name) of the demo sites; the first is the LPG restaurant owned by `zhang`.
    pub sites: Vec<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Cluster {
    /// Starts a server with the demo organisation.
    pub fn start() -> Cluster {
        let dir = tempfile::tempdir().expect("tmp");
        let config = closeloop_server::background::throwaway_config(
            dir.path(),
            closeloop_testkit::test_database_url(),
        );
        let (server, sites) = Background::start(config, |state| async move {
            demo::create(&state).await.expect("demo").sites
        })
        .expect("server");
        Cluster {
            server,
            sites,
            _dir: dir,
        }
    }

    pub fn url(&self) -> &str {
        &self.server.url
    }

    /// The restaurant site of the demo (grid-1, owned by zhang).
    pub fn restaurant(&self) -> &str {
        &self.sites[0].0
    }
}

/// The common start of a story: the grid worker `wang` fails the exits item at the demo
/// restaurant, raises a hazard and assigns it to its owner `zhang`; both phones have synced.
pub fn assigned_hazard(cluster: &Cluster) -> (Phone, Phone, String) {
    assigned_hazard_via(cluster.url(), cluster.url(), cluster.restaurant())
}

/// [`assigned_hazard`] with `wang` and `zhang` on servers of their own (replicas).
pub fn assigned_hazard_via(
    wang_url: &str,
    zhang_url: &str,
    restaurant: &str,
) -> (Phone, Phone, String) {
    use api::{Answer, HazardAction, InspectionPurpose};
    let wang = Phone::login(wang_url, "wang");
    let zhang = Phone::login(zhang_url, "zhang");
    wang.sync();
    let insp = wang
        .run(
            wang.ws
                .start_inspection(restaurant.to_owned(), InspectionPurpose::Patrol),
        )
        .expect("start");
    let exits = "fire-law.exits-clear".to_owned();
    wang.run(
        wang.ws
            .answer_item(insp.clone(), exits.clone(), Answer::Fail, String::new()),
    )
    .expect("answer");
    let hz = wang
        .run(wang.ws.raise_hazard(insp, exits, String::new(), vec![]))
        .expect("hazard")
        .summary
        .id;
    let assign = HazardAction::Assign {
        assignee: zhang.user.user_id.clone(),
        deadline: 1_900_000_000_000,
        measure: String::new(),
    };
    wang.run(
        wang.ws
            .act_on_hazard(hz.clone(), assign, String::new(), vec![]),
    )
    .expect("assign");
    wang.sync();
    zhang.sync();
    (wang, zhang, hz)
}

/// Adds changes to a document as if the device had written them with `actor`, bypassing the
/// app's own checks (what a modified client could send).
pub fn forge(
    ws: &mut closeloop::workspace::Workspace,
    doc_id: &str,
    actor: automerge::ActorId,
    edit: impl FnOnce(&mut automerge::AutoCommit),
) {
    let bytes = ws.save_doc(doc_id).expect("doc");
    let mut doc = automerge::AutoCommit::load(&bytes)
        .expect("load")
        .with_actor(actor);
    let heads = doc.get_heads();
    edit(&mut doc);
    let delta = doc.save_after(&heads);
    ws.apply_remote(doc_id, &delta).expect("apply");
}

/// The device's own actor in a raw workspace.
pub fn own_actor(ws: &closeloop::workspace::Workspace) -> automerge::ActorId {
    let hex = ws.actor_hex();
    let bytes: Vec<u8> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
        .collect();
    automerge::ActorId::from(bytes)
}

/// Records progress callbacks.
#[derive(Debug, Default)]
pub struct Progress(pub Mutex<Vec<SyncProgress>>);

impl SyncListener for Progress {
    fn on_progress(&self, progress: SyncProgress) {
        self.0.lock().expect("progress lock").push(progress);
    }
}

/// A phone: a workspace in its own folder, signed in to a server.
#[derive(Debug)]
pub struct Phone {
    pub ws: Arc<api::Workspace>,
    pub user: UserIdentity,
    pub progress: Arc<Progress>,
    pub dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    /// The demo username this phone logs in as.
    username: String,
}

impl Phone {
    /// Opens a fresh workspace and logs in as a demo user (password `<user>-demo-pass`).
    pub fn login(server_url: &str, username: &str) -> Phone {
        let mut phone = Phone::offline(username, &[]);
        phone.log_in(server_url);
        phone
    }

    /// A new phone that has never logged in: the workspace opened as the app opens it before
    /// the first login, under a provisional identity (the typed-in user name, the `grids` the
    /// worker says they work in, no organisation). `user` is that identity until [`Phone::log_in`].
    pub fn offline(username: &str, grids: &[&str]) -> Phone {
        let dir = tempfile::tempdir().expect("tmp");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("rt");
        let provisional = UserIdentity {
            user_id: username.into(),
            display_name: username.into(),
            role: UserRole::Inspector,
            org_id: String::new(),
            grid_ids: grids.iter().map(|g| g.to_string()).collect(),
            site_ids: vec![],
            device_id: format!(
                "{username}-phone-{}",
                dir.path()
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
        };
        let folder = dir.path().join("ws").to_string_lossy().into_owned();
        let ws = rt
            .block_on(api::open_workspace(folder, provisional.clone(), 480))
            .expect("workspace opens");
        Phone {
            ws,
            user: provisional,
            progress: Arc::new(Progress::default()),
            dir,
            rt,
            username: username.to_owned(),
        }
    }

    /// Logs in as the demo user of this phone's name; `user` becomes the server's description.
    pub fn log_in(&mut self, server_url: &str) {
        let username = &self.username;
        self.user = self
            .rt
            .block_on(self.ws.login(
                server_url.to_owned(),
                username.clone(),
                format!("{username}-demo-pass"),
            ))
            .expect("login");
    }

    /// Runs an async API call to completion.
    pub fn run<F: Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Syncs, returning the report or the error.
    pub fn try_sync(&self) -> Result<SyncReport, CoreError> {
        let listener: Arc<dyn SyncListener> = self.progress.clone();
        self.rt.block_on(self.ws.sync(listener))
    }

    /// Syncs and expects success.
    pub fn sync(&self) -> SyncReport {
        self.try_sync().expect("sync succeeds")
    }

    /// The folder the phone's workspace lives in.
    pub fn folder(&self) -> std::path::PathBuf {
        self.dir.path().join("ws")
    }

    /// Closes the app, lets `f` work on the workspace folder directly (as a modified client could),
    /// and opens the app again.
    pub fn tamper(self, f: impl FnOnce(&mut closeloop::workspace::Workspace)) -> Phone {
        let Phone {
            ws,
            user,
            progress,
            dir,
            rt,
            username,
        } = self;
        drop(ws);
        let identity = closeloop::workspace::Identity {
            user_id: user.user_id.clone(),
            display_name: user.display_name.clone(),
            role: match user.role {
                UserRole::Inspector => closeloop_model::roles::Role::Inspector,
                UserRole::Owner => closeloop_model::roles::Role::Owner,
                UserRole::Supervisor => closeloop_model::roles::Role::Supervisor,
                UserRole::Admin => closeloop_model::roles::Role::Admin,
            },
            scope: closeloop_model::roles::Scope {
                org_id: user.org_id.clone(),
                grids: user.grid_ids.clone(),
                sites: user.site_ids.clone(),
            },
            device_id: user.device_id.clone(),
        };
        let folder = dir.path().join("ws");
        {
            let mut raw =
                closeloop::workspace::Workspace::open(&folder, identity, 480).expect("raw open");
            f(&mut raw);
        }
        let ws = rt
            .block_on(api::open_workspace(
                folder.to_string_lossy().into_owned(),
                user.clone(),
                480,
            ))
            .expect("reopen");
        Phone {
            ws,
            user,
            progress,
            dir,
            rt,
            username,
        }
    }

    /// Writes a deterministic JPEG into the phone's folder, as its camera would, and returns the path.
    pub fn take_photo(&self, name: &str, seed: u8) -> String {
        let img = image::RgbImage::from_fn(1200, 900, |x, y| {
            image::Rgb([
                (x as u8).wrapping_add(seed),
                (y as u8).wrapping_mul(3),
                seed,
            ])
        });
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 85)
            .encode_image(&img)
            .expect("encode");
        let path = self.dir.path().join(format!("{name}.jpg"));
        std::fs::write(&path, bytes).expect("write photo");
        path.to_string_lossy().into_owned()
    }
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An access token of a demo user, from a login on a device of its own (as a supervisor's
/// browser would hold one), for reading the tracking API.
pub fn token(server_url: &str, username: &str) -> String {
    let body = serde_json::json!({
        "username": username,
        "password": format!("{username}-demo-pass"),
        "device_id": format!("{username}-console"),
    });
    let r = adversary::call(
        "POST",
        &format!("{server_url}/v1/auth/login"),
        None,
        Some(body.to_string().as_bytes()),
        &[("content-type", "application/json")],
    );
    assert_eq!(r.status, 200, "login {username}: {}", r.body);
    r.body["access_token"]
        .as_str()
        .expect("access token")
        .to_owned()
}

/// `GET` of the tracking API with a token: the status and the body as JSON.
pub fn get(server_url: &str, token: &str, path: &str) -> adversary::Res {
    adversary::call(
        "GET",
        &format!("{server_url}{path}"),
        Some(token),
        None,
        &[],
    )
}

/// The profile of `checklists/profiles/restaurant-lpg.toml` as the app enters it: a 300 m²
/// restaurant cooking on bottled gas.
pub fn restaurant_profile() -> api::SiteProfile {
    use api::{GasSupply, HazardLevel, Jurisdiction, PremisesType};
    api::SiteProfile {
        jurisdiction: Jurisdiction::China,
        premises: PremisesType::Restaurant,
        floor_area_m2: 300.0,
        storeys: 1,
        building_height_m: 5.0,
        below_ground: false,
        occupants: 120,
        sleepers: 0,
        public_gathering_place: true,
        key_fire_safety_unit: false,
        public_institution: false,
        gas: GasSupply::Lpg,
        kitchen: true,
        ebike_parking: false,
        ebike_charging: false,
        flammable_goods: false,
        mixed_living: false,
        hydrants: true,
        sprinklers: false,
        fire_alarm: false,
        hazard_level: HazardLevel::Medium,
        opens_at: None,
        closes_at: None,
        subtype: None,
        boarding: false,
        in_residential_building: false,
        staff_dormitory: false,
        combustible_dust: false,
        hot_work: false,
        fire_control_room: false,
    }
}
