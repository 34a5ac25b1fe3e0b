//! What makes an event well formed on its own: the content rules both the phone and the server
//! apply to every new hazard event, before any question of who wrote it or where it lands.

use super::{Event, EventKind};

/// The most characters a hazard's title may have.
pub const MAX_TITLE_CHARS: usize = 200;
/// The most characters of a note, measure or reason.
pub const MAX_TEXT_CHARS: usize = 4000;
/// The most photos one event may carry.
pub const MAX_EVENT_PHOTOS: usize = 20;
/// The most clauses one report may cite.
pub const MAX_CLAUSES: usize = 32;

/// Whether an event is well formed on its own, before any question of who wrote it or where it
/// lands: a report has a title, a rectification carries an after-photo, texts and lists stay
/// within their bounds, photos are named by their SHA-256. The phone asks before writing; the
/// server refuses a pushed event that fails.
pub fn check_event_content(e: &Event) -> Result<(), crate::permission::Denied> {
    let refuse =
        |rule: &'static str, reason: String| Err(crate::permission::Denied { rule, reason });
    let too_long = |what: &str, text: &str, max: usize| {
        (text.chars().count() > max).then(|| format!("{what} is longer than {max} characters"))
    };
    if e.id.is_empty() || e.id.len() > 128 {
        return refuse(
            "hazard.event_id",
            "an event id is 1 to 128 characters".into(),
        );
    }
    if let Some(r) = too_long("the note", &e.note, MAX_TEXT_CHARS) {
        return refuse("hazard.too_long", r);
    }
    if e.photos.len() > MAX_EVENT_PHOTOS {
        return refuse(
            "hazard.too_many_photos",
            format!("an event carries at most {MAX_EVENT_PHOTOS} photos"),
        );
    }
    if let Some(p) = e.photos.iter().find(|p| !crate::protocol::is_sha256(p)) {
        return refuse(
            "hazard.photo_ref",
            format!("`{p}` is not the SHA-256 of a photo"),
        );
    }
    let texts: Vec<(&str, &str)> = match &e.kind {
        EventKind::Reported(r) => {
            if r.title.trim().is_empty() {
                return refuse("hazard.title_required", "describe the hazard".into());
            }
            if let Some(msg) = too_long("the title", &r.title, MAX_TITLE_CHARS) {
                return refuse("hazard.too_long", msg);
            }
            if r.clauses.len() > MAX_CLAUSES {
                return refuse(
                    "hazard.too_many_clauses",
                    format!("a report cites at most {MAX_CLAUSES} clauses"),
                );
            }
            let mut t = vec![("the measure", r.measure.as_str())];
            t.extend(r.clauses.iter().map(|c| ("a clause", c.as_str())));
            t
        }
        EventKind::Assigned {
            assignee, measure, ..
        } => {
            if assignee.trim().is_empty() || assignee.len() > 128 {
                return refuse("hazard.assignee_required", "name who must fix it".into());
            }
            vec![("the measure", measure.as_str())]
        }
        EventKind::RectificationSubmitted => {
            if e.photos.is_empty() {
                return refuse(
                    "hazard.rectify.photo_required",
                    "a rectification needs at least one after-photo".into(),
                );
            }
            vec![]
        }
        EventKind::Rejected { reason }
        | EventKind::Escalated { reason }
        | EventKind::Cancelled { reason }
        | EventKind::Reopened { reason } => vec![("the reason", reason.as_str())],
        EventKind::FixedOnSpot | EventKind::Accepted | EventKind::Commented => vec![],
    };
    for (what, text) in texts {
        if let Some(r) = too_long(what, text, MAX_TEXT_CHARS) {
            return refuse("hazard.too_long", r);
        }
    }
    Ok(())
}
