//! The people directory in the caller's reach (`GET /v1/people`) and the people a site's hazards
//! may be assigned to (`GET /v1/sites/{id}/assignees`). Both establish the caller's reach before
//! reading anyone: a site out of reach answers as one that does not exist.

use super::IdPath;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::store::{accounts, directory, sites};
use axum::Json;
use axum::extract::State;
use closeloop_model::people::assignable;
use closeloop_model::roles::SiteRef;
use serde::Serialize;

/// `GET /v1/people`.
#[derive(Debug, Serialize)]
pub struct People {
    pub people: Vec<directory::Listed>,
}

/// `GET /v1/people`: the active people who can act at some site the caller reaches, with what
/// the caller may see of their scope (see `store::directory`). A phone keeps it to judge an
/// assignment offline by the model's rule.
pub async fn list(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<People>> {
    let people = directory::in_reach(&state.db.pool, &user.actor.reach()).await?;
    Ok(Json(People { people }))
}

/// One person a site's hazards may be assigned to.
#[derive(Debug, Serialize)]
pub struct Assignee {
    pub user_id: String,
    pub display_name: String,
    pub role: String,
    /// The facilities of the site they answer for (`people::Facility`), if any.
    pub responsible_for: Vec<String>,
}

/// `GET /v1/sites/{id}/assignees`.
#[derive(Debug, Serialize)]
pub struct Assignees {
    pub site_id: String,
    pub assignees: Vec<Assignee>,
}

/// `GET /v1/sites/{id}/assignees`: the site's owners and the inspectors who work there, active,
/// in name order, with the facilities each answers for: exactly the people
/// `people::check_assignee` accepts for the site.
pub async fn assignees(
    State(state): State<AppState>,
    user: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<Json<Assignees>> {
    let pool = &state.db.pool;
    let site = sites::get(pool, &user.actor.reach(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    let org = &user.actor.scope.org_id;
    let place = SiteRef {
        org_id: org.clone(),
        grid_id: site.grid_id.clone(),
        site_id: site.id.clone(),
    };
    let all = accounts::list(pool, org).await?;
    let members: Vec<_> = all.iter().filter_map(|a| a.member(org)).collect();
    let duties = directory::responsible(pool, std::slice::from_ref(&site.id)).await?;
    let assignees = assignable(&place, &members)
        .into_iter()
        .filter_map(|m| {
            let a = all.iter().find(|a| a.user_id == m.actor.user_id)?;
            Some(Assignee {
                user_id: a.user_id.clone(),
                display_name: a.display_name.clone(),
                role: a.role.clone(),
                responsible_for: duties
                    .iter()
                    .filter(|d| d.user_id == a.user_id)
                    .map(|d| d.facility.clone())
                    .collect(),
            })
        })
        .collect();
    Ok(Json(Assignees {
        site_id: site.id,
        assignees,
    }))
}
