//! Bulk imports of sites and users (`POST /v1/admin/imports/{kind}`): a dry run lists every
//! row's problems in the caller's language and writes nothing; an import is all or nothing; the
//! same file imported twice changes nothing; CSV and XLSX read alike; the file's size and rows
//! are bounded; only an administrator imports, and only into their organisation.

mod common;

use common::*;
use serde_json::Value;
use std::time::Instant;

const HEADER: &str = "code,name,grid_id,address,lat,lon,premises,floor_area_m2,storeys,building_height_m,occupants,gas,hazard_level,kitchen";

fn site_row(i: usize, grid: &str) -> String {
    format!(
        "S-{i:05},商铺{i},{grid},示范路 {i} 号,31.{:04},121.{:04},small_shop,80,1,4.5,12,none,medium,否",
        i % 10_000,
        (i * 7) % 10_000
    )
}

fn csv(rows: &[String]) -> Vec<u8> {
    let mut s = String::from(HEADER);
    for r in rows {
        s.push('\n');
        s.push_str(r);
    }
    s.push('\n');
    s.into_bytes()
}

fn import(s: &TestServer, token: &str, kind: &str, query: &str, body: &[u8], ct: &str) -> Res {
    call(
        "POST",
        &format!("{}/v1/admin/imports/{kind}?{query}", s.url),
        Some(token),
        Some(body),
        ct,
    )
}

fn count(s: &TestServer, sql: &'static str) -> i64 {
    s.block(async {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&s.state.db.pool)
            .await
            .expect("count")
    })
}

fn state_counts(s: &TestServer) -> (i64, i64, i64, i64) {
    (
        count(s, "SELECT COUNT(*) FROM sites"),
        count(s, "SELECT COUNT(*) FROM doc_changes"),
        count(s, "SELECT COUNT(*) FROM audit_log"),
        count(s, "SELECT COUNT(*) FROM users"),
    )
}

fn problems(v: &Value) -> Vec<(i64, String)> {
    v["problems"]
        .as_array()
        .unwrap_or_else(|| panic!("problems in {v}"))
        .iter()
        .map(|p| {
            (
                p["row"].as_i64().expect("row"),
                p["column"].as_str().expect("column").to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_dry_run_lists_every_problem_in_the_users_language_and_writes_nothing() {
    let s = TestServer::start();
    let admin = token(&s, "admin", "a");
    let mut rows: Vec<String> = (1..=5).map(|i| site_row(i, "grid-1")).collect();
    rows.push("S-00002,重复,grid-1,,,,small_shop,80,1,4.5,12,none,medium,否".into()); // row 7
    rows.push("S-00007,,grid-9,,95,121.1,castle,-3,x,4,12,coal,medium,也许".into()); // row 8
    rows.push(",无编号,grid-2,,31.1,,small_shop,80,1,4.5,12,none,medium,".into()); // row 9
    let file = csv(&rows);
    let before = state_counts(&s);
    let r = import(
        &s,
        &admin,
        "sites",
        "dry_run=true&lang=en",
        &file,
        "text/csv",
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["written"], false);
    assert_eq!(r.body["rows"], 8);
    let got = problems(&r.body);
    for want in [
        (7, "code"),
        (8, "name"),
        (8, "grid_id"),
        (8, "lat"),
        (8, "premises"),
        (8, "storeys"),
        (8, "gas"),
        (8, "kitchen"),
        (9, "code"),
        (9, "lat"),
    ] {
        assert!(
            got.contains(&(want.0, want.1.to_owned())),
            "{want:?} in {got:?}"
        );
    }
    assert!(
        got.iter().all(|(row, _)| *row >= 7),
        "good rows have none: {got:?}"
    );
    let text = r.body.to_string();
    assert!(text.contains("the same as row 3"), "{text}");
    assert!(
        text.contains("your organisation has no grid `grid-9`"),
        "{text}"
    );
    let zh = import(
        &s,
        &admin,
        "sites",
        "dry_run=true&lang=zh",
        &file,
        "text/csv",
    );
    let text = zh.body.to_string();
    assert!(text.contains("与第 3 行重复"), "{text}");
    assert!(text.contains("本单位没有网格“grid-9”"), "{text}");
    assert!(text.contains("必填"), "{text}");
    assert_eq!(state_counts(&s), before, "a dry run writes nothing");

    // The import of the same file: refused whole for its three bad rows.
    let r = import(&s, &admin, "sites", "lang=en", &file, "text/csv");
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["written"], false);
    assert_eq!(
        state_counts(&s),
        before,
        "all or nothing: none of the good rows"
    );

    // One bad cell in an otherwise good file is enough to write nothing.
    let mut one_bad: Vec<String> = (1..=20).map(|i| site_row(i, "grid-1")).collect();
    one_bad[19] = one_bad[19].replace(",80,", ",eighty,");
    let r = import(&s, &admin, "sites", "", &csv(&one_bad), "text/csv");
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(problems(&r.body), [(21, "floor_area_m2".to_owned())]);
    assert_eq!(state_counts(&s), before);

    // Headers are checked too: an unknown column and a missing one.
    let bad_header = "code,name,grid,colour\nS-1,x,grid-1,red\n";
    let r = import(
        &s,
        &admin,
        "sites",
        "lang=en",
        bad_header.as_bytes(),
        "text/csv",
    );
    assert_eq!(r.status, 422);
    let got = problems(&r.body);
    assert!(got.contains(&(1, "colour".into())), "{got:?}");
    assert!(got.contains(&(1, "premises".into())), "{got:?}");
}

#[test]
fn an_import_writes_every_row_and_the_same_file_again_changes_nothing() {
    let s = TestServer::start();
    let admin = token(&s, "admin", "a");
    let rows: Vec<String> = (1..=30)
        .map(|i| site_row(i, if i % 2 == 0 { "grid-1" } else { "grid-2" }))
        .collect();
    let file = csv(&rows);
    let dry = import(&s, &admin, "sites", "dry_run=true", &file, "text/csv");
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(dry.body["created"], 30);
    assert_eq!(dry.body["written"], false);
    let (sites0, changes0, audit0, _) = state_counts(&s);
    let r = import(&s, &admin, "sites", "", &file, "text/csv");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["written"], true);
    assert_eq!(r.body["created"], 30);
    let (sites1, changes1, audit1, _) = state_counts(&s);
    assert_eq!(sites1, sites0 + 30);
    assert_eq!(
        changes1,
        changes0 + 60,
        "each site and its task plan in the feed"
    );
    assert_eq!(audit1, audit0 + 1);
    // A grid-1 inspector works at the imported grid-1 sites at once, and not at grid-2's.
    let wang = token(&s, "wang", "w");
    let pool = s.state.db.pool.clone();
    let site_of = |code: &'static str| {
        let pool = pool.clone();
        s.block(async move {
            sqlx::query_scalar::<_, String>("SELECT site_id FROM site_codes WHERE code = $1")
                .bind(code)
                .fetch_one(&pool)
                .await
                .expect("site")
        })
    };
    let seen = |id: &str| {
        call(
            "GET",
            &format!("{}/v1/sites/{id}", s.url),
            Some(&wang),
            None,
            "",
        )
        .status
    };
    assert_eq!(seen(&site_of("S-00002")), 200);
    assert_eq!(seen(&site_of("S-00001")), 404);

    let again = import(&s, &admin, "sites", "", &file, "text/csv");
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["written"], false);
    assert_eq!(again.body["unchanged"], 30);
    assert_eq!(again.body["created"], 0);
    assert_eq!(
        state_counts(&s),
        (sites1, changes1, audit1, state_counts(&s).3),
        "the same file twice changes nothing"
    );

    // A changed row updates its site (and a new grid moves it); the rest stay as they are.
    let mut changed = rows.clone();
    changed[0] = changed[0].replace("商铺1,grid-2", "商铺一号,grid-1");
    let r = import(&s, &admin, "sites", "", &csv(&changed), "text/csv");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["updated"], 1);
    assert_eq!(r.body["unchanged"], 29);
    let moved = s.block(async {
        sqlx::query_scalar::<_, String>(
            "SELECT s.grid_id FROM sites s JOIN site_codes c ON c.site_id = s.id WHERE c.code = 'S-00001'",
        )
        .fetch_one(&s.state.db.pool)
        .await
        .expect("site")
    });
    assert_eq!(moved, "grid-1");

    // Only an administrator imports; a supervisor is refused before the file is read.
    let li = token(&s, "li", "l");
    let r = import(&s, &li, "sites", "dry_run=true", &file, "text/csv");
    assert_eq!(r.status, 403, "{}", r.body);
    let r = import(&s, &admin, "grids", "", &file, "text/csv");
    assert_eq!(r.status, 404);
}

#[test]
fn xlsx_reads_like_csv_and_users_import_with_their_sites() {
    let s = TestServer::start_two_orgs();
    let admin = token(&s, "admin", "a");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let mut lines = vec![HEADER.to_owned()];
    lines.extend((1..=3).map(|i| site_row(i, "grid-1")));
    for (r, line) in lines.iter().enumerate() {
        for (c, v) in line.split(',').enumerate() {
            // Numbers as numbers, the way a spreadsheet holds them.
            match v.parse::<f64>() {
                Ok(x) if r > 0 => sheet.write_number(r as u32, c as u16, x).map(|_| ()),
                _ => sheet.write_string(r as u32, c as u16, v).map(|_| ()),
            }
            .expect("cell");
        }
    }
    let xlsx = book.save_to_buffer().expect("xlsx");
    let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let r = import(&s, &admin, "sites", "", &xlsx, ct);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 3);
    // The same sites as CSV are the same rows: nothing changes.
    let r = import(&s, &admin, "sites", "", &csv(&lines[1..]), "text/csv");
    assert_eq!(r.body["unchanged"], 3, "{}", r.body);

    let users = "用户名,姓名,角色,网格,场所编号,密码\n\
                 qian,钱网格员,网格员,grid-1,,qian-pass-1\n\
                 sun,孙老板,owner,,S-00001;S-00002,sun-pass-12\n\
                 qian,又一个,inspector,grid-1,,qian-pass-2\n\
                 b-wang,抢号,inspector,grid-1,,bwang-pass-1\n\
                 zhou,周,owner,,S-00001;S-99999,zhou-pass-1\n\
                 wu,吴,inspector,grid-1,,short\n";
    let r = import(&s, &admin, "users", "lang=en", users.as_bytes(), "text/csv");
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(
        problems(&r.body),
        [
            (4, "username".to_owned()),
            (5, "username".to_owned()),
            (6, "site_codes".to_owned()),
            (7, "password".to_owned()),
        ],
        "{}",
        r.body
    );
    let good: String = users.lines().take(3).collect::<Vec<_>>().join("\n");
    let before = state_counts(&s).3;
    let r = import(&s, &admin, "users", "", good.as_bytes(), "text/csv");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 2);
    assert_eq!(state_counts(&s).3, before + 2);
    let sun = post(
        &format!("{}/v1/auth/login", s.url),
        None,
        &serde_json::json!({"username": "sun", "password": "sun-pass-12", "device_id": "p"}),
    )
    .body;
    assert_eq!(sun["user"]["role"], "owner");
    assert_eq!(
        sun["user"]["site_ids"].as_array().expect("sites").len(),
        2,
        "{sun}"
    );
    let r = import(&s, &admin, "users", "", good.as_bytes(), "text/csv");
    assert_eq!(r.body["unchanged"], 2, "{}", r.body);
    assert_eq!(r.body["written"], false);
    // Another organisation's admin cannot reach our grids or site codes.
    let b_admin = token(&s, "b-admin", "b");
    let theirs = "code,name,grid_id,premises,floor_area_m2,storeys,building_height_m,occupants,gas,hazard_level\nS-00001,冒名,grid-1,small_shop,80,1,4,10,none,light\n";
    let r = import(&s, &b_admin, "sites", "", theirs.as_bytes(), "text/csv");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["created"], 1,
        "codes are each organisation's own: theirs is a new site of theirs"
    );
    let ours = s.block(async {
        sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM site_codes WHERE code = 'S-00001' AND org_id = 'demo-org'",
        )
        .fetch_one(&s.state.db.pool)
        .await
        .expect("count")
    });
    assert_eq!(ours, 1);
}

#[test]
fn files_are_bounded_in_bytes_and_rows() {
    let s = TestServer::start_with(|c| {
        c.import_max_bytes = 16384;
        c.import_max_rows = 10;
    });
    let admin = token(&s, "admin", "a");
    let big = vec![b'a'; 17000];
    let r = import(&s, &admin, "sites", "dry_run=true", &big, "text/csv");
    assert_eq!(r.status, 413, "{}", r.body);
    let rows: Vec<String> = (1..=12).map(|i| site_row(i, "grid-1")).collect();
    let r = import(
        &s,
        &admin,
        "sites",
        "dry_run=true&lang=en",
        &csv(&rows),
        "text/csv",
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.to_string().contains("at most 10 rows"), "{}", r.body);
    // An XLSX whose parts would unpack past the bound is refused before it is read.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for r in 0..2000u32 {
        sheet.write_string(r, 0, "x".repeat(200)).expect("cell");
    }
    let xlsx = book.save_to_buffer().expect("xlsx");
    assert!(xlsx.len() < 16384, "compressed it fits: {}", xlsx.len());
    let r = import(
        &s,
        &admin,
        "sites",
        "dry_run=true",
        &xlsx,
        "application/octet-stream",
    );
    assert_eq!(r.status, 413, "{}", r.body);
}

/// A district's spreadsheet: 10,000 sites checked, imported in one transaction, and imported
/// again as a no-op. The timings are printed (`--nocapture`) for the record.
#[test]
fn ten_thousand_sites_import_once() {
    let s = TestServer::start_with(|c| c.import_max_bytes = 32 << 20);
    let admin = token(&s, "admin", "a");
    let rows: Vec<String> = (1..=10_000)
        .map(|i| site_row(i, if i % 3 == 0 { "grid-2" } else { "grid-1" }))
        .collect();
    let file = csv(&rows);
    let t = Instant::now();
    let dry = import(&s, &admin, "sites", "dry_run=true", &file, "text/csv");
    let dry_time = t.elapsed();
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert_eq!(dry.body["created"], 10_000);
    let t = Instant::now();
    let r = import(&s, &admin, "sites", "", &file, "text/csv");
    let import_time = t.elapsed();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 10_000);
    let t = Instant::now();
    let again = import(&s, &admin, "sites", "", &file, "text/csv");
    let again_time = t.elapsed();
    assert_eq!(again.body["unchanged"], 10_000, "{}", again.body);
    assert_eq!(again.body["written"], false);
    assert_eq!(count(&s, "SELECT COUNT(*) FROM site_codes"), 10_000);
    println!(
        "10,000-row site import ({} bytes): dry run {:.2}s, import {:.2}s, re-import {:.2}s",
        file.len(),
        dry_time.as_secs_f64(),
        import_time.as_secs_f64(),
        again_time.as_secs_f64()
    );
}
