//! SQL projections of the documents, written in the same transaction that accepts a change, so a
//! query never sees a document without its projection or the other way round.

use automerge::AutoCommit;
use closeloop_model::doc::hazard::Hazard;
use closeloop_model::doc::{DocKind, Header, hazard, inspection, site, tasks};
use closeloop_model::lifecycle::HazardState;
use sqlx::{Any, Transaction};

type Tx<'a> = Transaction<'a, Any>;

/// Brings the projection of one document up to date.
pub async fn update(
    tx: &mut Tx<'_>,
    header: &Header,
    doc: &AutoCommit,
    now: i64,
) -> Result<(), String> {
    match header.kind {
        DocKind::Site => project_site(tx, header, doc, now).await,
        DocKind::Inspection => project_inspection(tx, header, doc, now).await,
        DocKind::Hazard => {
            let hz = hazard::read(doc).map_err(|e| e.to_string())?;
            project_hazard(tx, header, &hz, &hz.state(), now).await
        }
        DocKind::TaskPlan => project_tasks(tx, header, doc).await,
    }
}

async fn project_site(
    tx: &mut Tx<'_>,
    h: &Header,
    doc: &AutoCommit,
    now: i64,
) -> Result<(), String> {
    let s = site::read(doc).map_err(|e| e.to_string())?;
    let profile = serde_json::to_string(&s.profile).map_err(|e| e.to_string())?;
    sqlx::query(
        "INSERT INTO sites (id, org_id, grid_id, name, address, premises, lat, lon, profile, updated_at, utc_offset_minutes)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address, premises = excluded.premises,
             lat = excluded.lat, lon = excluded.lon, profile = excluded.profile, updated_at = excluded.updated_at,
             utc_offset_minutes = excluded.utc_offset_minutes",
    )
    .bind(&h.id)
    .bind(&h.site.org_id)
    .bind(&h.site.grid_id)
    .bind(&s.name)
    .bind(&s.address)
    .bind(s.profile.premises.as_str())
    .bind(s.location.map(|l| l.0))
    .bind(s.location.map(|l| l.1))
    .bind(profile)
    .bind(now)
    .bind(i64::from(s.utc_offset()))
    .execute(&mut **tx)
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

async fn project_inspection(
    tx: &mut Tx<'_>,
    h: &Header,
    doc: &AutoCommit,
    now: i64,
) -> Result<(), String> {
    let i = inspection::read(doc).map_err(|e| e.to_string())?;
    let shas: Vec<String> = i
        .photos
        .iter()
        .flat_map(|p| [p.sha256.clone(), p.thumb_sha256.clone()])
        .collect();
    doc_photos(tx, &h.id, &shas).await?;
    let offset = site_offset(tx, &h.site.site_id).await?;
    let current = i.current_answers();
    let failed = i.failed_count(offset);
    sqlx::query(
        "INSERT INTO inspections (id, org_id, grid_id, site_id, inspector, purpose, started_at, signed_off_at, items, answered, failed, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (id) DO UPDATE SET signed_off_at = excluded.signed_off_at, answered = excluded.answered,
             failed = excluded.failed, updated_at = excluded.updated_at",
    )
    .bind(&h.id)
    .bind(&h.site.org_id)
    .bind(&h.site.grid_id)
    .bind(&h.site.site_id)
    .bind(&i.inspector)
    .bind(i.purpose.as_str())
    .bind(i.started_at)
    .bind(i.signed_off.as_ref().map(|s| s.at))
    .bind(i.checklist.items.len() as i64)
    .bind(current.len() as i64)
    .bind(failed as i64)
    .bind(now)
    .execute(&mut **tx)
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// Brings a hazard's projection up to date from its events, read and folded once by the caller.
pub async fn project_hazard(
    tx: &mut Tx<'_>,
    h: &Header,
    hz: &Hazard,
    s: &HazardState,
    now: i64,
) -> Result<(), String> {
    let photos = s.all_photos();
    hazard_photos(tx, &h.id, s).await?;
    doc_photos(tx, &h.id, &photos).await?;
    let report = s.report.clone();
    sqlx::query(
        "INSERT INTO hazards (id, org_id, grid_id, site_id, inspection_id, item_id, title, status, severity, assignee, deadline,
             reported_at, assigned_at, submitted_at, closed_at, evidence_complete, photo_count, event_count, updated_at,
             clauses, gb35181, measure)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 0, $16, $17, $18, $19, $20, $21)
         ON CONFLICT (id) DO UPDATE SET status = excluded.status, severity = excluded.severity, assignee = excluded.assignee,
             measure = excluded.measure,
             deadline = excluded.deadline, assigned_at = excluded.assigned_at, submitted_at = excluded.submitted_at,
             closed_at = excluded.closed_at, photo_count = excluded.photo_count, event_count = excluded.event_count,
             updated_at = excluded.updated_at",
    )
    .bind(&h.id)
    .bind(&h.site.org_id)
    .bind(&h.site.grid_id)
    .bind(&h.site.site_id)
    .bind(hz.inspection_id.clone())
    .bind(report.as_ref().and_then(|r| r.item_id.clone()))
    .bind(report.as_ref().map(|r| r.title.clone()).unwrap_or_default())
    .bind(s.status.map_or("unreported", |x| x.as_str()))
    .bind(s.severity.as_str())
    .bind(s.assignee.clone())
    .bind(s.deadline)
    .bind(s.reported_at)
    .bind(s.assigned_at)
    .bind(s.submitted_at)
    .bind(s.closed_at)
    .bind(photos.len() as i64)
    .bind(s.timeline.len() as i64)
    .bind(now)
    .bind(serde_json::to_string(&report.as_ref().map(|r| r.clauses.clone()).unwrap_or_default()).map_err(|e| e.to_string())?)
    .bind(report.as_ref().and_then(|r| r.gb35181.clone()))
    .bind(s.measure.clone())
    .execute(&mut **tx)
    .await
    .map_err(|e| e.to_string())?;
    refresh_evidence(tx, &h.id).await
}

/// The photos of a hazard with the side of the story each is on (the report's `before`, the
/// latest rectification's `after`, earlier rectifications' empty), replacing what was there.
async fn hazard_photos(tx: &mut Tx<'_>, hazard_id: &str, s: &HazardState) -> Result<(), String> {
    sqlx::query("DELETE FROM hazard_photos WHERE hazard_id = $1")
        .bind(hazard_id)
        .execute(&mut **tx)
        .await
        .map_err(|e| e.to_string())?;
    for p in s.all_photos() {
        let side = if s.before_photos.contains(&p) {
            "before"
        } else if s.after_photos.contains(&p) {
            "after"
        } else {
            ""
        };
        sqlx::query(
            "INSERT INTO hazard_photos (hazard_id, sha256, side) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(hazard_id)
        .bind(&p)
        .bind(side)
        .execute(&mut **tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A site's time zone as the server records it (UTC+8 for a site it does not have yet).
pub async fn site_offset(tx: &mut Tx<'_>, site_id: &str) -> Result<i32, String> {
    use sqlx::Row;
    let row = sqlx::query("SELECT utc_offset_minutes FROM sites WHERE id = $1")
        .bind(site_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match row {
        Some(r) => r
            .try_get::<i64, _>("utc_offset_minutes")
            .map_err(|e| e.to_string())? as i32,
        None => site::DEFAULT_UTC_OFFSET_MINUTES,
    })
}

/// Records which photos a document references, so a photo is readable exactly where the
/// documents that reference it are.
async fn doc_photos(tx: &mut Tx<'_>, doc_id: &str, shas: &[String]) -> Result<(), String> {
    for sha in shas {
        sqlx::query(
            "INSERT INTO doc_photos (doc_id, sha256) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(doc_id)
        .bind(sha)
        .execute(&mut **tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Records when the server received each event a push added to a hazard: the audit trail's own
/// clock beside the device's.
pub async fn receipts(
    tx: &mut Tx<'_>,
    doc_id: &str,
    new_events: &[String],
    seq: i64,
    user_id: &str,
    device_id: &str,
    now: i64,
) -> Result<(), String> {
    for id in new_events {
        sqlx::query(
            "INSERT INTO event_receipts (doc_id, event_id, seq, user_id, device_id, received_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        )
        .bind(doc_id)
        .bind(id)
        .bind(seq)
        .bind(user_id)
        .bind(device_id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Fills what later migrations added to the projections of documents stored before them, once
/// each, when a migration asked for it with a counter row: `doc_photos` for inspections
/// (0004), photo sides for hazards (0005).
pub async fn backfill(pool: &sqlx::AnyPool) -> Result<(), String> {
    backfill_inspection_photos(pool).await?;
    backfill_hazard_photo_sides(pool).await?;
    backfill_task_plans(pool).await
}

async fn backfill_task_plans(pool: &sqlx::AnyPool) -> Result<(), String> {
    use sqlx::Row;
    if !asked(pool, "reproject_task_plans").await? {
        return Ok(());
    }
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    let rows = sqlx::query("SELECT bytes FROM documents WHERE kind = 'task_plan'")
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    for r in rows {
        let bytes: Vec<u8> = r.try_get("bytes").map_err(|e| e.to_string())?;
        let doc = AutoCommit::load(&bytes).map_err(|e| e.to_string())?;
        let header = closeloop_model::doc::header(&doc).map_err(|e| e.to_string())?;
        project_tasks(&mut tx, &header, &doc).await?;
    }
    sqlx::query("DELETE FROM counters WHERE name = 'reproject_task_plans'")
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}

async fn asked(pool: &sqlx::AnyPool, name: &str) -> Result<bool, String> {
    Ok(sqlx::query("SELECT value FROM counters WHERE name = $1")
        .bind(name)
        .fetch_optional(pool)
        .await
        .map_err(|e| e.to_string())?
        .is_some())
}

async fn backfill_hazard_photo_sides(pool: &sqlx::AnyPool) -> Result<(), String> {
    use sqlx::Row;
    if !asked(pool, "reproject_hazard_photos").await? {
        return Ok(());
    }
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    let rows = sqlx::query("SELECT id, bytes FROM documents WHERE kind = 'hazard'")
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    for r in rows {
        let id: String = r.try_get("id").map_err(|e| e.to_string())?;
        let bytes: Vec<u8> = r.try_get("bytes").map_err(|e| e.to_string())?;
        let doc = AutoCommit::load(&bytes).map_err(|e| e.to_string())?;
        let hz = hazard::read(&doc).map_err(|e| e.to_string())?;
        hazard_photos(&mut tx, &id, &hz.state()).await?;
    }
    sqlx::query("DELETE FROM counters WHERE name = 'reproject_hazard_photos'")
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}

async fn backfill_inspection_photos(pool: &sqlx::AnyPool) -> Result<(), String> {
    use sqlx::Row;
    if !asked(pool, "reproject_inspections").await? {
        return Ok(());
    }
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    let rows = sqlx::query("SELECT id, bytes FROM documents WHERE kind = 'inspection'")
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    for r in rows {
        let id: String = r.try_get("id").map_err(|e| e.to_string())?;
        let bytes: Vec<u8> = r.try_get("bytes").map_err(|e| e.to_string())?;
        let doc = AutoCommit::load(&bytes).map_err(|e| e.to_string())?;
        let i = inspection::read(&doc).map_err(|e| e.to_string())?;
        let shas: Vec<String> = i
            .photos
            .iter()
            .flat_map(|p| [p.sha256.clone(), p.thumb_sha256.clone()])
            .collect();
        doc_photos(&mut tx, &id, &shas).await?;
    }
    sqlx::query("DELETE FROM counters WHERE name = 'reproject_inspections'")
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}

/// Recomputes whether every photo a hazard references is on the server.
pub async fn refresh_evidence(tx: &mut Tx<'_>, hazard_id: &str) -> Result<(), String> {
    sqlx::query(
        "UPDATE hazards SET evidence_complete = CASE WHEN (
             SELECT COUNT(*) FROM hazard_photos hp LEFT JOIN blobs b ON b.sha256 = hp.sha256
             WHERE hp.hazard_id = hazards.id AND b.sha256 IS NULL) = 0 THEN 1 ELSE 0 END
         WHERE id = $1",
    )
    .bind(hazard_id)
    .execute(&mut **tx)
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

async fn project_tasks(tx: &mut Tx<'_>, h: &Header, doc: &AutoCommit) -> Result<(), String> {
    // Only a site's own plan (`tasks-<site>`) speaks for the site.
    if h.id != format!("tasks-{}", h.site.site_id) {
        return Ok(());
    }
    let t = tasks::read(doc).map_err(|e| e.to_string())?;
    let site = &h.site.site_id;
    for table in ["tasks", "task_completions"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE site_id = $1"
        )))
        .bind(site)
        .execute(&mut **tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    for task in &t.plan.tasks {
        let done: Vec<i64> = t
            .completions
            .iter()
            .filter(|c| c.task_id == task.id)
            .map(|c| c.at)
            .collect();
        sqlx::query(
            "INSERT INTO tasks (site_id, task_id, org_id, grid_id, title, frequency, completions, last_done)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(site)
        .bind(&task.id)
        .bind(&h.site.org_id)
        .bind(&h.site.grid_id)
        .bind(&task.title_zh)
        .bind(serde_json::to_value(task.frequency).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default())
        .bind(done.len() as i64)
        .bind(done.iter().max().copied())
        .execute(&mut **tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    for c in &t.completions {
        sqlx::query("INSERT INTO task_completions (site_id, task_id, at) VALUES ($1, $2, $3)")
            .bind(site)
            .bind(&c.task_id)
            .bind(c.at)
            .execute(&mut **tx)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
