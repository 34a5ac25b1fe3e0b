//! Periodic reports (daily, weekly, monthly) for a district and each of its grids: generated on
//! demand, and by a schedule every day at `reports_at` in the organisation's time zone, stored
//! (`store::reports`) and listed in the console. What a report says is [`content`] (pure), which
//! periods a run covers is [`period`] (pure); this module gathers the numbers and stores them.
//! ADR 0008.

pub mod content;
pub mod period;

use crate::AppState;
use crate::db::{now_ms, random_hex};
use crate::error::{ApiError, ApiResult};
use crate::routes::sites::views;
use crate::store;
use closeloop_model::roles::Reach;
use content::{GridLine, ReportBody, SiteLine};
use period::Period;

/// Who asked for a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Schedule,
    Demand,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Schedule => "schedule",
            Trigger::Demand => "demand",
        }
    }
}

/// Generates the report of `grid_id` (`None`: the whole district) of `org_id` over `period`,
/// stores it in place of any earlier one of the same scope and period, and records the grades
/// of its sites where they changed. Answers the stored id and the body.
pub async fn generate(
    state: &AppState,
    org_id: &str,
    grid_id: Option<&str>,
    period: Period,
    trigger: Trigger,
    by: Option<&str>,
) -> ApiResult<(String, ReportBody)> {
    let pool = &state.db.pool;
    let reach = Reach::Organisation {
        org_id: org_id.to_owned(),
    };
    let now = now_ms();
    let grids = store::people::grids(pool, org_id).await?;
    if let Some(g) = grid_id
        && !grids.iter().any(|(id, _)| id == g)
    {
        return Err(ApiError::NotFound(format!("grid {g}")));
    }
    let sites = store::sites::list(pool, &reach, grid_id, None).await?;
    let viewed = views(state, sites).await?;
    let lines: Vec<SiteLine> = viewed
        .iter()
        .map(|v| SiteLine {
            site_id: v.id.clone(),
            name: v.name.clone(),
            grid_id: v.grid_id.clone(),
            grade: v.risk.grade,
            points: v.risk.points,
            open: v.open_hazards,
            overdue: v.overdue_hazards,
        })
        .collect();
    let marks: Vec<store::reports::GradeMark> = lines
        .iter()
        .map(|l| store::reports::GradeMark {
            site_id: l.site_id.clone(),
            at: now,
            grade: l.grade.as_str().to_owned(),
            points: i64::from(l.points),
        })
        .collect();
    store::reports::record_grades(pool, org_id, &marks).await?;
    let counts = store::stats::counts(pool, &reach, grid_id, period.start, period.end, now).await?;
    let totals = content::figures(&counts, &lines);
    let mut per_grid = Vec::new();
    if grid_id.is_none() {
        for (id, name) in &grids {
            let c =
                store::stats::counts(pool, &reach, Some(id), period.start, period.end, now).await?;
            let mine: Vec<SiteLine> = lines.iter().filter(|l| &l.grid_id == id).cloned().collect();
            per_grid.push(GridLine {
                grid_id: id.clone(),
                name: name.clone(),
                figures: content::figures(&c, &mine),
            });
        }
    }
    let scope_name = match grid_id {
        Some(g) => grids
            .iter()
            .find(|(id, _)| id == g)
            .map_or(g.to_owned(), |(_, n)| n.clone()),
        None => store::reports::org_name(pool, org_id)
            .await?
            .unwrap_or_else(|| org_id.to_owned()),
    };
    let body = ReportBody {
        kind: period.kind,
        from: period.start,
        to: period.end,
        first_day: period.first_day.to_string(),
        generated_at: now,
        partial: now < period.end,
        org_id: org_id.to_owned(),
        grid_id: grid_id.map(str::to_owned),
        scope_name,
        totals,
        grids: per_grid,
        worst_sites: content::worst(&lines, state.config.report_worst_sites),
    };
    let row = store::reports::ReportRow {
        id: format!("rpt-{}", random_hex(8)),
        org_id: org_id.to_owned(),
        grid_id: grid_id.unwrap_or_default().to_owned(),
        kind: period.kind.as_str().to_owned(),
        period_start: period.start,
        period_end: period.end,
        generated_at: now,
        trigger: trigger.as_str().to_owned(),
        generated_by: by.map(str::to_owned),
        partial: body.partial,
        body: serde_json::to_string(&body).map_err(ApiError::internal)?,
    };
    let id = store::reports::save(pool, &row).await?;
    Ok((id, body))
}

/// One run of the schedule at `run`: every report the run covers (the day before; the week and
/// month before when they just ended) for every organisation and each of its grids, unless a
/// complete one is stored already. Several replicas may run it at once: the store keeps one
/// report per scope and period, and both write the same figures.
pub async fn run_schedule(state: &AppState, run: i64) -> ApiResult<usize> {
    let pool = &state.db.pool;
    let offset = state.config.console_utc_offset_minutes;
    let mut made = 0;
    for org in store::reports::orgs(pool).await? {
        let grids = store::people::grids(pool, &org).await?;
        for p in period::periods_of_run(run, offset) {
            let scopes = std::iter::once(None).chain(grids.iter().map(|(g, _)| Some(g.as_str())));
            for grid in scopes {
                let key = grid.unwrap_or_default();
                if store::reports::complete_exists(pool, &org, key, p.kind.as_str(), p.start)
                    .await?
                {
                    continue;
                }
                generate(state, &org, grid, p, Trigger::Schedule, None).await?;
                made += 1;
            }
        }
    }
    Ok(made)
}

/// Starts the schedule: at once for the latest run time that has passed (catching up on what a
/// stopped server missed), then at every run time, until the server shuts down.
pub fn spawn_schedule(state: AppState) {
    if !state.config.reports_enabled {
        return;
    }
    let Some(at) = period::minute_of_day(&state.config.reports_at) else {
        return;
    };
    tokio::spawn(async move {
        let offset = state.config.console_utc_offset_minutes;
        let mut run = period::last_run(now_ms(), offset, at);
        loop {
            match run_schedule(&state, run).await {
                Ok(n) if n > 0 => tracing::info!(reports = n, "periodic reports generated"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "periodic reports failed"),
            }
            run = period::next_run(now_ms(), offset, at);
            let wait = std::time::Duration::from_millis((run - now_ms()).max(0) as u64);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = state.shutdown.wait() => return,
            }
        }
    });
}
