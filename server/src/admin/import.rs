//! Bulk import of sites and users from a CSV or XLSX file (ADR 0007). Every row is checked
//! first, and every problem is listed with its row, column and reason in the administrator's
//! language; only a file without problems is written, in one transaction with one audit entry,
//! so an import is all or nothing. Rows are matched to what exists by the site's code (编号) and
//! the user's username: a row that matches and says nothing new changes nothing, so importing
//! the same file twice writes nothing the second time.

use super::sites::{self, SiteFields};
use super::{begin, require_admin};
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::store::{self, accounts, audit, placement};
use crate::sync::server_side::Writer;
use closeloop_checklists::{Premises, SiteProfile};
use closeloop_model::roles::{Role, Scope};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Sites,
    Users,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "sites" => Some(Kind::Sites),
            "users" => Some(Kind::Users),
            _ => None,
        }
    }
}

/// The language problems are told in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: Option<&str>) -> Lang {
        if s == Some("en") { Lang::En } else { Lang::Zh }
    }
}

/// One problem of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The row in the file, the header being row 1.
    pub row: usize,
    pub column: String,
    pub reason: String,
}

/// What an import found, and did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: Kind,
    pub dry_run: bool,
    /// Whether anything was written: never on a dry run, never with a problem.
    pub written: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub problems: Vec<Problem>,
    /// Problems past the first [`MAX_LISTED`], counted, not listed.
    pub left_out: usize,
}

/// The most problems a report lists.
pub const MAX_LISTED: usize = 1000;

/// The problems' texts.
enum Msg<'a> {
    NoRows,
    Required,
    UnknownColumn,
    MissingColumn,
    TooLong(usize),
    NotNumber,
    NotInteger,
    NotBool,
    OneOf(&'a str),
    BothOrNeither,
    OutOfRange(&'a str),
    NoGrid(&'a str),
    DuplicateInFile(usize),
    TooManyRows(usize),
    Profile(&'a str),
    UsernameTaken,
    UnknownSite(&'a str),
    Password,
    Scope(&'a str),
    CodeTaken,
}

fn say(lang: Lang, m: Msg<'_>) -> String {
    use Msg::*;
    match (lang, m) {
        (Lang::Zh, NoRows) => "文件没有表头或没有数据行".into(),
        (Lang::En, NoRows) => "the file has no header or no rows".into(),
        (Lang::Zh, Required) => "必填".into(),
        (Lang::En, Required) => "required".into(),
        (Lang::Zh, UnknownColumn) => "未知的列".into(),
        (Lang::En, UnknownColumn) => "unknown column".into(),
        (Lang::Zh, MissingColumn) => "缺少此列".into(),
        (Lang::En, MissingColumn) => "this column is missing".into(),
        (Lang::Zh, TooLong(n)) => format!("最多 {n} 个字符"),
        (Lang::En, TooLong(n)) => format!("at most {n} characters"),
        (Lang::Zh, NotNumber) => "应为数字".into(),
        (Lang::En, NotNumber) => "not a number".into(),
        (Lang::Zh, NotInteger) => "应为非负整数".into(),
        (Lang::En, NotInteger) => "not a whole number of 0 or more".into(),
        (Lang::Zh, NotBool) => "应为 是/否".into(),
        (Lang::En, NotBool) => "not yes/no".into(),
        (Lang::Zh, OneOf(v)) => format!("应为以下之一：{v}"),
        (Lang::En, OneOf(v)) => format!("not one of: {v}"),
        (Lang::Zh, BothOrNeither) => "经度和纬度须同时填写或同时留空".into(),
        (Lang::En, BothOrNeither) => "give both lat and lon, or neither".into(),
        (Lang::Zh, OutOfRange(r)) => format!("超出范围（{r}）"),
        (Lang::En, OutOfRange(r)) => format!("out of range ({r})"),
        (Lang::Zh, NoGrid(g)) => format!("本单位没有网格“{g}”"),
        (Lang::En, NoGrid(g)) => format!("your organisation has no grid `{g}`"),
        (Lang::Zh, DuplicateInFile(r)) => format!("与第 {r} 行重复"),
        (Lang::En, DuplicateInFile(r)) => format!("the same as row {r}"),
        (Lang::Zh, TooManyRows(n)) => format!("一个文件最多 {n} 行，其后未读"),
        (Lang::En, TooManyRows(n)) => format!("a file has at most {n} rows; the rest was not read"),
        (Lang::Zh, Profile(r)) => format!("场所信息不合理：{r}"),
        (Lang::En, Profile(r)) => format!("the site's profile: {r}"),
        (Lang::Zh, UsernameTaken) => "用户名已被占用".into(),
        (Lang::En, UsernameTaken) => "this username is taken".into(),
        (Lang::Zh, UnknownSite(c)) => format!("没有编号为“{c}”的场所"),
        (Lang::En, UnknownSite(c)) => format!("no site has the code `{c}`"),
        (Lang::Zh, Password) => "新用户须有至少 8 个字符的密码".into(),
        (Lang::En, Password) => "a new user needs a password of at least 8 characters".into(),
        (Lang::Zh, Scope(r)) => format!("角色与网格、场所不符：{r}"),
        (Lang::En, Scope(r)) => format!("role and scope do not fit: {r}"),
        (Lang::Zh, CodeTaken) => "此编号已属于另一场所".into(),
        (Lang::En, CodeTaken) => "this code belongs to another site".into(),
    }
}

/// A file's rows: the header, then each non-empty row with its row number in the file.
#[derive(Debug, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
    /// Rows past the limit were left unread.
    pub truncated: bool,
}

fn too_large(max: usize) -> ApiError {
    ApiError::TooLarge(format!("an import file is at most {max} bytes, unpacked"))
}

/// Reads a CSV (UTF-8, or GB18030 as Excel saves it in Chinese) or an XLSX (its first sheet)
/// into at most `max_rows` rows. An XLSX whose parts would unpack past `max_bytes` is refused
/// before anything is inflated.
pub fn read_table(bytes: &[u8], max_bytes: usize, max_rows: usize) -> ApiResult<Table> {
    let mut lines: Vec<(usize, Vec<String>)> = Vec::new();
    let mut truncated = false;
    let mut push = |n: usize, cells: Vec<String>| {
        if cells.iter().all(|c| c.is_empty()) {
            return true;
        }
        if lines.len() > max_rows {
            truncated = true;
            return false;
        }
        lines.push((n, cells));
        true
    };
    if bytes.starts_with(b"PK\x03\x04") {
        let cursor = std::io::Cursor::new(bytes);
        let mut zip = zip::ZipArchive::new(cursor.clone())
            .map_err(|e| ApiError::bad("file", format!("not a readable XLSX file: {e}")))?;
        let mut unpacked: u64 = 0;
        for i in 0..zip.len() {
            let f = zip
                .by_index_raw(i)
                .map_err(|e| ApiError::bad("file", format!("not a readable XLSX file: {e}")))?;
            unpacked = unpacked.saturating_add(f.size());
        }
        if unpacked > max_bytes as u64 {
            return Err(too_large(max_bytes));
        }
        use calamine::{Data, Reader, Xlsx};
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(cursor)
            .map_err(|e| ApiError::bad("file", format!("not a readable XLSX file: {e}")))?;
        let range = book
            .worksheet_range_at(0)
            .ok_or_else(|| ApiError::bad("file", "the workbook has no sheet"))?
            .map_err(|e| ApiError::bad("file", format!("the first sheet is unreadable: {e}")))?;
        let first = range.start().map_or(0, |(r, _)| r as usize);
        let left = range.start().map_or(0, |(_, c)| c as usize);
        for (i, row) in range.rows().enumerate() {
            let mut cells = vec![String::new(); left];
            cells.extend(row.iter().map(|d| match d {
                Data::Empty => String::new(),
                Data::String(s) => s.trim().to_owned(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Int(i) => i.to_string(),
                Data::Bool(b) => b.to_string(),
                other => other.to_string().trim().to_owned(),
            }));
            if !push(first + i + 1, cells) {
                break;
            }
        }
    } else {
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => std::borrow::Cow::Borrowed(t),
            Err(_) => encoding_rs::GB18030.decode(bytes).0,
        };
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        for (i, rec) in reader.records().enumerate() {
            let rec =
                rec.map_err(|e| ApiError::bad("file", format!("not a readable CSV file: {e}")))?;
            if !push(i + 1, rec.iter().map(|c| c.trim().to_owned()).collect()) {
                break;
            }
        }
    }
    let mut rows = lines.into_iter();
    let header = rows.next().map(|(_, h)| h).unwrap_or_default();
    Ok(Table {
        header,
        rows: rows.collect(),
        truncated,
    })
}

/// Problems as they are found, and the report's counts.
struct Found {
    lang: Lang,
    problems: Vec<Problem>,
}

impl Found {
    fn add(&mut self, row: usize, column: &str, m: Msg<'_>) {
        self.problems.push(Problem {
            row,
            column: column.to_owned(),
            reason: say(self.lang, m),
        });
    }
}

/// A header's column names, `aliases` read as the names they stand for; unknown and missing
/// columns are problems of row 1.
fn columns(
    found: &mut Found,
    header: &[String],
    known: &[&str],
    required: &[&str],
    aliases: &[(&str, &str)],
) -> HashMap<String, usize> {
    let mut at = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let name = aliases
            .iter()
            .find(|(a, _)| a == h)
            .map_or(h.to_lowercase(), |(_, n)| n.to_string());
        if name.is_empty() {
            continue;
        }
        if !known.contains(&name.as_str()) {
            found.add(1, h, Msg::UnknownColumn);
        } else if at.insert(name, i).is_some() {
            found.add(1, h, Msg::DuplicateInFile(1));
        }
    }
    for r in required {
        if !at.contains_key(*r) {
            found.add(1, r, Msg::MissingColumn);
        }
    }
    at
}

fn cell<'a>(cols: &HashMap<String, usize>, row: &'a [String], name: &str) -> &'a str {
    cols.get(name)
        .and_then(|i| row.get(*i))
        .map_or("", String::as_str)
}

fn boolean(s: &str) -> Option<bool> {
    match s.to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "是" | "有" | "√" => Some(true),
        "false" | "no" | "n" | "0" | "否" | "无" | "×" => Some(false),
        _ => None,
    }
}

/// The profile fields a file may give and the kind of value each takes, read off a profile.
fn profile_fields() -> &'static Vec<(String, Value)> {
    static FIELDS: std::sync::OnceLock<Vec<(String, Value)>> = std::sync::OnceLock::new();
    FIELDS.get_or_init(|| {
        let Ok(Value::Object(m)) = serde_json::to_value(template()) else {
            return Vec::new();
        };
        m.into_iter()
            .filter(|(k, _)| k != "name" && k != "schema_version")
            .collect()
    })
}

fn template() -> SiteProfile {
    SiteProfile::from_toml(include_str!("../../../checklists/profiles/small-shop.toml"))
        .expect("a shipped example profile")
}

const PROFILE_REQUIRED: [&str; 7] = [
    "premises",
    "floor_area_m2",
    "storeys",
    "building_height_m",
    "occupants",
    "gas",
    "hazard_level",
];

fn allowed(field: &str) -> Option<String> {
    Some(match field {
        "premises" => Premises::ALL.map(|p| p.as_str()).join(", "),
        "gas" => "none, piped, lpg".into(),
        "hazard_level" => "light, medium, severe".into(),
        "jurisdiction" => "cn, us".into(),
        _ => return None,
    })
}

/// The site fields of one row, or its problems added to `found`.
fn site_fields(
    found: &mut Found,
    n: usize,
    cols: &HashMap<String, usize>,
    row: &[String],
    default_offset: i32,
) -> Option<SiteFields> {
    let before = found.problems.len();
    let name = cell(cols, row, "name");
    if name.is_empty() {
        found.add(n, "name", Msg::Required);
    } else if name.chars().count() > 200 {
        found.add(n, "name", Msg::TooLong(200));
    }
    let address = cell(cols, row, "address");
    if address.chars().count() > sites::MAX_ADDRESS_CHARS {
        found.add(n, "address", Msg::TooLong(sites::MAX_ADDRESS_CHARS));
    }
    let mut coord = |c: &str, limit: f64| -> Option<f64> {
        let v = cell(cols, row, c);
        if v.is_empty() {
            return None;
        }
        match v.parse::<f64>() {
            Ok(x) if x.is_finite() && x.abs() <= limit => Some(x),
            Ok(_) => {
                found.add(n, c, Msg::OutOfRange(&format!("±{limit}")));
                None
            }
            Err(_) => {
                found.add(n, c, Msg::NotNumber);
                None
            }
        }
    };
    let (lat, lon) = (coord("lat", 90.0), coord("lon", 180.0));
    let location = match (lat, lon) {
        (Some(a), Some(b)) => Some((a, b)),
        (None, None) => None,
        _ => {
            found.add(n, "lat", Msg::BothOrNeither);
            None
        }
    };
    let offset = match cell(cols, row, "utc_offset_minutes") {
        "" => default_offset,
        v => match v.parse::<i32>() {
            Ok(m) if closeloop_model::doc::site::valid_offset(i64::from(m)) => m,
            _ => {
                found.add(n, "utc_offset_minutes", Msg::OutOfRange("-720…840"));
                default_offset
            }
        },
    };
    let mut profile = Map::new();
    profile.insert(
        "schema_version".into(),
        json!(closeloop_checklists::PROFILE_SCHEMA_VERSION),
    );
    profile.insert("jurisdiction".into(), json!("cn"));
    for (field, kind) in profile_fields() {
        let v = cell(cols, row, field);
        if v.is_empty() {
            if PROFILE_REQUIRED.contains(&field.as_str()) {
                found.add(n, field, Msg::Required);
            }
            continue;
        }
        let value = match kind {
            Value::Bool(_) => match boolean(v) {
                Some(b) => json!(b),
                None => {
                    found.add(n, field, Msg::NotBool);
                    continue;
                }
            },
            Value::Number(num) if num.is_u64() => match v.parse::<u32>() {
                Ok(i) => json!(i),
                Err(_) => {
                    found.add(n, field, Msg::NotInteger);
                    continue;
                }
            },
            Value::Number(_) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() => json!(x),
                _ => {
                    found.add(n, field, Msg::NotNumber);
                    continue;
                }
            },
            _ => {
                // A named value: tried alone on a valid profile, so a wrong one is told in its
                // own column.
                let mut probe = serde_json::to_value(template()).unwrap_or_default();
                probe[field.as_str()] = json!(v);
                if serde_json::from_value::<SiteProfile>(probe).is_err() {
                    let list = allowed(field).unwrap_or_else(|| "…".into());
                    found.add(n, field, Msg::OneOf(&list));
                    continue;
                }
                json!(v)
            }
        };
        profile.insert(field.clone(), value);
    }
    if found.problems.len() > before {
        return None;
    }
    let profile: SiteProfile = match serde_json::from_value(Value::Object(profile)) {
        Ok(p) => p,
        Err(e) => {
            found.add(n, "profile", Msg::Profile(&e.to_string()));
            return None;
        }
    };
    if let Err(e) = profile.validate() {
        let column = match &e {
            closeloop_checklists::ProfileError::Invalid { field, .. } => field.to_string(),
            _ => "profile".into(),
        };
        found.add(n, &column, Msg::Profile(&e.to_string()));
        return None;
    }
    Some(SiteFields {
        name: name.to_owned(),
        address: address.to_owned(),
        location,
        utc_offset_minutes: offset,
        profile,
    })
}

/// The site fields of a form (the console's), named as a file's columns are: the same checks
/// as an imported row's.
pub fn fields_of_map(
    values: &HashMap<String, String>,
    lang: Lang,
    default_offset: i32,
) -> Result<SiteFields, Vec<Problem>> {
    let mut found = Found {
        lang,
        problems: Vec::new(),
    };
    let (names, row): (Vec<String>, Vec<String>) =
        values.iter().map(|(k, v)| (k.clone(), v.clone())).unzip();
    let cols: HashMap<String, usize> = names.into_iter().enumerate().map(|(i, k)| (k, i)).collect();
    match site_fields(&mut found, 1, &cols, &row, default_offset) {
        Some(f) => Ok(f),
        None => Err(found.problems),
    }
}

fn limit_problems(mut problems: Vec<Problem>) -> (Vec<Problem>, usize) {
    problems.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
    let left_out = problems.len().saturating_sub(MAX_LISTED);
    problems.truncate(MAX_LISTED);
    (problems, left_out)
}

/// A site row that checked out.
struct SiteRow {
    code: String,
    grid_id: String,
    fields: SiteFields,
    /// The site the code already names.
    existing: Option<String>,
}

const SITE_COLUMNS: [&str; 7] = [
    "code",
    "name",
    "grid_id",
    "address",
    "lat",
    "lon",
    "utc_offset_minutes",
];

const SITE_ALIASES: [(&str, &str); 6] = [
    ("编号", "code"),
    ("名称", "name"),
    ("网格", "grid_id"),
    ("地址", "address"),
    ("纬度", "lat"),
    ("经度", "lon"),
];

/// Checks, and unless `dry_run` and without problems writes, a file of sites.
pub async fn import_sites(
    state: &AppState,
    admin: &AuthUser,
    table: &Table,
    lang: Lang,
    dry_run: bool,
    digest: &str,
) -> ApiResult<Report> {
    require_admin(admin)?;
    let org = admin.actor.scope.org_id.clone();
    let pool = &state.db.pool;
    let mut found = Found {
        lang,
        problems: Vec::new(),
    };
    let mut known: Vec<&str> = SITE_COLUMNS.to_vec();
    known.extend(profile_fields().iter().map(|(k, _)| k.as_str()));
    let mut required = vec!["code", "name", "grid_id"];
    required.extend(PROFILE_REQUIRED);
    let cols = columns(&mut found, &table.header, &known, &required, &SITE_ALIASES);
    if table.rows.is_empty() {
        found.add(1, "", Msg::NoRows);
    }
    if table.truncated {
        let last = table.rows.last().map_or(1, |(n, _)| *n);
        found.add(last, "", Msg::TooManyRows(state.config.import_max_rows));
    }
    let grids: HashSet<String> = store::people::grids(pool, &org)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let codes = placement::site_codes(pool, &org).await?;
    let existing: HashMap<String, store::sites::SiteRecord> =
        store::sites::list(pool, &admin.actor.reach(), None, None)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    let header_ok = found.problems.is_empty();
    for (n, row) in table.rows.iter().filter(|_| header_ok) {
        let n = *n;
        let code = cell(&cols, row, "code");
        if code.is_empty() {
            found.add(n, "code", Msg::Required);
        } else if code.chars().count() > sites::MAX_CODE_CHARS {
            found.add(n, "code", Msg::TooLong(sites::MAX_CODE_CHARS));
        } else if let Some(first) = seen.insert(code.to_owned(), n) {
            found.add(n, "code", Msg::DuplicateInFile(first));
            seen.insert(code.to_owned(), first);
        }
        let grid = cell(&cols, row, "grid_id");
        if grid.is_empty() {
            found.add(n, "grid_id", Msg::Required);
        } else if !grids.contains(grid) {
            found.add(n, "grid_id", Msg::NoGrid(grid));
        }
        let fields = site_fields(
            &mut found,
            n,
            &cols,
            row,
            state.config.console_utc_offset_minutes,
        );
        if let Some(fields) = fields {
            let site = codes.get(code).cloned();
            if site.as_ref().is_some_and(|s| !existing.contains_key(s)) {
                found.add(n, "code", Msg::CodeTaken);
                continue;
            }
            rows.push(SiteRow {
                code: code.to_owned(),
                grid_id: grid.to_owned(),
                fields,
                existing: site,
            });
        }
    }
    let mut report = Report {
        kind: Kind::Sites,
        dry_run,
        written: false,
        rows: table.rows.len(),
        created: 0,
        updated: 0,
        unchanged: 0,
        problems: Vec::new(),
        left_out: 0,
    };
    // What each row would do.
    let mut plan = Vec::new();
    for r in rows {
        match r.existing.as_ref().and_then(|id| existing.get(id)) {
            None => {
                report.created += 1;
                plan.push(r);
            }
            Some(s) => {
                let now = SiteFields {
                    name: s.name.clone(),
                    address: s.address.clone(),
                    location: s.lat.zip(s.lon),
                    utc_offset_minutes: s.utc_offset_minutes,
                    profile: s.profile.clone(),
                };
                let same_fields = now.name == r.fields.name.trim()
                    && now.address == r.fields.address.trim()
                    && now.location == r.fields.location
                    && now.utc_offset_minutes == r.fields.utc_offset_minutes
                    && now.profile == r.fields.profile;
                if same_fields && s.grid_id == r.grid_id {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    plan.push(r);
                }
            }
        }
    }
    (report.problems, report.left_out) = limit_problems(found.problems);
    if dry_run || !report.problems.is_empty() || plan.is_empty() {
        return Ok(report);
    }
    let w = Writer::bind(state, admin).await?;
    let mut tx = begin(state).await?;
    let (mut created, mut updated, mut moved_hazards) = (Vec::new(), Vec::new(), Vec::new());
    for r in &plan {
        match &r.existing {
            None => {
                let id = sites::create(&mut tx, &w, &r.grid_id, Some(&r.code), &r.fields).await?;
                created.push(id);
            }
            Some(id) => {
                sites::edit(&mut tx, &w, id, &r.fields).await?;
                if let Some(m) = sites::move_site(&mut tx, &w, id, &r.grid_id).await? {
                    moved_hazards.extend(m.hazards);
                }
                updated.push(id.clone());
            }
        }
    }
    audit::record(
        &mut tx,
        &org,
        &admin.actor.user_id,
        "import_sites",
        digest,
        &json!({"rows": report.rows, "created": created, "updated": updated,
                "unchanged": report.unchanged}),
    )
    .await?;
    crate::events::commit_many(state, tx, &moved_hazards, &[]).await?;
    report.written = true;
    Ok(report)
}

const USER_COLUMNS: [&str; 6] = [
    "username",
    "display_name",
    "role",
    "grid_ids",
    "site_codes",
    "password",
];

const USER_ALIASES: [(&str, &str); 6] = [
    ("用户名", "username"),
    ("姓名", "display_name"),
    ("角色", "role"),
    ("网格", "grid_ids"),
    ("场所编号", "site_codes"),
    ("密码", "password"),
];

fn list_of(s: &str) -> Vec<String> {
    s.split([';', ',', '，', '；', '、'])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn role_of(s: &str) -> Option<Role> {
    Role::parse(&s.to_lowercase()).or(match s {
        "网格员" => Some(Role::Inspector),
        "业主" | "负责人" => Some(Role::Owner),
        "主管" => Some(Role::Supervisor),
        "管理员" => Some(Role::Admin),
        _ => None,
    })
}

/// A user row that checked out.
struct UserRow {
    username: String,
    display_name: String,
    role: Role,
    scope: Scope,
    password: String,
    existing: Option<String>,
}

/// Checks, and unless `dry_run` and without problems writes, a file of users. A user that
/// exists keeps their password (a file never resets one); a new user needs one.
pub async fn import_users(
    state: &AppState,
    admin: &AuthUser,
    table: &Table,
    lang: Lang,
    dry_run: bool,
    digest: &str,
) -> ApiResult<Report> {
    require_admin(admin)?;
    let org = admin.actor.scope.org_id.clone();
    let pool = &state.db.pool;
    let mut found = Found {
        lang,
        problems: Vec::new(),
    };
    let cols = columns(
        &mut found,
        &table.header,
        &USER_COLUMNS,
        &["username", "display_name", "role"],
        &USER_ALIASES,
    );
    if table.rows.is_empty() {
        found.add(1, "", Msg::NoRows);
    }
    if table.truncated {
        let last = table.rows.last().map_or(1, |(n, _)| *n);
        found.add(last, "", Msg::TooManyRows(state.config.import_max_rows));
    }
    let grids: HashSet<String> = store::people::grids(pool, &org)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let codes = placement::site_codes(pool, &org).await?;
    let accounts = accounts::list(pool, &org).await?;
    let by_name: HashMap<&str, &accounts::Account> =
        accounts.iter().map(|a| (a.username.as_str(), a)).collect();
    let names: Vec<String> = table
        .rows
        .iter()
        .map(|(_, r)| cell(&cols, r, "username").to_owned())
        .filter(|u| !u.is_empty() && !by_name.contains_key(u.as_str()))
        .collect();
    let elsewhere = placement::usernames_elsewhere(pool, &org, &names).await?;
    let header_ok = found.problems.is_empty();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    for (n, row) in table.rows.iter().filter(|_| header_ok) {
        let n = *n;
        let before = found.problems.len();
        let username = cell(&cols, row, "username");
        if username.is_empty() {
            found.add(n, "username", Msg::Required);
        } else if username.len() > 64 {
            found.add(n, "username", Msg::TooLong(64));
        } else if let Some(first) = seen.insert(username.to_owned(), n) {
            found.add(n, "username", Msg::DuplicateInFile(first));
            seen.insert(username.to_owned(), first);
        } else if elsewhere.contains(username) {
            found.add(n, "username", Msg::UsernameTaken);
        }
        let display_name = cell(&cols, row, "display_name");
        if display_name.is_empty() {
            found.add(n, "display_name", Msg::Required);
        } else if display_name.chars().count() > 100 {
            found.add(n, "display_name", Msg::TooLong(100));
        }
        let role = role_of(cell(&cols, row, "role"));
        if role.is_none() {
            found.add(
                n,
                "role",
                Msg::OneOf("inspector/网格员, owner/业主, supervisor/主管, admin/管理员"),
            );
        }
        let grid_ids = list_of(cell(&cols, row, "grid_ids"));
        for g in &grid_ids {
            if !grids.contains(g) {
                found.add(n, "grid_ids", Msg::NoGrid(g));
            }
        }
        let mut site_ids = Vec::new();
        for c in list_of(cell(&cols, row, "site_codes")) {
            match codes.get(&c) {
                Some(id) => site_ids.push(id.clone()),
                None => found.add(n, "site_codes", Msg::UnknownSite(&c)),
            }
        }
        let existing = by_name.get(username).map(|a| a.user_id.clone());
        let password = cell(&cols, row, "password");
        if existing.is_none() && (password.chars().count() < 8 || password.len() > 1024) {
            found.add(n, "password", Msg::Password);
        }
        let Some(role) = role else { continue };
        let scope = Scope {
            org_id: org.clone(),
            grids: grid_ids,
            sites: site_ids,
        };
        if let Err(e) = scope.check(role) {
            found.add(n, e.field, Msg::Scope(&e.reason));
        }
        if found.problems.len() == before {
            rows.push(UserRow {
                username: username.to_owned(),
                display_name: display_name.to_owned(),
                role,
                scope,
                password: password.to_owned(),
                existing,
            });
        }
    }
    let mut report = Report {
        kind: Kind::Users,
        dry_run,
        written: false,
        rows: table.rows.len(),
        created: 0,
        updated: 0,
        unchanged: 0,
        problems: Vec::new(),
        left_out: 0,
    };
    let by_id: HashMap<&str, &accounts::Account> =
        accounts.iter().map(|a| (a.user_id.as_str(), a)).collect();
    let mut plan = Vec::new();
    for r in rows {
        match r.existing.as_deref().and_then(|id| by_id.get(id)) {
            None => {
                report.created += 1;
                plan.push(r);
            }
            Some(a) => {
                let set = |v: &[String]| v.iter().cloned().collect::<BTreeSet<_>>();
                let same = a.display_name == r.display_name
                    && a.role == r.role.as_str()
                    && set(&a.grid_ids) == set(&r.scope.grids)
                    && set(&a.site_ids) == set(&r.scope.sites);
                if same {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    plan.push(r);
                }
            }
        }
    }
    (report.problems, report.left_out) = limit_problems(found.problems);
    if dry_run || !report.problems.is_empty() || plan.is_empty() {
        return Ok(report);
    }
    // New users' passwords are hashed before the transaction, each off the async threads.
    let mut prepared = Vec::new();
    for r in &plan {
        if r.existing.is_none() {
            let (record, _) = super::users::prepare(
                &org,
                &super::users::NewAccount {
                    username: r.username.clone(),
                    password: r.password.clone(),
                    display_name: r.display_name.clone(),
                    role: r.role,
                    grid_ids: r.scope.grids.clone(),
                    site_ids: r.scope.sites.clone(),
                },
            )
            .await?;
            prepared.push(Some(record));
        } else {
            prepared.push(None);
        }
    }
    let mut tx = begin(state).await?;
    let mut rescoped = Vec::new();
    let (mut created, mut updated) = (Vec::new(), Vec::new());
    for (r, record) in plan.iter().zip(prepared) {
        match (&r.existing, record) {
            (Some(id), _) => {
                if !accounts::lock(&mut tx, &org, id).await? {
                    return Err(ApiError::Conflict {
                        code: "changed_meanwhile",
                        message: format!(
                            "{} changed while this was being written; try again",
                            r.username
                        ),
                    });
                }
                accounts::set_name_and_role(&mut tx, id, &r.display_name, r.role).await?;
                store::people::replace_scope(&mut tx, id, r.role, &r.scope)
                    .await
                    .map_err(crate::routes::admin::people_error)?;
                rescoped.push(id.clone());
                updated.push(id.clone());
            }
            (None, Some(record)) => {
                super::users::create_in(&mut tx, admin, &record, &r.scope).await?;
                created.push(record.id.clone());
            }
            (None, None) => return Err(ApiError::internal("an unprepared new user")),
        }
    }
    audit::record(
        &mut tx,
        &org,
        &admin.actor.user_id,
        "import_users",
        digest,
        &json!({"rows": report.rows, "created": created, "updated": updated,
                "unchanged": report.unchanged}),
    )
    .await?;
    crate::events::commit_many(state, tx, &[], &rescoped).await?;
    report.written = true;
    Ok(report)
}

/// Reads `bytes` and imports them as `kind`.
pub async fn run(
    state: &AppState,
    admin: &AuthUser,
    kind: Kind,
    bytes: &[u8],
    lang: Lang,
    dry_run: bool,
) -> ApiResult<Report> {
    require_admin(admin)?;
    let (max_bytes, max_rows) = (state.config.import_max_bytes, state.config.import_max_rows);
    let owned = bytes.to_vec();
    let table = tokio::task::spawn_blocking(move || read_table(&owned, max_bytes, max_rows))
        .await
        .map_err(ApiError::internal)??;
    let digest: String = {
        use sha2::Digest;
        sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    match kind {
        Kind::Sites => import_sites(state, admin, &table, lang, dry_run, &digest).await,
        Kind::Users => import_users(state, admin, &table, lang, dry_run, &digest).await,
    }
}
