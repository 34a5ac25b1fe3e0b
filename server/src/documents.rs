//! The printed documents: a site's archive (一企一档: profile, responsible persons, every
//! inspection with its answers, every hazard with its photos and timeline, the grade history)
//! and the rectification notice (整改通知书) for one hazard or one inspection's hazards. Each is
//! gathered once, within the caller's reach, into labelled data in the request's language, then
//! rendered as a printable page (templates) or a PDF ([`crate::pdf`]). ADR 0008.

use crate::AppState;
use crate::console::i18n::Tr;
use crate::console::pages::{cards, offset, profile_lines, timelines};
use crate::console::view::{HazardCard, TimelineLine, when, when_opt};
use crate::error::{ApiError, ApiResult};
use crate::pdf::layout::{BAD, Flow, MUTED, PhotoBox};
use crate::pdf::{self, Photos};
use crate::reports::content::ReportBody;
use crate::routes::sites::{SiteView, views};
use crate::store;
use crate::store::hazards::{HazardFilter, HazardRecord, Sort};
use automerge::AutoCommit;
use closeloop_model::doc::inspection::{self, AnswerValue, Outcome};
use closeloop_model::lifecycle::Status;
use closeloop_model::roles::Reach;

/// One checklist item of an inspection with its answer.
#[derive(Debug, Clone)]
pub struct ItemLine {
    pub text: String,
    pub answer: String,
    pub outcome: String,
    pub failed: bool,
    pub note: String,
}

/// An inspection as the archive prints it.
#[derive(Debug, Clone)]
pub struct InspectionSection {
    pub id: String,
    pub started: String,
    pub purpose: String,
    pub inspector: String,
    pub signed_off: String,
    pub items: Vec<ItemLine>,
    pub photos: Vec<String>,
}

/// A hazard with its timeline.
#[derive(Debug, Clone)]
pub struct HazardSection {
    pub card: HazardCard,
    pub timeline: Vec<TimelineLine>,
}

/// A grade as recorded.
#[derive(Debug, Clone)]
pub struct GradeLine {
    pub at: String,
    pub grade: String,
    pub label: String,
    pub points: i64,
}

/// A responsible person.
#[derive(Debug, Clone)]
pub struct PersonLine {
    pub what: String,
    pub name: String,
    pub role: String,
}

/// Everything a site's archive shows.
#[derive(Debug, Clone)]
pub struct Archive {
    pub site: SiteView,
    pub grid: String,
    pub premises: String,
    pub grade_label: String,
    pub profile: Vec<(String, String)>,
    pub people: Vec<PersonLine>,
    pub inspections: Vec<InspectionSection>,
    pub inspections_left_out: i64,
    pub hazards: Vec<HazardSection>,
    pub hazards_left_out: i64,
    pub grades: Vec<GradeLine>,
    pub generated: String,
}

fn answer_text(v: &AnswerValue, tr: &Tr) -> String {
    match v {
        AnswerValue::Pass => tr.s("answer.pass").to_owned(),
        AnswerValue::Fail => tr.s("answer.fail").to_owned(),
        AnswerValue::NotApplicable => tr.s("answer.na").to_owned(),
        AnswerValue::Count { value } => value.to_string(),
        AnswerValue::Measure { value } => value.to_string(),
        AnswerValue::Date { value } => value.clone(),
    }
}

/// The site `id` if `reach` covers it: the same not-found as a site that does not exist.
async fn visible_site(state: &AppState, reach: &Reach, id: &str) -> ApiResult<SiteView> {
    let site = store::sites::get(&state.db.pool, reach, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))?;
    views(state, vec![site])
        .await?
        .pop()
        .ok_or_else(|| ApiError::NotFound(format!("site {id}")))
}

/// The archive of site `id` as `user` may see it.
pub async fn archive(
    state: &AppState,
    user: &crate::console::session::ConsoleUser,
    id: &str,
) -> ApiResult<Archive> {
    let pool = &state.db.pool;
    let tr = user.tr;
    let reach = user.user.actor.reach();
    let off = offset(state);
    let now = crate::db::now_ms();
    let v = visible_site(state, &reach, id).await?;
    let org = &user.user.actor.scope.org_id;
    let grids = store::people::grids(pool, org).await?;
    // Inspections, newest first, with their documents' answers.
    let max_insp = state.config.archive_max_inspections as i64;
    let filter = store::inspections::InspectionFilter {
        site_id: Some(id.to_owned()),
        ..Default::default()
    };
    let total_insp = store::inspections::count(pool, &reach, &filter).await?;
    let listed = store::inspections::page(pool, &reach, &filter, max_insp, None).await?;
    let ids: Vec<String> = listed.iter().map(|l| l.row.id.clone()).collect();
    let docs = store::inspections::documents(pool, &ids).await?;
    let mut people_ids: Vec<String> = listed.iter().map(|l| l.row.inspector.clone()).collect();
    // Who answers for the site: its owners, and the responsible persons per facility.
    let everyone = store::people::of_org(pool, org).await?;
    let site_ref = closeloop_model::roles::SiteRef {
        org_id: org.clone(),
        grid_id: v.grid_id.clone(),
        site_id: v.id.clone(),
    };
    let mut people: Vec<PersonLine> = everyone
        .iter()
        .filter(|p| {
            p.actor.role == closeloop_model::roles::Role::Owner && p.actor.reaches(&site_ref)
        })
        .map(|p| PersonLine {
            what: tr.s("archive.owner").to_owned(),
            name: p.display_name.clone(),
            role: tr.of("role", p.actor.role.as_str()),
        })
        .collect();
    for r in store::directory::responsible(pool, std::slice::from_ref(&v.id)).await? {
        if let Some(p) = everyone.iter().find(|p| p.actor.user_id == r.user_id) {
            people.push(PersonLine {
                what: tr.of("archive_facility", &r.facility),
                name: p.display_name.clone(),
                role: tr.of("role", p.actor.role.as_str()),
            });
        }
    }
    people_ids.sort();
    people_ids.dedup();
    let names = store::people::names(pool, &people_ids).await?;
    let mut inspections = Vec::new();
    for l in &listed {
        let Some(doc) = docs
            .get(&l.row.id)
            .and_then(|b| AutoCommit::load(b).ok())
            .and_then(|d| inspection::read(&d).ok())
        else {
            continue;
        };
        let current = doc.current_answers();
        let items = doc
            .outcomes(v.utc_offset_minutes)
            .into_iter()
            .map(|(item, outcome)| {
                let a = current.get(item.id.as_str());
                ItemLine {
                    text: if tr.is_zh() {
                        item.text_zh.clone()
                    } else {
                        item.text_en.clone()
                    },
                    answer: a.map(|a| answer_text(&a.value, &tr)).unwrap_or_default(),
                    failed: matches!(outcome, Some(Outcome::Fail { .. })),
                    outcome: match outcome {
                        Some(Outcome::Pass) => tr.s("answer.pass").to_owned(),
                        Some(Outcome::Fail { reason }) if reason != inspection::MARKED_FAILED => {
                            format!("{} ({reason})", tr.s("answer.fail"))
                        }
                        Some(Outcome::Fail { .. }) => tr.s("answer.fail").to_owned(),
                        Some(Outcome::NotApplicable) => tr.s("answer.na").to_owned(),
                        None => tr.s("answer.none").to_owned(),
                    },
                    note: a.map(|a| a.note.clone()).unwrap_or_default(),
                }
            })
            .collect();
        inspections.push(InspectionSection {
            id: l.row.id.clone(),
            started: when(l.row.started_at, off),
            purpose: tr.of("purpose", &l.row.purpose),
            inspector: names
                .get(&l.row.inspector)
                .cloned()
                .unwrap_or(l.row.inspector.clone()),
            signed_off: when_opt(l.row.signed_off_at, off),
            items,
            photos: doc.photos.iter().map(|p| p.thumb_sha256.clone()).collect(),
        });
    }
    // Hazards, newest first, with their timelines.
    let hf = HazardFilter {
        site_id: Some(id.to_owned()),
        ..Default::default()
    };
    let total_hz = store::hazards::count(pool, &reach, &hf, now).await?;
    let (records, _) = store::hazards::page(
        pool,
        &reach,
        &hf,
        Sort::ReportedAt,
        state.config.archive_max_hazards as i64,
        None,
        now,
    )
    .await?;
    let hazards = hazard_sections(state, user, &records).await?;
    let grades = store::reports::grade_history(pool, id, 100)
        .await?
        .into_iter()
        .map(|g| GradeLine {
            at: when(g.at, off),
            label: tr.of("grade", &g.grade),
            grade: g.grade,
            points: g.points,
        })
        .collect();
    Ok(Archive {
        grid: grids
            .iter()
            .find(|(g, _)| *g == v.grid_id)
            .map_or(v.grid_id.clone(), |(_, n)| n.clone()),
        premises: tr.of("premises", v.profile.premises.as_str()),
        grade_label: tr.of("grade", v.risk.grade.as_str()),
        profile: profile_lines(&v.profile, &tr),
        people,
        inspections_left_out: total_insp - inspections.len() as i64,
        inspections,
        hazards_left_out: total_hz - records.len() as i64,
        hazards,
        grades,
        generated: when(now, off),
        site: v,
    })
}

async fn hazard_sections(
    state: &AppState,
    user: &crate::console::session::ConsoleUser,
    records: &[HazardRecord],
) -> ApiResult<Vec<HazardSection>> {
    let card_list = cards(state, user, records).await?;
    let ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    let mut lines = timelines(state, &user.tr, &ids).await?;
    Ok(card_list
        .into_iter()
        .map(|card| HazardSection {
            timeline: lines.remove(&card.id).unwrap_or_default(),
            card,
        })
        .collect())
}

/// A rectification notice: the site and the hazards it orders fixed.
#[derive(Debug, Clone)]
pub struct Notice {
    pub site: SiteView,
    pub grid: String,
    pub org_name: String,
    pub number: String,
    pub hazards: Vec<HazardSection>,
    pub date: String,
    /// The latest deadline of the hazards.
    pub deadline: String,
}

/// The notice for hazard `hazard`, or for every hazard (not cancelled) of inspection
/// `inspection`, as `user` may see them.
pub async fn notice(
    state: &AppState,
    user: &crate::console::session::ConsoleUser,
    hazard: Option<&str>,
    inspection: Option<&str>,
) -> ApiResult<Notice> {
    let pool = &state.db.pool;
    let reach = user.user.actor.reach();
    let now = crate::db::now_ms();
    let off = offset(state);
    let (records, number) = match (hazard, inspection) {
        (Some(h), _) => {
            let r = store::hazards::get(pool, &reach, h)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("hazard {h}")))?;
            (vec![r], h.to_owned())
        }
        (None, Some(i)) => {
            store::inspections::document(pool, &reach, i)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("inspection {i}")))?;
            let f = HazardFilter {
                inspection_id: Some(i.to_owned()),
                statuses: Status::ALL
                    .into_iter()
                    .filter(|s| *s != Status::Cancelled)
                    .collect(),
                ..Default::default()
            };
            let (records, _) = store::hazards::page(
                pool,
                &reach,
                &f,
                Sort::Deadline,
                state.config.archive_max_hazards as i64,
                None,
                now,
            )
            .await?;
            (records, i.to_owned())
        }
        (None, None) => return Err(ApiError::NotFound("notice".into())),
    };
    let site_id = records
        .first()
        .map(|r| r.site_id.clone())
        .ok_or_else(|| ApiError::NotFound(format!("hazards of {number}")))?;
    let site = visible_site(state, &reach, &site_id).await?;
    let grids = store::people::grids(pool, &user.user.actor.scope.org_id).await?;
    let org_name = store::reports::org_name(pool, &user.user.actor.scope.org_id)
        .await?
        .unwrap_or_default();
    let deadline = when_opt(records.iter().filter_map(|r| r.deadline).max(), off);
    Ok(Notice {
        grid: grids
            .iter()
            .find(|(g, _)| *g == site.grid_id)
            .map_or(site.grid_id.clone(), |(_, n)| n.clone()),
        org_name,
        // The whole id: a notice is traced back to its hazard or inspection by it.
        number,
        hazards: hazard_sections(state, user, &records).await?,
        date: closeloop_model::calendar::Date::at(now, off).to_string(),
        deadline,
        site,
    })
}

/// Reads the photos `shas` into `photos` within its budget, answering their boxes.
async fn load_photos(
    state: &AppState,
    photos: &mut Photos,
    shas: &[String],
) -> ApiResult<Vec<PhotoBox>> {
    let mut out = Vec::new();
    for sha in shas {
        if !photos.room_for(0) {
            photos.left_out += shas.len() - out.len() - 1;
            break;
        }
        let Some(bytes) = state
            .blobs
            .read(sha, state.config.max_blob_bytes)
            .await
            .map_err(ApiError::internal)?
        else {
            continue;
        };
        if !photos.room_for(bytes.len()) {
            continue;
        }
        if let Some(b) = photos.add(bytes) {
            out.push(b);
        }
    }
    Ok(out)
}

/// Makes a PDF on a blocking thread, within the PDF turns.
async fn make_pdf(
    state: &AppState,
    build: impl FnOnce(&pdf::font::Face) -> Result<Vec<u8>, String> + Send + 'static,
) -> ApiResult<Vec<u8>> {
    let _turn = state
        .pdf_turns
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::TooMany {
            message: "PDFs are being made; try again shortly".into(),
            retry_after: 5,
        })?;
    let face = state
        .pdf_fonts
        .get(&state.config)
        .map_err(ApiError::NoPdfFont)?
        .clone();
    tokio::task::spawn_blocking(move || build(&face))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}

fn hazard_pdf(
    f: &mut Flow<'_>,
    tr: &Tr,
    h: &HazardSection,
    before: &[PhotoBox],
    after: &[PhotoBox],
) {
    let c = &h.card;
    f.subheading(&format!(
        "{} · {} · {}",
        c.title, c.severity_label, c.status_label
    ));
    let mut facts = vec![
        (tr.s("hazard.reported").to_owned(), c.reported.clone()),
        (
            tr.s("hazard.assignee").to_owned(),
            if c.assignee.is_empty() {
                "—".into()
            } else {
                c.assignee.clone()
            },
        ),
        (tr.s("hazard.deadline").to_owned(), c.deadline.clone()),
    ];
    if !c.clauses.is_empty() {
        facts.push((tr.s("hazard.clauses").to_owned(), c.clauses.join("；")));
    }
    if !c.measure.is_empty() {
        facts.push((tr.s("hazard.measure").to_owned(), c.measure.clone()));
    }
    f.facts(&facts);
    if c.overdue {
        f.note(tr.s("hazard.overdue"), BAD);
    }
    let boxes: Vec<(PhotoBox, String)> = before
        .iter()
        .map(|b| (*b, tr.s("review.before").to_owned()))
        .chain(after.iter().map(|b| (*b, tr.s("review.after").to_owned())))
        .collect();
    f.photos(&boxes);
}

fn timeline_rows(t: &[TimelineLine]) -> Vec<Vec<String>> {
    t.iter()
        .map(|e| {
            vec![
                e.at.clone(),
                e.kind_label.clone(),
                format!("{} ({})", e.who, e.role_label),
                if e.not_applied.is_empty() {
                    e.text.clone()
                } else {
                    format!("{} [{}]", e.text, e.not_applied)
                },
                e.status_after.clone(),
            ]
        })
        .collect()
}

/// The archive as a PDF.
pub async fn archive_pdf(state: &AppState, a: Archive, tr: Tr) -> ApiResult<Vec<u8>> {
    let mut photos = Photos::new(&state.config);
    let mut boxes = Vec::new();
    for h in &a.hazards {
        let before = load_photos(state, &mut photos, &h.card.before).await?;
        let after = load_photos(state, &mut photos, &h.card.after).await?;
        boxes.push((before, after));
    }
    make_pdf(state, move |face| {
        let title = format!("{} · {}", tr.s("archive.title"), a.site.name);
        let mut f = Flow::new(face, &title);
        f.title(
            &title,
            &format!(
                "{} · {} · {} {}",
                a.site.address,
                a.grid,
                tr.s("archive.generated"),
                a.generated
            ),
        );
        f.heading(tr.s("archive.profile"));
        let mut facts = vec![(
            tr.s("site.grade").to_owned(),
            format!(
                "{} ({} {})",
                a.grade_label,
                a.site.risk.points,
                tr.s("site.points")
            ),
        )];
        facts.extend(a.profile.iter().cloned());
        f.facts(&facts);
        f.heading(tr.s("archive.people"));
        if a.people.is_empty() {
            f.note(tr.s("archive.no_people"), MUTED);
        } else {
            let rows: Vec<Vec<String>> = a
                .people
                .iter()
                .map(|p| vec![p.what.clone(), p.name.clone(), p.role.clone()])
                .collect();
            f.table(
                &[
                    (tr.s("archive.responsible_for"), 2.0),
                    (tr.s("archive.name"), 2.0),
                    (tr.s("archive.role"), 1.0),
                ],
                &rows,
            );
        }
        f.heading(tr.s("archive.grades"));
        // The grade as of this document first, named so, then the recorded changes.
        let mut rows: Vec<Vec<String>> = vec![vec![
            format!("{} · {}", tr.s("archive.now"), a.generated),
            a.grade_label.clone(),
            a.site.risk.points.to_string(),
        ]];
        rows.extend(
            a.grades
                .iter()
                .map(|g| vec![g.at.clone(), g.label.clone(), g.points.to_string()]),
        );
        f.table(
            &[
                (tr.s("archive.recorded"), 2.0),
                (tr.s("site.grade"), 1.0),
                (tr.s("site.points"), 1.0),
            ],
            &rows,
        );
        f.heading(&format!(
            "{} ({})",
            tr.s("site.inspections"),
            a.inspections.len() as i64 + a.inspections_left_out
        ));
        if a.inspections.is_empty() {
            f.note(tr.s("site.no_inspections"), MUTED);
        }
        for i in &a.inspections {
            f.subheading(&format!("{} · {} · {}", i.started, i.purpose, i.inspector));
            f.note(
                &format!("{} {}", tr.s("inspection.signed_off"), i.signed_off),
                MUTED,
            );
            let rows: Vec<Vec<String>> = i
                .items
                .iter()
                .map(|it| {
                    vec![
                        it.text.clone(),
                        it.answer.clone(),
                        it.outcome.clone(),
                        it.note.clone(),
                    ]
                })
                .collect();
            f.table(
                &[
                    (tr.s("archive.item"), 5.0),
                    (tr.s("archive.answer"), 1.2),
                    (tr.s("archive.outcome"), 1.6),
                    (tr.s("archive.note"), 1.6),
                ],
                &rows,
            );
        }
        if a.inspections_left_out > 0 {
            f.note(
                &format!("{} {}", a.inspections_left_out, tr.s("archive.left_out")),
                MUTED,
            );
        }
        f.heading(&format!(
            "{} ({})",
            tr.s("archive.hazards"),
            a.hazards.len() as i64 + a.hazards_left_out
        ));
        if a.hazards.is_empty() {
            f.note(tr.s("archive.no_hazards"), MUTED);
        }
        for (h, (before, after)) in a.hazards.iter().zip(&boxes) {
            hazard_pdf(&mut f, &tr, h, before, after);
            f.table(
                &[
                    (tr.s("timeline.when"), 1.6),
                    (tr.s("timeline.event"), 1.2),
                    (tr.s("timeline.who"), 1.6),
                    (tr.s("timeline.detail"), 3.0),
                    (tr.s("timeline.after"), 1.2),
                ],
                &timeline_rows(&h.timeline),
            );
        }
        if a.hazards_left_out > 0 {
            f.note(
                &format!("{} {}", a.hazards_left_out, tr.s("archive.left_out")),
                MUTED,
            );
        }
        if photos.left_out > 0 {
            f.note(
                &format!("{} {}", photos.left_out, tr.s("archive.photos_left_out")),
                MUTED,
            );
        }
        let pages = f.finish();
        pdf::render(
            face,
            &pages,
            &photos,
            &title,
            if tr.is_zh() { "zh-CN" } else { "en" },
        )
    })
    .await
}

/// The notice as a PDF.
pub async fn notice_pdf(state: &AppState, n: Notice, tr: Tr) -> ApiResult<Vec<u8>> {
    let mut photos = Photos::new(&state.config);
    let mut boxes = Vec::new();
    for h in &n.hazards {
        let before = load_photos(state, &mut photos, &h.card.before).await?;
        boxes.push(before);
    }
    make_pdf(state, move |face| {
        let title = tr.s("notice.title").to_owned();
        let mut f = Flow::new(face, &format!("{title} · {} · {}", n.site.name, n.number));
        f.title(&title, &format!("{} {}", tr.s("notice.number"), n.number));
        f.facts(&[
            (tr.s("notice.to").to_owned(), n.site.name.clone()),
            (tr.s("export.address").to_owned(), n.site.address.clone()),
            (tr.s("filter.grid").to_owned(), n.grid.clone()),
            (tr.s("notice.issued_by").to_owned(), n.org_name.clone()),
            (tr.s("notice.date").to_owned(), n.date.clone()),
        ]);
        f.para(&tr.s("notice.body").replace("{deadline}", &n.deadline));
        f.heading(&format!("{} ({})", tr.s("notice.items"), n.hazards.len()));
        for (k, (h, before)) in n.hazards.iter().zip(&boxes).enumerate() {
            let mut h = h.clone();
            h.card.title = format!("{}. {}", k + 1, h.card.title);
            hazard_pdf(&mut f, &tr, &h, before, &[]);
        }
        if photos.left_out > 0 {
            f.note(
                &format!("{} {}", photos.left_out, tr.s("archive.photos_left_out")),
                MUTED,
            );
        }
        f.heading(tr.s("notice.signatures"));
        f.signatures(
            &[
                tr.s("notice.sign_inspector").to_owned(),
                tr.s("notice.sign_site").to_owned(),
            ],
            tr.s("notice.sign_date"),
        );
        let pages = f.finish();
        pdf::render(
            face,
            &pages,
            &photos,
            &title,
            if tr.is_zh() { "zh-CN" } else { "en" },
        )
    })
    .await
}

/// A closure rate as a percentage, or a dash when nothing was found.
pub fn rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |r| format!("{:.0}%", 100.0 * r))
}

/// The report's title: its kind, its scope and its first day.
pub fn report_title(b: &ReportBody, tr: &Tr) -> String {
    format!(
        "{} · {} · {}",
        tr.of("report_kind", b.kind.as_str()),
        b.scope_name,
        b.first_day
    )
}

/// A periodic report as a PDF.
pub async fn report_pdf(state: &AppState, b: ReportBody, tr: Tr) -> ApiResult<Vec<u8>> {
    let off = offset(state);
    make_pdf(state, move |face| {
        let title = report_title(&b, &tr);
        let mut f = Flow::new(face, &title);
        f.title(
            &title,
            &format!(
                "{} {} — {} · {} {}",
                tr.s("report.period"),
                when(b.from, off),
                when(b.to, off),
                tr.s("archive.generated"),
                when(b.generated_at, off)
            ),
        );
        if b.partial {
            f.note(tr.s("report.partial"), BAD);
        }
        let t = &b.totals;
        f.heading(tr.s("report.totals"));
        f.facts(&[
            (tr.s("report.found").to_owned(), t.found.to_string()),
            (tr.s("report.closed").to_owned(), t.closed.to_string()),
            (tr.s("report.closure_rate").to_owned(), rate(t.closure_rate)),
            (
                tr.s("report.median_close").to_owned(),
                crate::console::pages::hours(t.median_hours_to_close, &tr),
            ),
            (tr.s("report.overdue").to_owned(), t.overdue.to_string()),
            (
                tr.s("report.major_open").to_owned(),
                t.major_open.to_string(),
            ),
            (
                tr.s("report.inspections").to_owned(),
                t.inspections.to_string(),
            ),
        ]);
        f.heading(tr.s("report.by_colour"));
        let colours = ["red", "orange", "yellow", "blue"];
        let heads: Vec<String> = colours.iter().map(|c| tr.of("grade", c)).collect();
        let cols: Vec<(&str, f32)> = heads.iter().map(|h| (h.as_str(), 1.0)).collect();
        f.table(
            &cols,
            &[colours
                .iter()
                .map(|c| t.sites_by_colour.get(*c).copied().unwrap_or(0).to_string())
                .collect()],
        );
        if !b.grids.is_empty() {
            f.heading(tr.s("report.by_grid"));
            let rows: Vec<Vec<String>> = b
                .grids
                .iter()
                .map(|g| {
                    let x = &g.figures;
                    let mut row = vec![
                        g.name.clone(),
                        x.found.to_string(),
                        x.closed.to_string(),
                        rate(x.closure_rate),
                        x.overdue.to_string(),
                    ];
                    row.extend(
                        colours
                            .iter()
                            .map(|c| x.sites_by_colour.get(*c).copied().unwrap_or(0).to_string()),
                    );
                    row
                })
                .collect();
            let mut cols: Vec<(&str, f32)> = vec![
                (tr.s("filter.grid"), 2.0),
                (tr.s("report.found"), 1.0),
                (tr.s("report.closed"), 1.0),
                (tr.s("report.closure_rate"), 1.0),
                (tr.s("report.overdue"), 1.0),
            ];
            cols.extend(heads.iter().map(|h| (h.as_str(), 0.8)));
            f.table(&cols, &rows);
        }
        f.heading(tr.s("report.worst"));
        if b.worst_sites.is_empty() {
            f.note(tr.s("report.no_worst"), MUTED);
        } else {
            let rows: Vec<Vec<String>> = b
                .worst_sites
                .iter()
                .enumerate()
                .map(|(k, s)| {
                    vec![
                        (k + 1).to_string(),
                        s.name.clone(),
                        tr.of("grade", s.grade.as_str()),
                        s.points.to_string(),
                        s.open.to_string(),
                        s.overdue.to_string(),
                    ]
                })
                .collect();
            f.table(
                &[
                    ("#", 0.4),
                    (tr.s("site.name"), 3.0),
                    (tr.s("site.grade"), 1.0),
                    (tr.s("site.points"), 1.0),
                    (tr.s("site.open"), 1.0),
                    (tr.s("site.overdue"), 1.0),
                ],
                &rows,
            );
        }
        let pages = f.finish();
        pdf::render(
            face,
            &pages,
            &Photos::none(),
            &title,
            if tr.is_zh() { "zh-CN" } else { "en" },
        )
    })
    .await
}
