//! `GET /v1/inspections/{id}`: an inspection as the server holds it, for the link from a hazard.

use super::IdPath;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::store::inspections as store;
use automerge::AutoCommit;
use axum::Json;
use axum::extract::State;
use closeloop_model::doc::inspection::{self, Outcome};
use serde::Serialize;

/// One checklist item with its current answer.
#[derive(Debug, Serialize)]
pub struct ItemView {
    pub item_id: String,
    pub text_zh: String,
    pub text_en: String,
    pub answer: Option<serde_json::Value>,
    pub outcome: Option<Outcome>,
    pub photos: Vec<String>,
}

/// An inspection.
#[derive(Debug, Serialize)]
pub struct InspectionView {
    pub id: String,
    pub site_id: String,
    pub inspector: String,
    pub purpose: String,
    pub started_at: i64,
    pub signed_off_at: Option<i64>,
    pub items: Vec<ItemView>,
}

/// `GET /v1/inspections/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<InspectionView>> {
    let (bytes, offset) = store::document(&state.db.pool, &user.actor.reach(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("inspection {id}")))?;
    let doc = AutoCommit::load(&bytes).map_err(ApiError::internal)?;
    let i = inspection::read(&doc).map_err(ApiError::internal)?;
    let current = i.current_answers();
    let items = i
        .outcomes(offset)
        .into_iter()
        .map(|(item, outcome)| ItemView {
            item_id: item.id.clone(),
            text_zh: item.text_zh.clone(),
            text_en: item.text_en.clone(),
            answer: current
                .get(item.id.as_str())
                .and_then(|a| serde_json::to_value(&a.value).ok()),
            outcome,
            photos: i
                .photos
                .iter()
                .filter(|p| p.item_id.as_deref() == Some(item.id.as_str()))
                .map(|p| p.sha256.clone())
                .collect(),
        })
        .collect();
    Ok(Json(InspectionView {
        id: i.header.id.clone(),
        site_id: i.header.site.site_id.clone(),
        inspector: i.inspector.clone(),
        purpose: i.purpose.as_str().to_owned(),
        started_at: i.started_at,
        signed_off_at: i.signed_off.as_ref().map(|s| s.at),
        items,
    }))
}
