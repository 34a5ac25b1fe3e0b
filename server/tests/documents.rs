//! Exports, the printed documents and periodic reports over HTTP: exports carry their list's
//! filters and the caller's reach; the site archive (一企一档) and the rectification notice
//! (整改通知书) are PDFs whose Chinese text `pdftotext` reads back and whose photos `pdfimages`
//! finds; a site out of reach is not found; reports count what was seeded, are read within the
//! reach of grids, and the schedule makes each period's once. Needs poppler-utils.

mod common;

use automerge::AutoCommit;
use closeloop_checklists::Checklist;
use closeloop_model::doc::inspection::{self, AnswerValue, ItemAnswer};
use closeloop_model::doc::{DocKind, Header, hazard};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity};
use closeloop_model::roles::SiteRef;
use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;

/// A GET with optional bearer token and headers: status, headers and the raw body.
fn fetch(
    url: &str,
    token: Option<&str>,
    extra: &[(&str, &str)],
) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = ureq::http::Request::builder().method("GET").uri(url);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let mut res = agent
        .run(req.body(Vec::<u8>::new()).expect("request"))
        .expect("transport");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res
        .body_mut()
        .with_config()
        .limit(200 << 20)
        .read_to_vec()
        .expect("body");
    (status, headers, body)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A poppler tool, or a failure saying to install it (CI does; a missing tool never passes).
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "`{tool}` could not be run ({e}): install poppler-utils (apt-get install poppler-utils) \
             to check PDFs"
        )
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Where a test's PDFs and their page images are kept for a person to look at.
fn out_dir() -> PathBuf {
    let d = std::env::temp_dir().join("closeloop-documents");
    std::fs::create_dir_all(&d).expect("out dir");
    d
}

/// The PDF's text, its embedded images' count, and its first page rendered (checked not blank).
fn inspect_pdf(name: &str, pdf: &[u8]) -> (String, usize) {
    assert!(
        pdf.starts_with(b"%PDF-"),
        "{name} is not a PDF: {}",
        text(&pdf[..pdf.len().min(200)])
    );
    let dir = out_dir();
    let path = dir.join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    let p = path.to_str().expect("path");
    let words = poppler("pdftotext", &["-layout", p, "-"]);
    let list = poppler("pdfimages", &["-list", p]);
    // The listing has two header lines, then one line per image.
    let images = list
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .count();
    let prefix = dir.join(name);
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            p,
            prefix.to_str().expect("prefix"),
        ],
    );
    let png = std::fs::read_dir(&dir)
        .expect("dir")
        .flatten()
        .map(|e| e.path())
        .find(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{name}-")) && n.ends_with(".png"))
        })
        .expect("pdftoppm wrote the first page");
    let size = std::fs::metadata(&png).expect("png").len();
    assert!(
        size > 4000,
        "{} is {size} bytes: a blank page?",
        png.display()
    );
    (words, images)
}

fn upload(s: &TestServer, a: &Author, seed: u8) -> String {
    let (photo, sha) = jpeg(seed);
    let up = call(
        "PUT",
        &format!("{}/v1/blobs/{sha}", s.url),
        Some(&a.token),
        Some(&photo),
        "image/jpeg",
    );
    assert!(up.status == 201 || up.status == 200, "{}", up.body);
    sha
}

fn place(s: &TestServer, site: &str) -> SiteRef {
    SiteRef {
        org_id: "demo-org".into(),
        grid_id: site_grid(s, site),
        site_id: site.into(),
    }
}

fn push(s: &TestServer, a: &Author, id: &str, d: &mut AutoCommit) {
    let r = post(
        &format!("{}/v1/sync", s.url),
        Some(&a.token),
        &json!({"push": [{"doc_id": id, "changes": closeloop_model::protocol::wire::encode(&d.save())}]}),
    );
    assert_eq!(r.body["results"][0]["status"], "accepted", "{}", r.body);
}

/// A hazard reported now by `a` at `site` (with before photos), then `extra` events with
/// `after` photos on the last.
#[allow(clippy::too_many_arguments)] // a test's one builder of hazards
fn hazard_now(
    s: &TestServer,
    a: &Author,
    site: &str,
    id: &str,
    title: &str,
    severity: Severity,
    deadline: Option<i64>,
    inspection: Option<&str>,
    before: Vec<String>,
    extra: Vec<EventKind>,
    after: Vec<String>,
) {
    let now = closeloop_server::db::now_ms();
    let role = role_of(s, &a.token);
    let mut d = AutoCommit::new().with_actor(a.actor.clone());
    let header = Header {
        kind: DocKind::Hazard,
        id: id.into(),
        site: place(s, site),
    };
    let n = extra.len();
    let ev = |k: usize, kind: EventKind, photos: Vec<String>| Event {
        id: format!("{id}-e{k}"),
        kind,
        by: a.user_id.clone(),
        role,
        at: now - 60_000 + k as i64,
        note: String::new(),
        photos,
    };
    let report = EventKind::Reported(Report {
        title: title.into(),
        severity,
        clauses: vec!["《消防法》第二十八条".into()],
        item_id: None,
        gb35181: None,
        measure: "清理疏散通道".into(),
        deadline,
    });
    hazard::create(&mut d, &header, inspection, &ev(0, report, before)).expect("create");
    for (k, kind) in extra.into_iter().enumerate() {
        let photos = if k + 1 == n { after.clone() } else { vec![] };
        hazard::append_event(&mut d, &ev(k + 1, kind, photos)).expect("event");
    }
    push(s, a, id, &mut d);
}

/// An inspection of `site` by `a`, its first item failed with a note, the next two passed.
fn inspection_now(s: &TestServer, a: &Author, site: &str, id: &str) {
    let now = closeloop_server::db::now_ms();
    let c = call(
        "GET",
        &format!("{}/v1/sites/{site}/checklist?purpose=patrol", s.url),
        Some(&a.token),
        None,
        "",
    );
    assert_eq!(c.status, 200, "{}", c.body);
    let checklist: Checklist = serde_json::from_value(c.body).expect("checklist");
    let mut d = AutoCommit::new().with_actor(a.actor.clone());
    let h = Header {
        kind: DocKind::Inspection,
        id: id.into(),
        site: place(s, site),
    };
    inspection::create(&mut d, &h, &a.user_id, now - 120_000, &checklist).expect("inspection");
    for (n, item) in checklist.items.iter().take(3).enumerate() {
        inspection::answer(
            &mut d,
            &ItemAnswer {
                id: format!("ans-{id}-{n}"),
                item_id: item.id.clone(),
                value: if n == 0 {
                    AnswerValue::Fail
                } else {
                    AnswerValue::Pass
                },
                note: if n == 0 {
                    "出口堆放纸箱".into()
                } else {
                    String::new()
                },
                by: a.user_id.clone(),
                at: now - 100_000 + n as i64,
            },
        )
        .expect("answer");
    }
    push(s, a, id, &mut d);
}

fn csv(s: &TestServer, token: &str, query: &str) -> String {
    let (status, h, body) = fetch(&format!("{}/v1/exports/{query}", s.url), Some(token), &[]);
    assert_eq!(status, 200, "{query}: {}", text(&body));
    assert!(
        h.get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/csv")),
        "{query}"
    );
    assert!(
        body.starts_with(b"\xEF\xBB\xBF"),
        "a BOM for spreadsheet programs"
    );
    text(&body)
}

#[test]
fn exports_carry_the_lists_filters_and_the_callers_reach() {
    let s = TestServer::start();
    let wang = author(&s, "wang");
    let zhao = author(&s, "zhao");
    let li = token(&s, "li", "li-browser");
    hazard_now(
        &s,
        &wang,
        &s.sites[0],
        "hzd-exp-major",
        "重大隐患甲",
        Severity::Major,
        None,
        None,
        vec![],
        vec![],
        vec![],
    );
    hazard_now(
        &s,
        &wang,
        &s.sites[1],
        "hzd-exp-general",
        "一般隐患乙",
        Severity::General,
        None,
        None,
        vec![],
        vec![],
        vec![],
    );
    hazard_now(
        &s,
        &zhao,
        &s.sites[3],
        "hzd-exp-grid2",
        "仓库隐患丙",
        Severity::General,
        None,
        None,
        vec![],
        vec![],
        vec![],
    );
    // A title a spreadsheet would run as a formula is kept as text.
    hazard_now(
        &s,
        &wang,
        &s.sites[1],
        "hzd-exp-formula",
        "=HYPERLINK(\"http://x\")",
        Severity::General,
        None,
        None,
        vec![],
        vec![],
        vec![],
    );

    let all = csv(&s, &li, "hazards?format=csv");
    for t in ["重大隐患甲", "一般隐患乙", "仓库隐患丙", "'=HYPERLINK"] {
        assert!(all.contains(t), "{t} in\n{all}");
    }
    assert!(
        all.lines()
            .next()
            .is_some_and(|h| h.contains("标题") || h.contains("隐患")),
        "Chinese headers: {all}"
    );
    let major = csv(&s, &li, "hazards?format=csv&severity=major");
    assert!(major.contains("重大隐患甲"));
    assert!(
        !major.contains("一般隐患乙") && !major.contains("仓库隐患丙"),
        "{major}"
    );
    assert_eq!(major.lines().count(), 2, "a header and one row: {major}");
    let grid2 = csv(&s, &li, "hazards?format=csv&grid_id=grid-2");
    assert!(
        grid2.contains("仓库隐患丙") && !grid2.contains("重大隐患甲"),
        "{grid2}"
    );
    let open = csv(
        &s,
        &li,
        &format!("hazards?format=csv&status=reported&site_id={}", s.sites[1]),
    );
    assert!(
        open.contains("一般隐患乙") && !open.contains("重大隐患甲"),
        "{open}"
    );
    // The grid-1 inspector's export never has grid 2's hazard, whatever the filter asks.
    let mine = csv(&s, &wang.token, "hazards?format=csv");
    assert!(
        mine.contains("重大隐患甲") && !mine.contains("仓库隐患丙"),
        "{mine}"
    );
    let other = csv(&s, &wang.token, "hazards?format=csv&grid_id=grid-2");
    assert_eq!(other.lines().count(), 1, "only the header: {other}");
    // English headers by the request's language.
    let (_, _, en) = fetch(
        &format!("{}/v1/exports/hazards?format=csv", s.url),
        Some(&li),
        &[("accept-language", "en")],
    );
    assert!(
        text(&en)
            .lines()
            .next()
            .is_some_and(|h| h.contains("Hazard,Site,Grid")),
        "{}",
        text(&en)
    );

    // XLSX: the same filter, a workbook (a zip holding the worksheet), the row count announced.
    let (status, h, book) = fetch(
        &format!("{}/v1/exports/hazards?format=xlsx&severity=major", s.url),
        Some(&li),
        &[],
    );
    assert_eq!(status, 200, "{}", text(&book));
    assert_eq!(
        h.get("x-export-rows").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert!(book.starts_with(b"PK\x03\x04"), "a zip");
    {
        use calamine::{Reader, Xlsx};
        let mut wb: Xlsx<_> =
            calamine::open_workbook_from_rs(std::io::Cursor::new(book.clone())).expect("xlsx");
        assert_eq!(wb.sheet_names(), ["隐患"]);
        let range = wb
            .worksheet_range_at(0)
            .expect("a sheet")
            .expect("readable");
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(rows.len(), 2, "a header and the major hazard: {rows:?}");
        assert_eq!(rows[0][1], "隐患");
        assert_eq!(
            (rows[1][0].as_str(), rows[1][1].as_str()),
            ("hzd-exp-major", "重大隐患甲")
        );
    }
    assert!(
        book.windows(24).any(|w| w == b"xl/worksheets/sheet1.xml"),
        "a worksheet"
    );
    assert!(
        h.get("content-disposition")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains(".xlsx")),
        "a download"
    );

    // Bad requests answer in the API's format.
    for q in [
        "hazards",
        "hazards?format=pdf",
        "hazards?format=csv&colour=red",
        "hazards?format=csv&limit=5",
        "hazards?format=csv&status=nonsense",
    ] {
        let (status, _, body) = fetch(&format!("{}/v1/exports/{q}", s.url), Some(&li), &[]);
        assert_eq!(status, 400, "{q}: {}", text(&body));
        assert!(
            serde_json::from_slice::<Value>(&body).is_ok(),
            "{q}: JSON error"
        );
    }
    let (status, _, _) = fetch(
        &format!("{}/v1/exports/hazards?format=csv", s.url),
        None,
        &[],
    );
    assert_eq!(status, 401);

    // Sites, filtered by grid and by name; inspections by site.
    let sites = csv(&s, &li, "sites?format=csv&grid_id=grid-2");
    assert!(
        sites.contains("物流仓库") && !sites.contains("便利店"),
        "{sites}"
    );
    let named = csv(&s, &li, "sites?format=csv&q=%E4%BE%BF%E5%88%A9");
    assert!(
        named.contains("便利店") && !named.contains("物流仓库"),
        "{named}"
    );
    let theirs = csv(&s, &zhao.token, "sites?format=csv");
    assert!(!theirs.contains("便利店"), "{theirs}");
    inspection_now(&s, &wang, &s.sites[0], "insp-exp-1");
    inspection_now(&s, &zhao, &s.sites[3], "insp-exp-2");
    let insp = csv(
        &s,
        &li,
        &format!("inspections?format=csv&site_id={}", s.sites[0]),
    );
    assert!(
        insp.contains("insp-exp-1") && !insp.contains("insp-exp-2"),
        "{insp}"
    );
    let insp = csv(&s, &zhao.token, "inspections?format=csv");
    assert!(
        insp.contains("insp-exp-2") && !insp.contains("insp-exp-1"),
        "{insp}"
    );

    // The schedule's catch-up run at start-up has stored yesterday's reports.
    let mut scheduled = 0;
    for _ in 0..50 {
        let r = call(
            "GET",
            &format!("{}/v1/reports?kind=daily", s.url),
            Some(&li),
            None,
            "",
        );
        scheduled = r.body["items"].as_array().map_or(0, |v| {
            v.iter().filter(|i| i["trigger"] == "schedule").count()
        });
        if scheduled >= 3 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(scheduled, 3, "the district's and both grids' daily reports");
}

#[test]
fn without_a_cjk_font_pdfs_answer_503_and_exports_still_work() {
    let s = TestServer::start_with(|c| {
        c.pdf_font = Some("/etc/hostname".into());
        c.reports_enabled = false;
    });
    let li = token(&s, "li", "li-browser");
    let (status, _, body) = fetch(
        &format!("{}/v1/sites/{}/archive.pdf", s.url, s.sites[0]),
        Some(&li),
        &[],
    );
    assert_eq!(status, 503, "{}", text(&body));
    assert!(
        text(&body).contains("pdf_font") && !text(&body).contains("/etc/hostname"),
        "says what to set, not the server's files: {}",
        text(&body)
    );
    let (status, _, _) = fetch(
        &format!("{}/v1/exports/sites?format=csv", s.url),
        Some(&li),
        &[],
    );
    assert_eq!(status, 200);
}

#[test]
fn an_export_reads_every_row_across_its_pages() {
    const N: i64 = 2_345;
    let s = TestServer::start_with(|c| c.reports_enabled = false);
    let li = token(&s, "li", "li-browser");
    let config = (*s.state.config).clone();
    let sites = s.sites.clone();
    let grids: Vec<String> = sites.iter().map(|x| site_grid(&s, x)).collect();
    s.block(async move {
        let st = closeloop_server::AppState::open(config).await.expect("state");
        let mut tx = st.db.pool.begin().await.expect("tx");
        for n in 0..N {
            let k = (n % 4) as usize;
            sqlx::query(
                "INSERT INTO hazards (id, org_id, grid_id, site_id, title, status, severity, assignee, deadline, reported_at, evidence_complete, photo_count, event_count, updated_at)
                 VALUES ($1, 'demo-org', $2, $3, $4, 'reported', $5, NULL, NULL, $6, 1, 0, 1, $6)",
            )
            .bind(format!("hzd-page-{n:05}"))
            .bind(&grids[k])
            .bind(&sites[k])
            .bind(format!("隐患 {n}"))
            .bind(if n % 13 == 0 { "major" } else { "general" })
            // Runs of equal times, so pages break inside them.
            .bind(1_700_000_000_000 + (n / 7) * 60_000)
            .execute(&mut *tx)
            .await
            .expect("insert");
        }
        tx.commit().await.expect("commit");
        st.db.pool.close().await;
    });
    let all = csv(&s, &li, "hazards?format=csv");
    let ids: std::collections::BTreeSet<&str> = all
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(
        all.lines().count() as i64,
        N + 1,
        "every row once, and a header"
    );
    assert_eq!(ids.len() as i64, N, "no row twice");
    let majors = csv(&s, &li, "hazards?format=csv&severity=major");
    assert_eq!(
        majors.lines().count() as i64 - 1,
        (0..N).filter(|n| n % 13 == 0).count() as i64
    );
    let (status, h, _) = fetch(
        &format!("{}/v1/exports/hazards?format=xlsx", s.url),
        Some(&li),
        &[],
    );
    assert_eq!(status, 200);
    assert_eq!(
        h.get("x-export-rows").and_then(|v| v.to_str().ok()),
        Some(N.to_string().as_str())
    );
}

#[test]
fn an_export_past_its_row_limit_is_refused() {
    let s = TestServer::start_with(|c| {
        c.export_max_rows = 1;
        c.reports_enabled = false;
    });
    let wang = author(&s, "wang");
    let li = token(&s, "li", "li-browser");
    hazard_now(
        &s,
        &wang,
        &s.sites[0],
        "hzd-lim-1",
        "甲",
        Severity::Major,
        None,
        None,
        vec![],
        vec![],
        vec![],
    );
    hazard_now(
        &s,
        &wang,
        &s.sites[0],
        "hzd-lim-2",
        "乙",
        Severity::General,
        None,
        None,
        vec![],
        vec![],
        vec![],
    );
    let (status, _, body) = fetch(
        &format!("{}/v1/exports/hazards?format=csv", s.url),
        Some(&li),
        &[],
    );
    assert_eq!(status, 400, "{}", text(&body));
    assert!(text(&body).contains("narrow"), "{}", text(&body));
    let (status, _, _) = fetch(
        &format!("{}/v1/exports/hazards?format=csv&severity=major", s.url),
        Some(&li),
        &[],
    );
    assert_eq!(status, 200);
}

#[test]
fn the_archive_and_the_notice_are_pdfs_with_chinese_text_and_photos_in_reach() {
    let s = TestServer::start_with(|c| c.reports_enabled = false);
    let wang = author(&s, "wang");
    let li = token(&s, "li", "li-browser");
    let zhao = token(&s, "zhao", "zhao-browser");
    let site = s.sites[0].clone();
    let before = upload(&s, &wang, 11);
    let after = upload(&s, &wang, 12);
    inspection_now(&s, &wang, &site, "insp-doc-1");
    let deadline = closeloop_server::db::now_ms() + 7 * 86_400_000;
    hazard_now(
        &s,
        &wang,
        &site,
        "hzd-doc-1",
        "安全出口堆放杂物",
        Severity::Major,
        Some(deadline),
        Some("insp-doc-1"),
        vec![before],
        vec![EventKind::FixedOnSpot],
        vec![after],
    );
    hazard_now(
        &s,
        &wang,
        &site,
        "hzd-doc-2",
        "灭火器压力不足",
        Severity::General,
        Some(deadline),
        Some("insp-doc-1"),
        vec![],
        vec![],
        vec![],
    );

    // The archive: profile, the inspection's answers, the hazards with both photos, the timeline.
    let (status, h, pdf) = fetch(
        &format!("{}/v1/sites/{site}/archive.pdf", s.url),
        Some(&li),
        &[],
    );
    assert_eq!(status, 200, "{}", text(&pdf));
    assert_eq!(
        h.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let (words, images) = inspect_pdf("archive", &pdf);
    for w in [
        "一企一档",
        "川菜馆",
        "第一网格",
        "出口堆放纸箱",
        "安全出口堆放杂物",
        "灭火器压力不足",
        "王网格员",
        "张老板",
    ] {
        assert!(words.contains(w), "{w} in the archive:\n{words}");
    }
    assert!(images >= 2, "before and after photos embedded: {images}");

    // Out of reach reads exactly as missing.
    let (status, _, other) = fetch(
        &format!("{}/v1/sites/{site}/archive.pdf", s.url),
        Some(&zhao),
        &[],
    );
    let (status2, _, ghost) = fetch(
        &format!("{}/v1/sites/site-nothing/archive.pdf", s.url),
        Some(&zhao),
        &[],
    );
    assert_eq!((status, status2), (404, 404));
    let strip = |b: &[u8]| {
        let mut v: Value = serde_json::from_slice(b).expect("json");
        v.as_object_mut().map(|o| o.remove("message"));
        v
    };
    assert_eq!(
        strip(&other),
        strip(&ghost),
        "the same answer as a site that does not exist"
    );

    // The notice for one hazard: site, item, clause, deadline, photo, signature lines.
    let (status, _, pdf) = fetch(
        &format!("{}/v1/hazards/hzd-doc-1/notice.pdf", s.url),
        Some(&wang.token),
        &[],
    );
    assert_eq!(status, 200, "{}", text(&pdf));
    let (words, images) = inspect_pdf("notice", &pdf);
    for w in [
        "整改通知书",
        "川菜馆",
        "安全出口堆放杂物",
        "《消防法》第二十八条",
        "签字",
    ] {
        assert!(words.contains(w), "{w} in the notice:\n{words}");
    }
    assert!(
        !words.contains("灭火器压力不足"),
        "one hazard's notice has that hazard only"
    );
    assert_eq!(images, 1, "the before photo");
    // One inspection's hazards.
    let (status, _, pdf) = fetch(
        &format!("{}/v1/inspections/insp-doc-1/notice.pdf", s.url),
        Some(&li),
        &[("accept-language", "en")],
    );
    assert_eq!(status, 200, "{}", text(&pdf));
    let (words, _) = inspect_pdf("notice-inspection-en", &pdf);
    for w in ["Rectification notice", "安全出口堆放杂物", "灭火器压力不足"] {
        assert!(
            words.contains(w),
            "{w} in the inspection's notice:\n{words}"
        );
    }
    for path in [
        "/v1/hazards/hzd-doc-1/notice.pdf",
        "/v1/inspections/insp-doc-1/notice.pdf",
    ] {
        let (status, _, _) = fetch(&format!("{}{path}", s.url), Some(&zhao), &[]);
        assert_eq!(status, 404, "{path} out of reach");
    }
}

fn report_post(s: &TestServer, token: &str, body: Value) -> Res {
    post(&format!("{}/v1/reports", s.url), Some(token), &body)
}

#[test]
fn reports_count_the_seeded_hazards_and_the_schedule_makes_each_once() {
    let s = TestServer::start_with(|c| c.reports_enabled = false);
    let wang = author(&s, "wang");
    let zhao = author(&s, "zhao");
    let li = token(&s, "li", "li-browser");
    let now = closeloop_server::db::now_ms();
    // Grid 1: three found today, one of them overdue, one fixed on the spot and accepted.
    hazard_now(
        &s,
        &wang,
        &s.sites[0],
        "hzd-rep-1",
        "逾期未改",
        Severity::Major,
        Some(now - 1000),
        None,
        vec![],
        vec![],
        vec![],
    );
    hazard_now(
        &s,
        &wang,
        &s.sites[1],
        "hzd-rep-2",
        "当场整改",
        Severity::General,
        None,
        None,
        vec![],
        vec![EventKind::FixedOnSpot],
        vec![],
    );
    hazard_now(
        &s,
        &wang,
        &s.sites[2],
        "hzd-rep-3",
        "待整改",
        Severity::General,
        Some(now + 86_400_000),
        None,
        vec![],
        vec![],
        vec![],
    );
    let r = post(
        &format!("{}/v1/hazards/hzd-rep-2/actions", s.url),
        Some(&li),
        &json!({"type": "accepted"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Grid 2: one.
    hazard_now(
        &s,
        &zhao,
        &s.sites[3],
        "hzd-rep-4",
        "仓库",
        Severity::General,
        None,
        None,
        vec![],
        vec![],
        vec![],
    );

    let r = report_post(&s, &li, json!({"kind": "daily"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let t = &r.body["body"]["totals"];
    assert_eq!(
        (
            t["found"].as_i64(),
            t["closed"].as_i64(),
            t["overdue"].as_i64()
        ),
        (Some(4), Some(1), Some(1)),
        "{}",
        r.body
    );
    assert_eq!(t["closure_rate"].as_f64(), Some(0.25));
    assert_eq!(r.body["partial"], true, "today is not over");
    let grids = r.body["body"]["grids"].as_array().expect("grids");
    let g1 = grids
        .iter()
        .find(|g| g["grid_id"] == "grid-1")
        .expect("grid-1");
    assert_eq!(
        (
            g1["figures"]["found"].as_i64(),
            g1["figures"]["closed"].as_i64()
        ),
        (Some(3), Some(1))
    );
    let worst = r.body["body"]["worst_sites"].as_array().expect("worst");
    assert!(
        worst.iter().any(|w| w["site_id"] == json!(s.sites[0])),
        "the overdue major's site: {worst:?}"
    );
    let district = r.body["id"].as_str().expect("id").to_owned();

    // The grid inspector: its own grid's report, never the district's or another grid's.
    let r = report_post(&s, &wang.token, json!({"kind": "daily"}));
    assert_eq!(r.status, 403, "{}", r.body);
    let r = report_post(
        &s,
        &wang.token,
        json!({"kind": "daily", "grid_id": "grid-2"}),
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let r = report_post(
        &s,
        &wang.token,
        json!({"kind": "monthly", "grid_id": "grid-1"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["body"]["totals"]["found"].as_i64(), Some(3));
    let grid1 = r.body["id"].as_str().expect("id").to_owned();
    let list = call(
        "GET",
        &format!("{}/v1/reports", s.url),
        Some(&wang.token),
        None,
        "",
    );
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"].as_str())
        .collect();
    assert_eq!(ids, [grid1.as_str()], "{}", list.body);
    for (token, id) in [(&wang.token, &district), (&zhao.token, &grid1)] {
        let r = call(
            "GET",
            &format!("{}/v1/reports/{id}", s.url),
            Some(token),
            None,
            "",
        );
        assert_eq!(r.status, 404);
        let (status, _, _) = fetch(
            &format!("{}/v1/reports/{id}/report.pdf", s.url),
            Some(token),
            &[],
        );
        assert_eq!(status, 404);
    }
    let r = report_post(&s, &li, json!({"kind": "yearly"}));
    assert_eq!(r.status, 400);

    // The PDF says the same.
    let (status, _, pdf) = fetch(
        &format!("{}/v1/reports/{district}/report.pdf", s.url),
        Some(&li),
        &[],
    );
    assert_eq!(status, 200, "{}", text(&pdf));
    let (words, _) = inspect_pdf("report", &pdf);
    for w in ["日报", "第一网格", "第二网格", "25%", "川菜馆"] {
        assert!(words.contains(w), "{w} in the report:\n{words}");
    }

    // The schedule, run for Monday 2026-11-30 06:00 in UTC+8: Sunday's and last week's reports
    // for the district and both grids; a second run makes none.
    let run = closeloop_model::calendar::Date::parse("2026-11-30")
        .expect("date")
        .start_millis(480)
        + 6 * 3_600_000;
    // A second state on the same database and its own runtime (a pool's connections belong to
    // the runtime that opened them), as a second replica would run it.
    let config = (*s.state.config).clone();
    let (made, again) = s.block(async move {
        let replica = closeloop_server::AppState::open(config)
            .await
            .expect("state");
        let made = closeloop_server::reports::run_schedule(&replica, run).await;
        let again = closeloop_server::reports::run_schedule(&replica, run).await;
        replica.db.pool.close().await;
        (made.expect("schedule"), again.expect("schedule"))
    });
    assert_eq!(made, 6);
    assert_eq!(again, 0, "complete reports are not made twice");
    let list = call(
        "GET",
        &format!("{}/v1/reports?kind=weekly&grid_id=district", s.url),
        Some(&li),
        None,
        "",
    );
    let items = list.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{}", list.body);
    assert_eq!(
        (items[0]["trigger"].as_str(), items[0]["partial"].as_bool()),
        (Some("schedule"), Some(false))
    );
    let detail = call(
        "GET",
        &format!(
            "{}/v1/reports/{}",
            s.url,
            items[0]["id"].as_str().expect("id")
        ),
        Some(&li),
        None,
        "",
    );
    assert_eq!(detail.body["body"]["first_day"], "2026-11-23");
    assert_eq!(
        detail.body["body"]["totals"]["found"].as_i64(),
        Some(0),
        "nothing was found that week"
    );
}

/// A signed-in console session: its cookie and CSRF token.
struct Console {
    base: String,
    cookie: String,
    csrf: String,
}

fn set_cookie(h: &ureq::http::HeaderMap, name: &str) -> Option<String> {
    h.get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

impl Console {
    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .into()
    }

    fn login(s: &TestServer, user: &str) -> Console {
        let agent = Self::agent();
        let form = agent
            .get(&format!("{}/console/login", s.url))
            .call()
            .expect("login page");
        let login_csrf = set_cookie(form.headers(), "cl_login_csrf").expect("login csrf");
        let res = agent
            .post(&format!("{}/console/login", s.url))
            .header("cookie", &format!("cl_login_csrf={login_csrf}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .send(format!(
                "username={user}&password={user}-demo-pass&csrf={login_csrf}"
            ))
            .expect("login");
        let cookie = format!(
            "cl_session={}",
            set_cookie(res.headers(), "cl_session").expect("session")
        );
        let mut c = Console {
            base: s.url.clone(),
            cookie,
            csrf: String::new(),
        };
        let (_, _, page) = c.get("/console/reports");
        let page = text(&page);
        let at = page.find("data-csrf=\"").expect("csrf") + 11;
        c.csrf = page[at..at + page[at..].find('"').expect("end")].to_owned();
        c
    }

    fn get(&self, path: &str) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
        fetch(
            &format!("{}{path}", self.base),
            None,
            &[("cookie", &self.cookie)],
        )
    }

    fn post(&self, path: &str, form: &str) -> (u16, String) {
        let mut res = Self::agent()
            .post(&format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .send(form.to_owned())
            .expect("post");
        let location = res
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let _ = res.body_mut().read_to_string();
        (res.status().as_u16(), location)
    }
}

/// The `href` of the first link whose text is `label`.
fn link(page: &str, label: &str) -> String {
    let end = page
        .find(&format!(">{label}</a>"))
        .unwrap_or_else(|| panic!("{label} on the page"));
    let start = page[..end].rfind("href=\"").expect("href") + 6;
    page[start..start + page[start..].find('"').expect("end")]
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

#[test]
fn the_console_exports_what_its_lists_show_prints_archives_and_lists_reports() {
    let s = TestServer::start_with(|c| c.reports_enabled = false);
    let wang = author(&s, "wang");
    let site = s.sites[0].clone();
    let before = upload(&s, &wang, 21);
    hazard_now(
        &s,
        &wang,
        &site,
        "hzd-con-1",
        "疏散指示标志损坏",
        Severity::Major,
        None,
        None,
        vec![before.clone()],
        vec![],
        vec![],
    );
    hazard_now(
        &s,
        &wang,
        &s.sites[1],
        "hzd-con-2",
        "插线板串接",
        Severity::General,
        None,
        None,
        vec![],
        vec![],
        vec![],
    );
    let li = Console::login(&s, "li");

    // The hazards list filtered to majors: its export link carries the filter.
    let (status, _, page) = li.get("/console/hazards?severity=major");
    assert_eq!(status, 200);
    let href = link(&text(&page), "导出 CSV");
    assert!(
        href.starts_with("/console/exports/hazards?format=csv") && href.contains("severity=major"),
        "{href}"
    );
    let (status, _, body) = li.get(&href);
    assert_eq!(status, 200, "{}", text(&body));
    let rows = text(&body);
    assert!(
        rows.contains("疏散指示标志损坏") && !rows.contains("插线板串接"),
        "{rows}"
    );
    let (status, h, _) = li.get(&link(&text(&page), "导出 Excel"));
    assert_eq!(
        (status, h.get("x-export-rows").and_then(|v| v.to_str().ok())),
        (200, Some("1"))
    );
    let (_, _, page) = li.get("/console/sites?grid_id=grid-2");
    let (_, _, body) = li.get(&link(&text(&page), "导出 CSV"));
    assert!(text(&body).contains("物流仓库") && !text(&body).contains("便利店"));

    // The archive, printable, with the photo through the console's photo route and a PDF link.
    let (status, _, page) = li.get(&format!("/console/sites/{site}/archive"));
    let page = text(&page);
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("一企一档")
            && page.contains("疏散指示标志损坏")
            && page.contains(&format!("/console/photos/{before}")),
        "{page}"
    );
    assert!(
        page.contains("data-print") && page.contains(&format!("/console/sites/{site}/archive.pdf"))
    );
    let (status, h, pdf) = li.get(&format!("/console/sites/{site}/archive.pdf"));
    assert_eq!(
        (status, h.get("content-type").and_then(|v| v.to_str().ok())),
        (200, Some("application/pdf"))
    );
    let (words, images) = inspect_pdf("console-archive", &pdf);
    assert!(words.contains("疏散指示标志损坏") && images >= 1);
    let (_, _, hazard) = li.get("/console/hazards/hzd-con-1");
    assert!(text(&hazard).contains("/console/hazards/hzd-con-1/notice.pdf"));
    let css = text(&li.get("/console/assets/console.css").2);
    // Kept beside the PDFs, for a person to look at in a browser.
    std::fs::write(out_dir().join("console.css"), &css).expect("css");
    std::fs::write(
        out_dir().join("archive.html"),
        page.replace("/console/assets/", ""),
    )
    .expect("html");
    assert!(css.contains("@media print"), "print styles");
    // Another grid's inspector: not found, for the page and the PDFs.
    let zhao = Console::login(&s, "zhao");
    for path in [
        format!("/console/sites/{site}/archive"),
        format!("/console/sites/{site}/archive.pdf"),
        "/console/hazards/hzd-con-1/notice.pdf".into(),
        "/console/exports/hazards?format=csv&severity=major".into(),
    ] {
        let (status, _, body) = zhao.get(&path);
        if path.contains("exports") {
            assert!(!text(&body).contains("疏散指示标志损坏"), "{path}");
        } else {
            assert_eq!(status, 404, "{path}");
        }
    }

    // Reports: a form with the session's token makes one and shows it; without it, refused.
    let (status, _) = li.post("/console/reports", "kind=weekly&grid_id=&date=");
    assert_eq!(status, 403);
    let (status, location) = li.post(
        "/console/reports",
        &format!("csrf={}&kind=weekly&grid_id=grid-1&date=", li.csrf),
    );
    assert_eq!(status, 303, "{location}");
    assert!(location.starts_with("/console/reports/rpt-"), "{location}");
    let (status, _, page) = li.get(&location);
    let page = text(&page);
    assert_eq!(status, 200);
    assert!(
        page.contains("周报") && page.contains("第一网格") && page.contains("川菜馆"),
        "{page}"
    );
    std::fs::write(
        out_dir().join("report.html"),
        page.replace("/console/assets/", ""),
    )
    .expect("html");
    let (_, _, list) = li.get("/console/reports");
    let list = text(&list);
    std::fs::write(
        out_dir().join("reports.html"),
        list.replace("/console/assets/", ""),
    )
    .expect("html");
    assert!(
        list.contains(&location) && list.contains(&format!("{location}/report.pdf")),
        "{list}"
    );
    let (status, _, _) = zhao.get(&location);
    assert_eq!(status, 404, "grid 1's report is not grid 2's");
    let (_, _, zl) = zhao.get("/console/reports");
    assert!(!text(&zl).contains(&location));
}
