//! Decisions over HTTP: the console (and any integration) assigns, accepts, rejects, cancels,
//! escalates, reopens or comments on a hazard without a phone. The server writes the event into
//! the hazard's automerge document as a change by a fresh actor bound to the user and the
//! `console` device, and stores it through the same path as a pushed change
//! ([`crate::sync::apply`]): the same rules, the same refusals, the feed, the projection, the
//! live event and the metrics. A phone's concurrent decision merges with it like any two devices'.

use crate::AppState;
use crate::auth::AuthUser;
use crate::db::{now_ms, random_hex};
use crate::error::{ApiError, ApiResult};
use crate::store;
use crate::sync::apply::{self, Outcome};
use automerge::{ActorId, AutoCommit};
use closeloop_model::doc::hazard;
use closeloop_model::lifecycle::{Event, EventKind, check_event_content, check_transition};
use closeloop_model::permission::{Action, authorize};
use closeloop_model::roles::SiteRef;
use serde::Deserialize;
use std::collections::HashSet;

/// The device server-side decisions are written from.
pub const CONSOLE_DEVICE: &str = "console";

/// A decision: an event of the hazard lifecycle, as the hazard document stores events (`type`
/// and its fields), with a note and photos already uploaded. The body is closed: a property that
/// is not the kind's is refused, not ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "DecisionBody")]
pub struct Decision {
    pub kind: EventKind,
    pub note: String,
    pub photos: Vec<String>,
}

/// Every property a decision may have (serde's `deny_unknown_fields` does not work beside
/// `flatten`, so the closed shape is spelled out and the kind's own fields checked after).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    #[serde(rename = "type")]
    kind: String,
    assignee: Option<String>,
    deadline: Option<i64>,
    measure: Option<String>,
    reason: Option<String>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    photos: Vec<String>,
}

impl TryFrom<DecisionBody> for Decision {
    type Error = String;

    fn try_from(b: DecisionBody) -> Result<Decision, String> {
        let mut fields = serde_json::Map::new();
        fields.insert("type".into(), b.kind.clone().into());
        let given = [
            ("assignee", b.assignee.map(serde_json::Value::from)),
            ("deadline", b.deadline.map(serde_json::Value::from)),
            ("measure", b.measure.map(serde_json::Value::from)),
            ("reason", b.reason.map(serde_json::Value::from)),
        ];
        for (k, v) in given.iter().filter_map(|(k, v)| Some((*k, v.clone()?))) {
            fields.insert(k.into(), v);
        }
        let kind: EventKind = serde_json::from_value(fields.clone().into())
            .map_err(|e| format!("not a decision of type `{}`: {e}", b.kind))?;
        let own = serde_json::to_value(&kind).map_err(|e| e.to_string())?;
        if let Some(k) = fields.keys().find(|k| own.get(k.as_str()).is_none()) {
            return Err(format!("`{k}` is not a field of a `{}` decision", b.kind));
        }
        Ok(Decision {
            kind,
            note: b.note,
            photos: b.photos,
        })
    }
}

/// Why a decision was not recorded, in the terms of the rule that stopped it.
fn refused(rule: &str, reason: impl Into<String>) -> ApiError {
    ApiError::Refused {
        rule: rule.to_owned(),
        reason: reason.into(),
    }
}

/// Records `decision` on hazard `id` for `user`. A hazard outside the user's reach is
/// `not_found`, as one that does not exist; a decision the rules refuse is [`ApiError::Refused`]
/// with the rule a push would have met.
pub async fn decide(
    state: &AppState,
    user: &AuthUser,
    id: &str,
    decision: Decision,
) -> ApiResult<()> {
    if matches!(decision.kind, EventKind::Reported(_)) {
        return Err(ApiError::bad(
            "type",
            "a hazard is reported from a phone or an inspection, not decided",
        ));
    }
    let pool = &state.db.pool;
    let record = store::hazards::get(pool, &user.actor.reach(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("hazard {id}")))?;
    let bytes = store::inspections::any_document(pool, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("hazard {id}")))?;
    let actor = ActorId::random();
    let mut doc = AutoCommit::load(&bytes)
        .map_err(ApiError::internal)?
        .with_actor(actor.clone());
    let current = hazard::read(&doc).map_err(ApiError::internal)?;
    let hazard_state = current.state();
    let event = Event {
        id: format!("evt-{}", random_hex(12)),
        kind: decision.kind,
        by: user.actor.user_id.clone(),
        role: user.actor.role,
        at: now_ms(),
        note: decision.note,
        photos: decision.photos,
    };
    // The model's answers first, for a clear refusal; the push below checks everything again.
    check_event_content(&event).map_err(|d| refused(d.rule, d.reason))?;
    let site = SiteRef {
        org_id: current.header.site.org_id.clone(),
        grid_id: record.grid_id.clone(),
        site_id: record.site_id.clone(),
    };
    authorize(
        &user.actor,
        &site,
        &Action::HazardEvent {
            kind: &event.kind,
            hazard: &hazard_state,
        },
    )
    .map_err(|d| refused(d.rule, d.reason))?;
    check_transition(&hazard_state, &event.kind).map_err(|n| refused(&n.rule, n.reason))?;
    let heads = doc.get_heads();
    hazard::append_event(&mut doc, &event).map_err(ApiError::internal)?;
    let change = doc.save_after(&heads);
    let actor_hex = actor.to_hex_string();
    let (u, d) =
        store::devices::bind(pool, &actor_hex, &user.actor.user_id, CONSOLE_DEVICE).await?;
    if u != user.actor.user_id || d != CONSOLE_DEVICE {
        return Err(ApiError::internal("a fresh actor id was already bound"));
    }
    let writer = AuthUser {
        actor: user.actor.clone(),
        device_id: CONSOLE_DEVICE.to_owned(),
        display_name: user.display_name.clone(),
    };
    let bound: HashSet<String> = [actor_hex].into();
    match apply::apply(state, &writer, &bound, id, &change, &Ok(())).await? {
        Outcome::Accepted { .. } => Ok(()),
        Outcome::Refused { rule, reason, .. } => {
            state.metrics.refusal(&rule);
            Err(refused(&rule, reason))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_reads_as_the_document_writes_events() {
        let d: Decision =
            serde_json::from_str(r#"{"type": "rejected", "reason": "照片不清楚", "note": "重拍"}"#)
                .expect("reads");
        assert!(matches!(d.kind, EventKind::Rejected { ref reason } if reason == "照片不清楚"));
        assert_eq!(d.note, "重拍");
        let a: Decision = serde_json::from_str(
            r#"{"type": "assigned", "assignee": "u-1", "deadline": 1900000000000}"#,
        )
        .expect("reads");
        assert!(matches!(a.kind, EventKind::Assigned { .. }));
        assert!(serde_json::from_str::<Decision>(r#"{"type": "nonsense"}"#).is_err());
    }
}
