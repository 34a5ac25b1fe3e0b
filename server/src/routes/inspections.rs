//! `GET /v1/inspections/{id}`: an inspection as the server holds it, for the link from a hazard.

use super::IdPath;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::scope;
use automerge::AutoCommit;
use axum::Json;
use axum::extract::State;
use closeloop_model::calendar::Date;
use closeloop_model::doc::inspection::{self, Outcome};
use serde::Serialize;
use sqlx::{AssertSqlSafe, Row};

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
    let scope = scope::filter(&user, 2, "");
    let sql = format!("SELECT id FROM inspections WHERE id = $1 AND {}", scope.sql);
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(id.clone());
    for b in &scope.binds {
        q = q.bind(b.clone());
    }
    if q.fetch_optional(&state.db.pool).await?.is_none() {
        return Err(ApiError::NotFound(format!("inspection {id}")));
    }
    let bytes: Vec<u8> = sqlx::query("SELECT bytes FROM documents WHERE id = $1")
        .bind(&id)
        .fetch_optional(&state.db.pool)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("inspection {id}")))?
        .try_get("bytes")?;
    let doc = AutoCommit::load(&bytes).map_err(ApiError::internal)?;
    let i = inspection::read(&doc).map_err(ApiError::internal)?;
    let today = Date::at(crate::db::now_ms(), 480);
    let current = i.current_answers();
    let items = i
        .checklist
        .items
        .iter()
        .map(|item| {
            let a = current.get(item.id.as_str());
            ItemView {
                item_id: item.id.clone(),
                text_zh: item.text_zh.clone(),
                text_en: item.text_en.clone(),
                answer: a.and_then(|a| serde_json::to_value(&a.value).ok()),
                outcome: a.and_then(|a| inspection::evaluate(item, &a.value, today).ok()),
                photos: i
                    .photos
                    .iter()
                    .filter(|p| p.item_id.as_deref() == Some(item.id.as_str()))
                    .map(|p| p.sha256.clone())
                    .collect(),
            }
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
