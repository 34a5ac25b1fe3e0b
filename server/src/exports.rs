//! Hazards, inspections and sites as CSV or XLSX, with the filters of the list they come from,
//! streamed: rows are read from the database a page at a time and written out as they come, so
//! an export of any size holds one page in memory. XLSX rows go to the worksheet's file on disk
//! (rust_xlsxwriter's constant-memory mode) and the workbook is zipped straight into the
//! response. Every export is counted first and refused past `export_max_rows`, runs at most
//! `export_timeout_seconds`, and at most `max_concurrent_exports` run at once. ADR 0008.

use crate::AppState;
use crate::console::i18n::Tr;
use crate::console::view::when_opt;
use crate::error::{ApiError, ApiResult};
use crate::store;
use crate::store::hazards::{Cursor, HazardFilter, Sort};
use crate::store::inspections::InspectionFilter;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use closeloop_model::roles::Reach;
use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Rows read from the database at a time.
const PAGE: i64 = 1000;
/// Bytes gathered before they are handed to the response.
const CHUNK: usize = 64 * 1024;

/// The file format asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Cell {
        Cell::Int(n)
    }
}

/// Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, return first) is kept
/// as text by a leading apostrophe: titles and notes come from phones, and a CSV cell has no
/// other way to say "this is text".
pub fn defuse(s: &str) -> std::borrow::Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}").into(),
        _ => s.into(),
    }
}

/// What an export reads, with where the next page starts.
#[derive(Debug)]
pub enum Source {
    Hazards {
        reach: Reach,
        filter: HazardFilter,
        cursor: Option<Cursor>,
    },
    Inspections {
        reach: Reach,
        filter: InspectionFilter,
        after: Option<(i64, String)>,
    },
    /// Sites, read once by the list's query (within reach), graded a page at a time.
    Sites {
        sites: std::vec::IntoIter<store::sites::SiteRecord>,
    },
}

impl Source {
    fn name(&self) -> &'static str {
        match self {
            Source::Hazards { .. } => "hazards",
            Source::Inspections { .. } => "inspections",
            Source::Sites { .. } => "sites",
        }
    }

    fn headers(&self, tr: &Tr) -> Vec<String> {
        let keys: &[&str] = match self {
            Source::Hazards { .. } => &[
                "export.id",
                "hazard.title",
                "hazard.site",
                "filter.grid",
                "hazard.status",
                "hazard.severity",
                "hazard.overdue",
                "hazard.assignee",
                "hazard.deadline",
                "hazard.reported",
                "export.assigned_at",
                "export.submitted_at",
                "export.closed_at",
                "hazard.clauses",
                "export.gb35181",
                "hazard.measure",
                "review.before",
                "review.after",
                "export.evidence_complete",
                "export.inspection_id",
                "hazard.item",
            ],
            Source::Inspections { .. } => &[
                "export.id",
                "hazard.site",
                "filter.grid",
                "inspection.purpose",
                "inspection.inspector",
                "inspection.started",
                "inspection.signed_off",
                "export.items",
                "export.answered",
                "inspection.failed",
            ],
            Source::Sites { .. } => &[
                "export.id",
                "site.name",
                "export.address",
                "filter.grid",
                "export.premises",
                "site.grade",
                "site.points",
                "site.open",
                "site.overdue",
                "site.last_inspection",
                "export.self_checks_on_time",
                "export.self_checks_due",
            ],
        };
        keys.iter().map(|k| tr.s(k).to_owned()).collect()
    }

    /// How many rows the export will have.
    async fn count(&self, pool: &sqlx::AnyPool, now: i64) -> Result<i64, sqlx::Error> {
        match self {
            Source::Hazards { reach, filter, .. } => {
                store::hazards::count(pool, reach, filter, now).await
            }
            Source::Inspections { reach, filter, .. } => {
                store::inspections::count(pool, reach, filter).await
            }
            Source::Sites { sites } => Ok(sites.len() as i64),
        }
    }

    /// The next page of rows, or `None` at the end.
    async fn next(&mut self, state: &AppState, ctx: &Context) -> ApiResult<Option<Vec<Vec<Cell>>>> {
        let pool = &state.db.pool;
        let tr = &ctx.tr;
        let off = ctx.offset;
        match self {
            Source::Hazards {
                reach,
                filter,
                cursor,
            } => {
                if cursor.as_ref().is_some_and(|c| c.id.is_empty()) {
                    return Ok(None);
                }
                let (records, next) = store::hazards::page(
                    pool,
                    reach,
                    filter,
                    Sort::ReportedAt,
                    PAGE,
                    cursor.as_ref(),
                    ctx.now,
                )
                .await?;
                *cursor = Some(next.unwrap_or(Cursor {
                    value: 0,
                    id: String::new(),
                }));
                if records.is_empty() {
                    return Ok(None);
                }
                let sites: Vec<String> = records.iter().map(|r| r.site_id.clone()).collect();
                let people: Vec<String> =
                    records.iter().filter_map(|r| r.assignee.clone()).collect();
                let site_names = store::sites::names(pool, &sites).await?;
                let names = store::people::names(pool, &people).await?;
                let yes_no = |b: bool| tr.s(if b { "bool.yes" } else { "bool.no" }).to_owned();
                Ok(Some(
                    records
                        .iter()
                        .map(|r| {
                            vec![
                                r.id.as_str().into(),
                                r.title.as_str().into(),
                                site_names
                                    .get(&r.site_id)
                                    .cloned()
                                    .unwrap_or(r.site_id.clone())
                                    .into(),
                                ctx.grid(&r.grid_id).into(),
                                tr.of("status", &r.status).into(),
                                tr.of("severity", &r.severity).into(),
                                yes_no(r.overdue(ctx.now)).into(),
                                r.assignee
                                    .as_ref()
                                    .map(|a| names.get(a).cloned().unwrap_or(a.clone()))
                                    .unwrap_or_default()
                                    .into(),
                                when_opt(r.deadline, off).into(),
                                when_opt(r.reported_at, off).into(),
                                when_opt(r.assigned_at, off).into(),
                                when_opt(r.submitted_at, off).into(),
                                when_opt(r.closed_at, off).into(),
                                r.clauses.join("; ").into(),
                                r.gb35181.clone().unwrap_or_default().into(),
                                r.measure.as_str().into(),
                                (r.side("before").len() as i64).into(),
                                (r.side("after").len() as i64).into(),
                                yes_no(r.evidence_complete).into(),
                                r.inspection_id.clone().unwrap_or_default().into(),
                                r.item_id.clone().unwrap_or_default().into(),
                            ]
                        })
                        .collect(),
                ))
            }
            Source::Inspections {
                reach,
                filter,
                after,
            } => {
                if after.as_ref().is_some_and(|a| a.1.is_empty()) {
                    return Ok(None);
                }
                let rows =
                    store::inspections::page(pool, reach, filter, PAGE, after.as_ref()).await?;
                *after = Some(match rows.last() {
                    Some(l) if rows.len() as i64 == PAGE => (l.row.started_at, l.row.id.clone()),
                    _ => (0, String::new()),
                });
                if rows.is_empty() {
                    return Ok(None);
                }
                let sites: Vec<String> = rows.iter().map(|r| r.site_id.clone()).collect();
                let people: Vec<String> = rows.iter().map(|r| r.row.inspector.clone()).collect();
                let site_names = store::sites::names(pool, &sites).await?;
                let names = store::people::names(pool, &people).await?;
                Ok(Some(
                    rows.into_iter()
                        .map(|l| {
                            let i = l.row;
                            vec![
                                i.id.into(),
                                site_names
                                    .get(&l.site_id)
                                    .cloned()
                                    .unwrap_or(l.site_id)
                                    .into(),
                                ctx.grid(&l.grid_id).into(),
                                tr.of("purpose", &i.purpose).into(),
                                names
                                    .get(&i.inspector)
                                    .cloned()
                                    .unwrap_or(i.inspector)
                                    .into(),
                                when_opt(Some(i.started_at), off).into(),
                                when_opt(i.signed_off_at, off).into(),
                                i.items.into(),
                                i.answered.into(),
                                i.failed.into(),
                            ]
                        })
                        .collect(),
                ))
            }
            Source::Sites { sites } => {
                let records: Vec<store::sites::SiteRecord> = sites.by_ref().take(500).collect();
                if records.is_empty() {
                    return Ok(None);
                }
                let views = crate::routes::sites::views(state, records).await?;
                Ok(Some(
                    views
                        .into_iter()
                        .map(|v| {
                            vec![
                                v.id.into(),
                                v.name.into(),
                                v.address.into(),
                                ctx.grid(&v.grid_id).into(),
                                tr.of("premises", v.profile.premises.as_str()).into(),
                                tr.of("grade", v.risk.grade.as_str()).into(),
                                i64::from(v.risk.points).into(),
                                v.open_hazards.into(),
                                v.overdue_hazards.into(),
                                when_opt(v.last_inspection_at, off).into(),
                                i64::from(v.self_checks_on_time).into(),
                                i64::from(v.self_checks_due).into(),
                            ]
                        })
                        .collect(),
                ))
            }
        }
    }
}

/// What every row is shown with: language, zone, grid names, the time of the export.
#[derive(Debug, Clone)]
pub struct Context {
    pub tr: Tr,
    pub offset: i32,
    pub now: i64,
    pub grids: HashMap<String, String>,
}

impl Context {
    fn grid(&self, id: &str) -> String {
        self.grids.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

/// The sites in `reach`, optionally one grid's, whose name or address holds `needle` (the sites
/// page's search).
pub async fn sites(
    state: &AppState,
    reach: &Reach,
    grid: Option<&str>,
    needle: &str,
) -> ApiResult<Vec<store::sites::SiteRecord>> {
    let needle = needle.trim().to_lowercase();
    Ok(store::sites::list(&state.db.pool, reach, grid, None)
        .await?
        .into_iter()
        .filter(|s| {
            needle.is_empty()
                || s.name.to_lowercase().contains(&needle)
                || s.address.to_lowercase().contains(&needle)
        })
        .collect())
}

/// Writes rows as they come and hands the bytes to the response in chunks.
struct Sink {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Runs the export on a blocking thread (XLSX and CSV writing are synchronous; pages are read
/// from the database through the runtime's handle), sending its bytes to `tx`.
fn produce(
    state: AppState,
    mut source: Source,
    ctx: Context,
    format: Format,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    deadline: Instant,
) -> std::io::Result<()> {
    let rt = tokio::runtime::Handle::current();
    let headers = source.headers(&ctx.tr);
    let mut sink = Sink {
        tx: tx.clone(),
        buf: Vec::with_capacity(CHUNK),
    };
    let timeout = || {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the export took longer than export_timeout_seconds",
        )
    };
    let next = |source: &mut Source| -> std::io::Result<Option<Vec<Vec<Cell>>>> {
        if Instant::now() > deadline {
            return Err(timeout());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        rt.block_on(async { tokio::time::timeout(left, source.next(&state, &ctx)).await })
            .map_err(|_| timeout())?
            .map_err(|e| std::io::Error::other(e.to_string()))
    };
    match format {
        Format::Csv => {
            // A BOM, so that spreadsheet programs read the file as UTF-8 (Chinese text).
            sink.write_all(b"\xEF\xBB\xBF")?;
            let mut w = csv::Writer::from_writer(&mut sink);
            w.write_record(&headers)?;
            while let Some(rows) = next(&mut source)? {
                for row in rows {
                    w.write_record(row.iter().map(|c| match c {
                        Cell::Text(s) => defuse(s).into_owned(),
                        Cell::Int(n) => n.to_string(),
                    }))?;
                }
            }
            w.flush()?;
            drop(w);
            sink.flush()
        }
        Format::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let sheet = book
                .add_worksheet_with_constant_memory()
                .map_err(xlsx_err)?;
            sheet
                .set_name(ctx.tr.s(&format!("export.sheet_{}", source.name())))
                .map_err(xlsx_err)?;
            for (c, h) in headers.iter().enumerate() {
                sheet
                    .write_string_with_format(0, c as u16, h, &bold)
                    .map_err(xlsx_err)?;
                sheet.set_column_width(c as u16, 16).map_err(xlsx_err)?;
            }
            let mut r: u32 = 1;
            while let Some(rows) = next(&mut source)? {
                let sheet = book.worksheet_from_index(0).map_err(xlsx_err)?;
                for row in rows {
                    for (c, cell) in row.iter().enumerate() {
                        match cell {
                            Cell::Text(s) if s.is_empty() => continue,
                            Cell::Text(s) => sheet.write_string(r, c as u16, s).map(|_| ()),
                            Cell::Int(n) => sheet.write_number(r, c as u16, *n as f64).map(|_| ()),
                        }
                        .map_err(xlsx_err)?;
                    }
                    r += 1;
                }
            }
            book.save_to_writer(&mut sink).map_err(xlsx_err)?;
            sink.flush()
        }
    }
}

/// The export of `source` as a streamed download named `<source>-<date>.<ext>`.
pub async fn respond(
    state: &AppState,
    source: Source,
    ctx: Context,
    format: Format,
) -> ApiResult<Response> {
    let permit = state
        .export_turns
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::TooMany {
            message: "exports are running; try again shortly".into(),
            retry_after: 5,
        })?;
    let rows = source.count(&state.db.pool, ctx.now).await?;
    if rows > state.config.export_max_rows as i64 {
        return Err(ApiError::BadRequest {
            message: format!(
                "{rows} rows match, more than an export may have ({}); narrow the filters",
                state.config.export_max_rows
            ),
            field: None,
        });
    }
    let name = format!(
        "{}-{}.{}",
        source.name(),
        closeloop_model::calendar::Date::at(ctx.now, ctx.offset),
        format.extension()
    );
    let (tx, mut rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let deadline = Instant::now() + Duration::from_secs(state.config.export_timeout_seconds);
    let st = state.clone();
    let errors = tx.clone();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        if let Err(e) = produce(st, source, ctx, format, tx, deadline) {
            // The status is sent; an error now can only cut the body short, which the client
            // sees as an incomplete download.
            tracing::warn!(error = %e, "export stopped");
            let _ = errors.blocking_send(Err(e));
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let mut res = Body::from_stream(stream).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&rows.to_string()) {
        h.insert("x-export-rows", v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_would_run_as_a_formula_stays_text() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("-1+1"), "'-1+1");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("消防通道堵塞"), "消防通道堵塞");
        assert_eq!(defuse(""), "");
    }
}
