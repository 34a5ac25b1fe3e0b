//! The catalogue of every rule id a Closeloop server or phone answers with: what it means, who
//! typically meets it and what to do, and where it shows up. `docs/refusals.md` is generated from
//! it ([`refusals_markdown`]), together with the table of who may do what, which is computed by
//! asking [`authorize`] itself, and the table of what each hazard event does in each status,
//! computed by the lifecycle's own fold. A test keeps the catalogue equal to the rule ids the
//! model's and the server's code contain, and the committed document equal to what this writes.

use crate::lifecycle::{Event, EventKind, HazardState, Report, Severity, Status, fold};
use crate::permission::{Action, InspectionFacts, authorize};
use crate::roles::{Actor, Role, Scope, SiteRef};
use closeloop_checklists::Purpose;
use std::fmt::Write as _;

/// Where a rule id reaches a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Surface {
    /// One pushed document refused in `POST /v1/sync`: `results[].refusal.rule`. Only that
    /// document is refused; the device keeps its version in quarantine. The phone asks the same
    /// rule before writing, so an honest app shows it at once instead.
    Push,
    /// The whole `POST /v1/sync` request answered `400 bad_request`, the rule named in `message`
    /// and the document in `field`; nothing of the request is written.
    Request,
    /// `PUT /v1/blobs/{sha256}` answered `415 unsupported_type`, the rule named in `message`; the
    /// phone applies the same rule when it imports a camera file.
    Upload,
    /// An administrator's request (`/v1/admin/users`, `…/scope`) answered `400 bad_request`,
    /// the rule named in `message` and the list at fault in `field`.
    Admin,
    /// Never a refusal: an event kept in the hazard document that did not change its state,
    /// shown in timelines as `not_applied.rule` (the events are append-only and merge from many
    /// devices, so one that arrives too late is explained rather than dropped).
    Timeline,
    /// Never sent: the phone's own verdict on its quarantined work, shown on a held piece of
    /// `quarantined()` (and the terminal client's `quarantine`).
    Phone,
}

impl Surface {
    /// How the generated document names it.
    pub fn label(self) -> &'static str {
        match self {
            Surface::Push => "push refusal",
            Surface::Request => "400 on /v1/sync",
            Surface::Upload => "415 on upload",
            Surface::Admin => "400 on admin",
            Surface::Timeline => "not applied (timeline)",
            Surface::Phone => "held on the phone",
        }
    }

    const ALL: [Surface; 6] = [
        Surface::Push,
        Surface::Request,
        Surface::Upload,
        Surface::Admin,
        Surface::Timeline,
        Surface::Phone,
    ];

    fn explain(self) -> &'static str {
        match self {
            Surface::Push => {
                "one pushed document refused in `POST /v1/sync`, as `results[].refusal.rule` with a \
                 `reason` for people; only that document is refused, the device keeps its version \
                 in quarantine and, when it may read it, gets the server's copy in `server_doc`. \
                 The Rust core asks the same rule before it writes, so its user is told at once."
            }
            Surface::Request => {
                "the whole `POST /v1/sync` request answered `400 bad_request`, with the rule in \
                 `message` and the document (`push[i]`) in `field`; nothing of the request is written."
            }
            Surface::Upload => {
                "`PUT /v1/blobs/{sha256}` answered `415 unsupported_type`, with the rule in \
                 `message`; the phone applies the same rule when it imports a camera file."
            }
            Surface::Admin => {
                "`POST /v1/admin/users` or `PUT /v1/admin/users/{user_id}/scope` answered \
                 `400 bad_request`, with the rule in `message` and the list at fault in `field`."
            }
            Surface::Timeline => {
                "never a refusal: an event kept in the hazard document that did not change its \
                 state, shown in `GET /v1/hazards/{id}/timeline` as `not_applied` \
                 (`rule`, `reason`). Events merge from many devices, so one that lands too late \
                 is explained, never dropped."
            }
            Surface::Phone => {
                "never sent to a server: the Rust core's verdict on a piece of quarantined work, \
                 shown with the piece in `quarantined()` and the terminal client's `quarantine`. \
                 Another client need not use it."
            }
        }
    }
}

/// One rule id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable once released; a new rule gets a new id.
    pub id: &'static str,
    pub surface: Surface,
    /// What the rule says.
    pub meaning: &'static str,
    /// Who typically meets it, and what to do then.
    pub remedy: &'static str,
}

const fn push(id: &'static str, meaning: &'static str, remedy: &'static str) -> Rule {
    rule(id, Surface::Push, meaning, remedy)
}

const fn rule(
    id: &'static str,
    surface: Surface,
    meaning: &'static str,
    remedy: &'static str,
) -> Rule {
    Rule {
        id,
        surface,
        meaning,
        remedy,
    }
}

const BUG: &str = "A client that writes documents by hand; the reason names the key or record. \
                   Compare with docs/documents.md.";
const BUDGET: &str = "Nobody honest: the bound is far above a day's work. A client that pushes a \
                      whole large history at once may push fewer changes per request; otherwise \
                      the payload is hostile or broken.";
const PHOTO: &str = "A client uploading something other than a camera photo re-encoded as a \
                     baseline JPEG (docs/sync-protocol.md §4); re-encode it.";
const ADMIN: &str = "An administrator's tool; fix the list named in `field`.";

/// Every rule id, grouped by what it is about.
pub const RULES: &[Rule] = &[
    // The document as a whole.
    push(
        "doc.malformed",
        "The document, with the pushed changes applied, is not a valid document of its kind: a \
         key is missing or has the wrong type, a record is not the JSON its list holds, or its \
         `schema` is newer than the server's.",
        BUG,
    ),
    push(
        "doc.id_mismatch",
        "The document's `id` key is not the `doc_id` it was pushed under.",
        BUG,
    ),
    push(
        "doc.id_taken",
        "The id is used by a document outside the pusher's reach (told only to a push that \
         would otherwise be accepted).",
        "A client whose ids are not random enough; make ids of at least 128 random bits \
         (the Rust core's are a prefix, the time and 64 random bits) and push again under a new id.",
    ),
    push(
        "doc.header_changed",
        "A push changed an existing document's `kind`, `id`, `org_id`, `grid_id` or `site_id`, \
         which never change.",
        "A client that rewrote the header, for example to move a site to another grid (an \
         administrator's action, not a device's). Reset to the server's copy.",
    ),
    push(
        "doc.unknown_key",
        "The document has a root key its kind does not have (docs/documents.md lists them).",
        BUG,
    ),
    push(
        "doc.site_id",
        "A site document's `site_id` is not its own `id`.",
        "A client creating a site: set `site_id` to the document's id.",
    ),
    push(
        "doc.append_only",
        "A record of `answers`, `photos`, `events`, `completions` or `comments` was changed, \
         removed or moved; these lists only grow.",
        "A client that edits records in place; append a new record instead (a later answer \
         replaces an earlier one for its item).",
    ),
    push(
        "doc.author_mismatch",
        "A new record's `by` (and an event's `role`) is not the pushing user, or a sign-off is \
         in someone else's name.",
        "A client that copies records or signs in one name and writes in another; write every \
         record as the user whose token pushes it.",
    ),
    // Where a document belongs.
    push(
        "placement.unknown_site",
        "The site the document names is not on the server, or not in the pusher's reach (the \
         same answer for both).",
        "A device that pushed a document before its site; push the site document first (earlier \
         in the same request is enough) and push again.",
    ),
    push(
        "placement.unknown_grid",
        "A new site's grid is not one of the pusher's organisation that the pusher reaches.",
        "An inspector creating a site outside their grids; use one of `grid_ids` from login.",
    ),
    push(
        "placement.mismatch",
        "The document's `org_id` or `grid_id` disagree with the server's record of its site.",
        "A client that fills the header itself; copy `org_id` and `grid_id` from the site's \
         document.",
    ),
    push(
        "scope.site",
        "The site is outside the user's reach (docs/adr/0005: owners their sites, inspectors \
         their grids and sites, supervisors and admins their grids and sites or the whole \
         organisation).",
        "A user whose area changed while they worked offline; their work stays in quarantine for \
         someone who reaches the site.",
    ),
    // Sites.
    push(
        "site.edit",
        "Creating or changing a site is for inspectors, supervisors and admins.",
        "An owner editing their own site's profile; ask the grid worker.",
    ),
    push(
        "site.name",
        "A site's name is 1 to 200 characters.",
        "A form without a check; ask for a name.",
    ),
    push(
        "site.location",
        "A site's `lat` is not in [-90, 90] or its `lon` not in [-180, 180].",
        "A client that swapped latitude and longitude, or wrote a projected coordinate.",
    ),
    // Inspections.
    push(
        "inspection.start",
        "This role may not start an inspection for this purpose: self-checks are for owners, \
         inspectors and supervisors; every other purpose for inspectors and supervisors.",
        "An owner starting a patrol; owners start `self_check`.",
    ),
    push(
        "inspection.not_yours",
        "The inspection is in someone else's name: a new one must name the pusher as \
         `inspector`, and only its inspector answers, attaches photos or signs it off.",
        "A second inspector at the same site; start an inspection of your own.",
    ),
    push(
        "inspection.signed_off",
        "The inspection is signed off: no more answers or photos, and the sign-off is never \
         changed or withdrawn (supervisors may still comment).",
        "A device that kept answering offline after a sign-off reached the server from another \
         device; start a new inspection.",
    ),
    push(
        "inspection.immutable",
        "An inspection's `inspector`, `purpose`, `started_at` and `checklist` never change.",
        "A client that regenerated the checklist in an existing inspection; start a new one.",
    ),
    push(
        "inspection.checklist_mismatch",
        "The `checklist` is not the one the server's packs generate for the site's profile (now \
         or before) and the inspection's purpose, or its purpose differs from the inspection's.",
        "A client that builds or edits checklists itself; store exactly what \
         `GET /v1/sites/{id}/checklist?purpose=…` answers.",
    ),
    push(
        "inspection.unknown_pack",
        "The checklist pins a regulation pack (id, version, content hash) this server does not \
         have.",
        "A phone with newer or older packs than the server; update the app or the server.",
    ),
    push(
        "inspection.unknown_item",
        "An answer names an `item_id` that is not in the inspection's checklist.",
        BUG,
    ),
    push(
        "inspection.answer",
        "An answer is not of the kind its item takes (a count for a pass/fail item, a date that \
         is not `YYYY-MM-DD`, a measurement that is not a finite number), or dates something \
         after the day it was given.",
        "A client that writes answers by hand; the reason names the item. The phone refuses \
         the same answer before writing it (docs/documents.md §3).",
    ),
    push(
        "inspection.photo_ref",
        "A photo record does not name its photo and thumbnail by lowercase hex SHA-256.",
        BUG,
    ),
    push(
        "inspection.comment",
        "Commenting on an inspection is for supervisors.",
        "An inspector adding a note after sign-off; notes go with answers, before it.",
    ),
    // Hazards: what an event must be.
    push(
        "hazard.first_event",
        "A new hazard document's first event is not `reported`.",
        BUG,
    ),
    push(
        "hazard.event_id",
        "An event's `id` is empty or longer than 128 characters.",
        BUG,
    ),
    push(
        "hazard.title_required",
        "A report's title is empty.",
        "A form without a check; describe the hazard.",
    ),
    push(
        "hazard.too_long",
        "A title is over 200 characters, or a note, measure, reason or clause over 4000.",
        "A form without a limit; shorten it.",
    ),
    push(
        "hazard.too_many_photos",
        "An event carries more than 20 photos.",
        "Attach the rest to a `commented` event.",
    ),
    push(
        "hazard.too_many_clauses",
        "A report cites more than 32 clauses.",
        "Cite the clauses the hazard breaches, not the whole pack.",
    ),
    push(
        "hazard.photo_ref",
        "An event's `photos` entry is not a lowercase hex SHA-256.",
        BUG,
    ),
    push(
        "hazard.assignee_required",
        "An assignment names nobody (or an id over 128 characters).",
        "A form without a check; name who must fix it.",
    ),
    push(
        "hazard.rectify.photo_required",
        "A rectification carries no after-photo.",
        "Take at least one photo of the fixed hazard.",
    ),
    // Hazards: who may append an event.
    push(
        "hazard.report",
        "Reporting a hazard is for inspectors, owners and supervisors.",
        "An admin account used in the field; use an inspector's.",
    ),
    push(
        "hazard.assign",
        "Assigning is for inspectors and supervisors.",
        "An owner assigning their own staff; they rectify directly.",
    ),
    push(
        "hazard.fix_on_spot",
        "Recording a fix on the spot is for inspectors, owners and supervisors.",
        "An admin account used in the field.",
    ),
    push(
        "hazard.rectify.assignee_or_owner",
        "Only the assignee or an owner of the site submits a rectification.",
        "An inspector who is not the assignee; reassign to yourself first, or let the owner submit.",
    ),
    push(
        "hazard.accept.supervisor_only",
        "Accepting a rectification is for supervisors.",
        "An inspector closing their own hazard; a supervisor reviews it (the review queue).",
    ),
    push(
        "hazard.reject.supervisor_only",
        "Rejecting a rectification is for supervisors.",
        "As for accepting.",
    ),
    push(
        "hazard.cancel.supervisor_only",
        "Cancelling a hazard (a false report) is for supervisors.",
        "An inspector who reported by mistake; ask a supervisor, or comment.",
    ),
    push(
        "hazard.reopen.supervisor_only",
        "Reopening a closed hazard is for supervisors.",
        "An inspector who finds it again; report a new hazard or ask a supervisor.",
    ),
    push(
        "hazard.escalate",
        "Escalating to a major hazard is for inspectors and supervisors.",
        "An owner; the inspector judges severity.",
    ),
    push(
        "evidence.incomplete",
        "An acceptance arrived while some photo the hazard references is not on the server.",
        "A supervisor accepting before the phone's photos arrived; wait for the uploads (the \
         review queue lists `missing_evidence`) and accept again.",
    ),
    // Task plans.
    push(
        "task.complete",
        "Recording a self-check task as done is for owners and inspectors.",
        "A supervisor ticking an owner's task; the owner does.",
    ),
    push(
        "task_plan.edit",
        "Creating or regenerating a task plan is for inspectors, supervisors and admins.",
        "An owner; the plan follows the site's profile, which the inspector keeps.",
    ),
    // The sync step itself.
    push(
        "sync.actor_not_bound",
        "A new change's automerge actor is not registered to the pushing (user, device).",
        "A device that wrote before its first login, or edited a pulled document under the \
         document's old actor; register the actor (`POST /v1/devices/actors`) and write with it.",
    ),
    push(
        "sync.bad_changes",
        "Automerge could not load the pushed changes onto the server's document.",
        "A client with a broken automerge library or a truncated payload; push the whole document.",
    ),
    push(
        "sync.missing_dependencies",
        "The pushed changes depend on changes the server does not have.",
        "A device whose record of what the server acknowledged is wrong; push the whole document \
         (`save()` instead of `saveSince`).",
    ),
    push(
        "sync.document_too_large",
        "The document would grow past the server's `max_document_bytes` (8 MiB).",
        "A document used as a photo store or a log; photos are blobs, and an inspection ends \
         with its sign-off.",
    ),
    // The payload budget (protocol::budget), before anything decodes a push.
    rule(
        "sync.budget.malformed",
        Surface::Request,
        "The bytes are not automerge chunks.",
        "A client sending JSON or a broken base64 payload as `changes`; send `save()`/`saveSince()` bytes.",
    ),
    rule(
        "sync.budget.checksum",
        Surface::Request,
        "A chunk does not match its checksum.",
        "A payload damaged on the way; send it again.",
    ),
    rule(
        "sync.budget.chunk_type",
        Surface::Request,
        "A chunk is neither a document, a change nor a compressed change (bundles are refused).",
        "A client using a newer automerge format; use `save()`/`saveSince()`.",
    ),
    push(
        "sync.budget.chunks",
        "More chunks than `max_chunks`.",
        BUDGET,
    ),
    push(
        "sync.budget.inflated_bytes",
        "The payload inflates to more than `max_inflated_bytes`.",
        BUDGET,
    ),
    push(
        "sync.budget.chunk_inflated_bytes",
        "One chunk inflates to more than `max_chunk_inflated_bytes`.",
        BUDGET,
    ),
    push(
        "sync.budget.column_values",
        "A column decodes to more than `max_column_values` values.",
        BUDGET,
    ),
    push(
        "sync.budget.columns",
        "A chunk declares more than `max_columns_per_chunk` columns.",
        BUDGET,
    ),
    push(
        "sync.budget.actors",
        "A chunk names more than `max_actors_per_chunk` actors.",
        BUDGET,
    ),
    push(
        "sync.budget.change_ops",
        "A change has more than `max_ops_per_change` operations.",
        BUDGET,
    ),
    push(
        "sync.budget.ops",
        "More than `max_ops` operations in all.",
        BUDGET,
    ),
    push(
        "sync.budget.changes",
        "More than `max_changes` changes in all.",
        BUDGET,
    ),
    push(
        "sync.budget.preds",
        "More than `max_preds` predecessor references in all.",
        BUDGET,
    ),
    // Evidence photos (evidence::check_jpeg).
    rule(
        "evidence.not_jpeg",
        Surface::Upload,
        "The file does not start with a JPEG start-of-image marker.",
        PHOTO,
    ),
    rule(
        "evidence.truncated",
        Surface::Upload,
        "The file ends inside a JPEG segment.",
        PHOTO,
    ),
    rule(
        "evidence.missing_marker",
        Surface::Upload,
        "A JPEG marker is missing where one must be.",
        PHOTO,
    ),
    rule(
        "evidence.unexpected_marker",
        Surface::Upload,
        "A marker stands where none belongs.",
        PHOTO,
    ),
    rule(
        "evidence.bad_segment",
        Surface::Upload,
        "A segment has an impossible length.",
        PHOTO,
    ),
    rule(
        "evidence.no_frame",
        Surface::Upload,
        "The JPEG has no frame header.",
        PHOTO,
    ),
    rule(
        "evidence.coding",
        Surface::Upload,
        "The JPEG is not baseline Huffman-coded (extended, lossless, hierarchical, arithmetic or, \
         on the server, progressive).",
        PHOTO,
    ),
    rule(
        "evidence.bad_frame",
        Surface::Upload,
        "The frame header is invalid: not 8 bits, not 1 or 3 components, sampling or tables out \
         of range.",
        PHOTO,
    ),
    rule(
        "evidence.too_large",
        Surface::Upload,
        "The image is over 4096 px on its long edge or 12 MP.",
        "A camera file uploaded as it is; scale it down first.",
    ),
    rule(
        "evidence.no_scan",
        Surface::Upload,
        "The JPEG has no scan, an empty one, or one that does not decode.",
        PHOTO,
    ),
    rule(
        "evidence.no_end",
        Surface::Upload,
        "The file does not end with an end-of-image marker.",
        PHOTO,
    ),
    rule(
        "evidence.trailing_data",
        Surface::Upload,
        "Bytes follow the end-of-image marker.",
        PHOTO,
    ),
    // Who may be made responsible for a hazard (people::check_assignee).
    push(
        "assignee.unknown",
        "An `assigned` event names a user who is not one of the site's organisation (another \
         organisation's user is answered the same). The phone checks its directory \
         (`GET /v1/people`, fetched at each sync) first.",
        "Pick the assignee from `GET /v1/sites/{id}/assignees`; a phone whose directory is out \
         of date syncs and chooses again.",
    ),
    push(
        "assignee.inactive",
        "An `assigned` event names a user whose account an administrator deactivated.",
        "Assign someone else; an administrator can reactivate the account.",
    ),
    push(
        "assignee.cannot_act",
        "An `assigned` event names a user who cannot act on the site: not an owner of it, nor an \
         inspector who works there (supervisors and administrators judge the work, they are not \
         given it).",
        "Assign one of the site's owners or responsible persons (`GET /v1/sites/{id}/assignees`), \
         or have an administrator give the person the site.",
    ),
    // Scopes an administrator gives (Scope::check).
    rule(
        "scope.duplicate",
        Surface::Admin,
        "A grid or site is listed twice.",
        ADMIN,
    ),
    rule(
        "scope.too_many",
        Surface::Admin,
        "More than 1000 grids or sites.",
        ADMIN,
    ),
    rule(
        "scope.owner_grids",
        Surface::Admin,
        "An owner is given sites, never grids.",
        ADMIN,
    ),
    rule(
        "scope.owner_sites",
        Surface::Admin,
        "An owner needs at least one site.",
        ADMIN,
    ),
    rule(
        "scope.inspector_empty",
        Surface::Admin,
        "An inspector needs at least one grid or site.",
        ADMIN,
    ),
    // Events kept but not applied (lifecycle::fold).
    rule(
        "lifecycle.not_reported",
        Surface::Timeline,
        "An event came before the hazard's report in list order.",
        "Nobody honest: clients append after the report.",
    ),
    rule(
        "lifecycle.already_reported",
        Surface::Timeline,
        "A second `reported` event.",
        "Report a new hazard in a new document.",
    ),
    rule(
        "lifecycle.closed",
        Surface::Timeline,
        "The hazard was accepted or cancelled before this event (only `reopened` and `commented` \
         apply to a closed hazard).",
        "An owner's rectification that crossed a supervisor's cancellation offline; a \
         supervisor reopens if the work matters.",
    ),
    rule(
        "lifecycle.wrong_state",
        Surface::Timeline,
        "The event is not possible in the hazard's status (the table below).",
        "Two devices that acted on the same hazard offline; the timeline shows the order.",
    ),
    rule(
        "lifecycle.already_major",
        Surface::Timeline,
        "An escalation of a hazard that is already major.",
        "Nothing to do: it is major.",
    ),
    // The phone's own.
    rule(
        "reapply.not_your_change",
        Surface::Phone,
        "After a refusal, a piece of the refused version was written on this device under an \
         actor that is not the signed-in user's (another user's work on a shared phone, or \
         changes nobody here made); the phone never sends it in this user's name.",
        "The user who made it signs in on this phone and re-applies it, or someone dismisses it.",
    ),
];

/// The catalogue's entry for `id`.
pub fn lookup(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

fn site() -> SiteRef {
    SiteRef {
        org_id: "org".into(),
        grid_id: "grid".into(),
        site_id: "site".into(),
    }
}

/// A user of `role` whose scope reaches [`site`]: the scope each role is typically given.
fn user(role: Role) -> Actor {
    let (grids, sites) = match role {
        Role::Owner => (vec![], vec!["site".to_owned()]),
        Role::Inspector => (vec!["grid".to_owned()], vec![]),
        Role::Supervisor | Role::Admin => (vec![], vec![]),
    };
    Actor {
        user_id: role.as_str().to_owned(),
        role,
        scope: Scope {
            org_id: "org".into(),
            grids,
            sites,
        },
    }
}

const ROLES: [Role; 4] = [Role::Inspector, Role::Owner, Role::Supervisor, Role::Admin];

fn event(id: &str, kind: EventKind) -> Event {
    Event {
        id: id.into(),
        kind,
        by: "inspector".into(),
        role: Role::Inspector,
        at: 1,
        note: String::new(),
        photos: vec!["0".repeat(64)],
    }
}

/// One of every event kind, as the tables show them.
fn kinds() -> Vec<EventKind> {
    let reason = || "why".to_owned();
    vec![
        EventKind::Reported(Report {
            title: "t".into(),
            severity: Severity::General,
            clauses: vec![],
            item_id: None,
            gb35181: None,
            measure: String::new(),
            deadline: None,
        }),
        EventKind::Assigned {
            assignee: "owner".into(),
            deadline: 10,
            measure: String::new(),
        },
        EventKind::FixedOnSpot,
        EventKind::RectificationSubmitted,
        EventKind::Accepted,
        EventKind::Rejected { reason: reason() },
        EventKind::Escalated { reason: reason() },
        EventKind::Cancelled { reason: reason() },
        EventKind::Reopened { reason: reason() },
        EventKind::Commented,
    ]
}

/// Events that bring a hazard to each state, starting with "not yet reported".
fn histories() -> Vec<(String, Vec<Event>)> {
    let k = kinds();
    let by = |name: &str| {
        k.iter()
            .find(|x| x.name() == name)
            .cloned()
            .unwrap_or(EventKind::Commented)
    };
    let path = |names: &[&str]| -> Vec<Event> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| event(&i.to_string(), by(n)))
            .collect()
    };
    let mut out = vec![("(no report yet)".to_owned(), Vec::new())];
    for names in [
        &["reported"][..],
        &["reported", "assigned"],
        &["reported", "assigned", "rectification_submitted"],
        &["reported", "fixed_on_spot"],
        &[
            "reported",
            "assigned",
            "rectification_submitted",
            "rejected",
        ],
        &[
            "reported",
            "assigned",
            "rectification_submitted",
            "accepted",
        ],
        &["reported", "assigned", "cancelled"],
    ] {
        let events = path(names);
        let status = fold(&events).status.map_or("?", Status::as_str);
        out.push((format!("`{status}`"), events));
    }
    out
}

fn cell(result: Result<(), crate::permission::Denied>) -> String {
    match result {
        Ok(()) => "yes".to_owned(),
        Err(d) => format!("no: `{}`", d.rule),
    }
}

/// Rows of the table of who may do what: what, then one cell per role of [`ROLES`].
fn permission_rows() -> Vec<(String, Vec<String>)> {
    let mut rows = Vec::new();
    let place = site();
    let mut row = |what: String, f: &dyn Fn(&Actor) -> Result<(), crate::permission::Denied>| {
        let cells = ROLES.iter().map(|r| cell(f(&user(*r)))).collect();
        rows.push((what, cells));
    };
    row("create a site, change its profile".into(), &|a| {
        authorize(a, &place, &Action::EditSite)
    });
    for purpose in Purpose::ALL {
        row(format!("start a `{}` inspection", purpose.as_str()), &|a| {
            authorize(a, &place, &Action::StartInspection { purpose })
        });
    }
    let facts = |inspector: &str, signed_off: bool| InspectionFacts {
        inspector: inspector.to_owned(),
        purpose: Purpose::Patrol,
        signed_off,
    };
    row(
        "answer, attach photos to an inspection one started".into(),
        &|a| {
            let f = facts(&a.user_id, false);
            authorize(a, &place, &Action::EditInspection { inspection: &f })
        },
    );
    row(
        "answer, attach photos to someone else's inspection".into(),
        &|a| {
            let f = facts("someone-else", false);
            authorize(a, &place, &Action::EditInspection { inspection: &f })
        },
    );
    row("sign off an inspection one started".into(), &|a| {
        let f = facts(&a.user_id, false);
        authorize(a, &place, &Action::SignOff { inspection: &f })
    });
    row("change a signed-off inspection".into(), &|a| {
        let f = facts(&a.user_id, true);
        authorize(a, &place, &Action::EditInspection { inspection: &f })
    });
    row(
        "comment on an inspection (also after sign-off)".into(),
        &|a| {
            let f = facts("someone-else", true);
            authorize(a, &place, &Action::CommentInspection { inspection: &f })
        },
    );
    for kind in kinds() {
        let name = kind.name();
        let assigned_to = |who: &str| -> HazardState {
            fold(&[
                event("1", kinds().remove(0)),
                event(
                    "2",
                    EventKind::Assigned {
                        assignee: who.to_owned(),
                        deadline: 10,
                        measure: String::new(),
                    },
                ),
            ])
        };
        if matches!(kind, EventKind::RectificationSubmitted) {
            row(format!("hazard event `{name}`, as its assignee"), &|a| {
                let s = assigned_to(&a.user_id);
                authorize(
                    a,
                    &place,
                    &Action::HazardEvent {
                        kind: &kind,
                        hazard: &s,
                    },
                )
            });
            row(
                format!("hazard event `{name}`, assigned to someone else"),
                &|a| {
                    let s = assigned_to("someone-else");
                    authorize(
                        a,
                        &place,
                        &Action::HazardEvent {
                            kind: &kind,
                            hazard: &s,
                        },
                    )
                },
            );
        } else {
            row(format!("hazard event `{name}`"), &|a| {
                let s = assigned_to("someone-else");
                authorize(
                    a,
                    &place,
                    &Action::HazardEvent {
                        kind: &kind,
                        hazard: &s,
                    },
                )
            });
        }
    }
    row("record a self-check task as done".into(), &|a| {
        authorize(a, &place, &Action::CompleteTask)
    });
    row("create or regenerate the task plan".into(), &|a| {
        authorize(a, &place, &Action::EditTaskPlan)
    });
    let other_grid = SiteRef {
        org_id: "org".into(),
        grid_id: "another-grid".into(),
        site_id: "another-site".into(),
    };
    row(
        "create a site in another grid of the organisation (any action alike)".into(),
        &|a| authorize(a, &other_grid, &Action::EditSite),
    );
    let other_org = SiteRef {
        org_id: "another-org".into(),
        ..other_grid.clone()
    };
    row("anything at a site of another organisation".into(), &|a| {
        authorize(a, &other_org, &Action::EditSite)
    });
    rows
}

/// Rows of the lifecycle table: the event, then what it does from each state of [`histories`].
fn transition_rows() -> (Vec<String>, Vec<(String, Vec<String>)>) {
    let histories = histories();
    let heads = histories.iter().map(|(h, _)| h.clone()).collect();
    let rows = kinds()
        .into_iter()
        .map(|kind| {
            let cells = histories
                .iter()
                .map(|(_, prior)| {
                    let mut events = prior.clone();
                    events.push(event("next", kind.clone()));
                    let after = fold(&events);
                    let before = fold(prior);
                    match after.timeline.last().and_then(|t| t.not_applied.as_ref()) {
                        Some(n) => format!("not applied: `{}`", n.rule),
                        None if after.severity != before.severity => {
                            format!("{} (now major)", after.status.map_or("?", Status::as_str))
                        }
                        None => after.status.map_or("?", Status::as_str).to_owned(),
                    }
                })
                .collect();
            (format!("`{}`", kind.name()), cells)
        })
        .collect();
    (heads, rows)
}

fn table(out: &mut String, head: &[String], rows: &[(String, Vec<String>)]) {
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
    for (what, cells) in rows {
        let _ = writeln!(out, "| {what} | {} |", cells.join(" | "));
    }
}

/// `docs/refusals.md`: the catalogue, the table of who may do what and the lifecycle table.
pub fn refusals_markdown() -> String {
    let mut out = String::new();
    out.push_str(
        "<!-- Generated from closeloop_model::rules (model/src/rules.rs); do not edit. \
         Regenerate with: CLOSELOOP_BLESS=1 cargo test -p closeloop-model --lib rules -->\n\n",
    );
    out.push_str("# Rules: refusals, permissions, the hazard lifecycle\n\n");
    out.push_str(
        "Every rule id a Closeloop server or phone answers with, who may do what, and what each \
         hazard event does in each status. Rule ids are stable once released; a new rule gets a \
         new id. The documents these rules judge are described in `documents.md`; the messages \
         that carry them in `sync-protocol.md`.\n\n",
    );
    out.push_str("## Where a rule id appears\n\n");
    for s in Surface::ALL {
        let _ = writeln!(out, "- **{}**: {}", s.label(), s.explain());
    }
    out.push_str(
        "\nThe checks run in this order for each pushed document (`sync-protocol.md` §3): the \
         payload budget, reach (`doc.id_taken` last of all), loading, the author check, \
         placement, then the document's own rules; the first broken rule is the answer.\n\n",
    );
    out.push_str("## The rules\n\n");
    let head = ["rule", "where", "meaning", "who meets it, and what to do"];
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(head.len()));
    for r in RULES {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            r.id,
            r.surface.label(),
            r.meaning,
            r.remedy
        );
    }
    out.push_str("\n## Who may do what\n\n");
    out.push_str(
        "Computed by asking `permission::authorize` for a user of each role whose scope reaches \
         the site (an owner given the site, an inspector its grid, a supervisor and an admin the \
         whole organisation). `no` names the rule that refuses. Besides these, every new record \
         must be the pusher's own (`doc.author_mismatch`) and every event well formed \
         (`hazard.title_required`, `hazard.rectify.photo_required`, …), and an event's effect \
         depends on the hazard's status (the next table).\n\n",
    );
    let mut head = vec!["action".to_owned()];
    head.extend(ROLES.iter().map(|r| r.as_str().to_owned()));
    table(&mut out, &head, &permission_rows());
    out.push_str("\n## What each hazard event does in each status\n\n");
    out.push_str(
        "Computed by `lifecycle::fold`: the status after the event, or why it is not applied \
         (kept in the document and shown in the timeline). A hazard's status is never stored; \
         every replica folds the same events in list order and derives the same status. \
         `reopened` returns to `assigned` when someone was assigned, else to `reported`; an \
         escalation makes the hazard major and keeps its status.\n\n",
    );
    let (heads, rows) = transition_rows();
    let mut head = vec!["event \\ status before".to_owned()];
    head.extend(heads);
    table(&mut out, &head, &rows);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    /// Dotted lowercase literals in the sources that are not rule ids: risk factors (documented
    /// in docs/risk-grading.md) and SQL table aliases.
    const NOT_RULES: &[&str] = &["inherent.", "live.", "hp.", "h."];
    /// File names, by their extension.
    const FILES: &[&str] = &[
        ".html", ".css", ".js", ".toml", ".json", ".sql", ".db", ".tmp", ".log", ".lock",
    ];

    /// The console's text keys (`section.name` in its message catalogue), which its code names
    /// in string literals shaped like rule ids.
    fn text_keys() -> BTreeSet<String> {
        let Ok(text) = std::fs::read_to_string(root().join("server/console/i18n.toml")) else {
            return BTreeSet::new();
        };
        let mut section = "";
        let mut out = BTreeSet::new();
        for line in text.lines().map(str::trim) {
            if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = s;
            } else if let Some((key, _)) = line.split_once('=')
                && !line.starts_with('#')
            {
                out.insert(format!("{section}.{}", key.trim()));
            }
        }
        out
    }

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("source folder").flatten() {
            let p = entry.path();
            if p.is_dir() {
                sources(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }

    /// The dotted ids in string literals of the model's and the server's code (tests excluded:
    /// they may name rules that only other code returns), with the files they are in.
    fn rule_literals() -> BTreeMap<String, BTreeSet<String>> {
        let mut files = Vec::new();
        for dir in ["model/src", "server/src", "mobile-core/src"] {
            sources(&root().join(dir), &mut files);
        }
        let text_keys = text_keys();
        let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in files {
            if f.ends_with("model/src/rules.rs") {
                continue;
            }
            // The server's pages, exports and reports name the console's text keys, some of
            // which read like rule ids; the model and the phone never do.
            let console = f.starts_with(root().join("server/src"));
            let text = std::fs::read_to_string(&f).expect("readable source");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for lit in code.split('"').skip(1).step_by(2) {
                let dotted = lit.contains('.')
                    && lit.split('.').all(|part| {
                        !part.is_empty()
                            && part
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    });
                let other = NOT_RULES.iter().any(|n| lit.starts_with(n))
                    || FILES.iter().any(|e| lit.ends_with(e))
                    || (console && text_keys.contains(lit));
                if dotted && !other {
                    found
                        .entry(lit.to_owned())
                        .or_default()
                        .insert(f.display().to_string());
                }
            }
        }
        found
    }

    #[test]
    fn the_catalogue_lists_every_rule_the_code_returns_and_no_other() {
        let found = rule_literals();
        let listed: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        let missing: Vec<_> = found
            .iter()
            .filter(|(id, _)| !listed.contains(id.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "rule ids in the code but not in model/src/rules.rs: {missing:?}"
        );
        let unused: Vec<_> = listed
            .iter()
            .filter(|id| !found.contains_key(**id))
            .collect();
        assert!(
            unused.is_empty(),
            "rules listed in model/src/rules.rs that no code returns: {unused:?}"
        );
        assert_eq!(listed.len(), RULES.len(), "a rule is listed twice");
    }

    /// The scan itself finds what it must: a rule from each place the brief names.
    #[test]
    fn the_scan_sees_model_and_server_rules() {
        let found = rule_literals();
        for id in [
            "inspection.signed_off",
            "sync.budget.ops",
            "evidence.no_end",
            "scope.owner_sites",
            "lifecycle.closed",
            "sync.actor_not_bound",
            "doc.id_taken",
        ] {
            assert!(found.contains_key(id), "{id} not found by the scan");
        }
    }

    #[test]
    fn the_tables_come_from_the_rules_themselves() {
        let rows = permission_rows();
        let get = |what: &str| {
            rows.iter()
                .find(|(w, _)| w.starts_with(what))
                .map(|(_, c)| c.clone())
                .unwrap_or_else(|| panic!("no row {what}"))
        };
        // inspector, owner, supervisor, admin.
        assert_eq!(
            get("hazard event `accepted`"),
            [
                "no: `hazard.accept.supervisor_only`",
                "no: `hazard.accept.supervisor_only`",
                "yes",
                "no: `hazard.accept.supervisor_only`"
            ]
        );
        assert_eq!(
            get("hazard event `rectification_submitted`, assigned to someone else"),
            [
                "no: `hazard.rectify.assignee_or_owner`",
                "yes",
                "no: `hazard.rectify.assignee_or_owner`",
                "no: `hazard.rectify.assignee_or_owner`"
            ]
        );
        assert!(
            get("anything at a site of another organisation")
                .iter()
                .all(|c| c == "no: `scope.site`")
        );
        assert_eq!(
            get("create a site in another grid"),
            ["no: `scope.site`", "no: `scope.site`", "yes", "yes"]
        );
        let (heads, rows) = transition_rows();
        assert_eq!(heads.len(), Status::ALL.len() + 1);
        let accept = &rows.iter().find(|(k, _)| k == "`accepted`").expect("row").1;
        let at = |status: &str| {
            heads
                .iter()
                .position(|h| h == &format!("`{status}`"))
                .expect("column")
        };
        assert_eq!(accept[at("rectification_submitted")], "accepted");
        assert_eq!(accept[at("cancelled")], "not applied: `lifecycle.closed`");
        assert_eq!(
            accept[at("reported")],
            "not applied: `lifecycle.wrong_state`"
        );
        let escalate = &rows
            .iter()
            .find(|(k, _)| k == "`escalated`")
            .expect("row")
            .1;
        assert_eq!(escalate[at("assigned")], "assigned (now major)");
    }

    /// `docs/refusals.md` is what the catalogue generates; `CLOSELOOP_BLESS=1` rewrites it.
    #[test]
    fn docs_refusals_md_is_generated_from_the_catalogue() {
        let path = root().join("docs/refusals.md");
        let want = refusals_markdown();
        if std::env::var_os("CLOSELOOP_BLESS").is_some() {
            std::fs::write(&path, &want).expect("write docs/refusals.md");
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/refusals.md differs from what model/src/rules.rs generates; run \
             CLOSELOOP_BLESS=1 cargo test -p closeloop-model --lib rules"
        );
    }
}
