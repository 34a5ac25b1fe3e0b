//! The published shapes, held to what the code really writes:
//!
//! - every JSON answer of every route, from a real server with real data (a phone-made hazard
//!   with photos and a rectification, an inspection, sites, statistics, errors of every kind),
//!   validated against its response schema in `server/openapi.json`;
//! - the worked examples of `docs/documents.md` and `docs/examples/*.json`, built by the model's
//!   own create functions, and the document's tables of keys against `DocKind::root_keys`.
//!
//! `CLOSELOOP_BLESS=1` rewrites the examples from the model instead of comparing.

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value as AmValue};
use closeloop_checklists::{Purpose, SiteProfile, builtin};
use closeloop_model::doc::inspection::{self, AnswerValue, Comment, ItemAnswer, PhotoRef, SignOff};
use closeloop_model::doc::site::{self, Site};
use closeloop_model::doc::tasks::{self, Completion};
use closeloop_model::doc::{DocKind, Header, hazard};
use closeloop_model::lifecycle::{Event, EventKind, Report, Severity};
use closeloop_model::roles::{Role, SiteRef};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bless() -> bool {
    std::env::var_os("CLOSELOOP_BLESS").is_some()
}

// ---------------------------------------------------------------------------------------------
// The documents' worked examples.

const ORG: &str = "demo-org";
const GRID: &str = "grid-1";
const SITE: &str = "site-019ad3b2a80f3c9e7b1d2a4608";
const INSPECTION: &str = "insp-019ad3b4e3904e1f8a2c6b7d95";
const HAZARD: &str = "hzd-019ad3b67c1e0b5d3c9a8e7f12";
const WANG: &str = "u-7e700d1be3827c59";
const ZHANG: &str = "u-2c8f1a90d4b36e57";
const LI: &str = "u-cba33315126b803d";
/// 2026-12-01 09:00 in the site's zone (UTC+8), and minutes after it.
const T0: i64 = 1_796_086_800_000;
const MIN: i64 = 60_000;
const PHOTO: &str = "3f1c9a5e0b7d2468ace13579bdf02468ace13579bdf02468ace13579bdf02468";
const THUMB: &str = "9e8d7c6b5a4938271605f4e3d2c1b0a99e8d7c6b5a4938271605f4e3d2c1b0a9";
const AFTER: &str = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00";

fn place() -> SiteRef {
    SiteRef {
        org_id: ORG.into(),
        grid_id: GRID.into(),
        site_id: SITE.into(),
    }
}

fn shop() -> SiteProfile {
    SiteProfile::from_toml(include_str!("../../checklists/profiles/small-shop.toml"))
        .expect("profile")
}

fn example_site() -> AutoCommit {
    let mut d = AutoCommit::new();
    site::create(
        &mut d,
        &Site {
            header: Header {
                kind: DocKind::Site,
                id: SITE.into(),
                site: place(),
            },
            name: "便利店".into(),
            address: "示范路 1 号".into(),
            location: Some((31.231, 121.475)),
            profile: shop(),
            utc_offset_minutes: Some(480),
        },
    )
    .expect("site");
    d
}

fn example_checklist() -> closeloop_checklists::Checklist {
    builtin().generate(&shop(), Purpose::Patrol)
}

fn example_inspection() -> AutoCommit {
    let checklist = example_checklist();
    let mut d = AutoCommit::new();
    let h = Header {
        kind: DocKind::Inspection,
        id: INSPECTION.into(),
        site: place(),
    };
    inspection::create(&mut d, &h, WANG, T0, &checklist).expect("inspection");
    for (n, item) in checklist.items.iter().take(3).enumerate() {
        let value = if n == 0 {
            AnswerValue::Fail
        } else {
            AnswerValue::Pass
        };
        inspection::answer(
            &mut d,
            &ItemAnswer {
                id: format!("ans-019ad3b4e39{n}a1b2c3d4e5f6a7b8"),
                item_id: item.id.clone(),
                value,
                note: if n == 0 {
                    "出口堆放纸箱".into()
                } else {
                    String::new()
                },
                by: WANG.into(),
                at: T0 + (n as i64 + 1) * MIN,
            },
        )
        .expect("answer");
    }
    inspection::attach_photo(
        &mut d,
        &PhotoRef {
            sha256: PHOTO.into(),
            thumb_sha256: THUMB.into(),
            width: 1600,
            height: 1200,
            bytes: 412_733,
            item_id: Some(checklist.items[0].id.clone()),
            taken_at: Some("2026:12:01 09:02:11".into()),
            gps: Some((31.23104, 121.47497)),
            by: WANG.into(),
            at: T0 + 2 * MIN,
        },
    )
    .expect("photo");
    inspection::sign_off(
        &mut d,
        &SignOff {
            by: WANG.into(),
            at: T0 + 20 * MIN,
            note: "其余项目合格".into(),
        },
    )
    .expect("sign off");
    inspection::comment(
        &mut d,
        &Comment {
            id: "cmt-019ad4a1b2c3d4e5f6a7b8c9d0".into(),
            by: LI.into(),
            at: T0 + 120 * MIN,
            text: "请跟进出口整改".into(),
        },
    )
    .expect("comment");
    d
}

fn event(id: &str, kind: EventKind, by: &str, role: Role, at: i64, photos: &[&str]) -> Event {
    Event {
        id: id.into(),
        kind,
        by: by.into(),
        role,
        at,
        note: String::new(),
        photos: photos.iter().map(|p| p.to_string()).collect(),
    }
}

fn example_report() -> Report {
    let item = example_checklist().items[0].clone();
    inspection::report_from_item(
        &item,
        closeloop_checklists::Jurisdiction::Cn,
        "marked failed",
        T0 + 3 * MIN,
        480,
    )
}

fn example_hazard() -> AutoCommit {
    let mut d = AutoCommit::new();
    let h = Header {
        kind: DocKind::Hazard,
        id: HAZARD.into(),
        site: place(),
    };
    let first = event(
        "evt-019ad3b67c1a1b2c3d4e5f6a7b",
        EventKind::Reported(example_report()),
        WANG,
        Role::Inspector,
        T0 + 3 * MIN,
        &[PHOTO],
    );
    hazard::create(&mut d, &h, Some(INSPECTION), &first).expect("hazard");
    for e in [
        event(
            "evt-019ad3b67c2b2c3d4e5f6a7b8c",
            EventKind::Assigned {
                assignee: ZHANG.into(),
                deadline: T0 + 3 * 1440 * MIN - 1,
                measure: "清理安全出口处堆放的纸箱".into(),
            },
            WANG,
            Role::Inspector,
            T0 + 4 * MIN,
            &[],
        ),
        event(
            "evt-019ad5f0a13c3d4e5f6a7b8c9d",
            EventKind::RectificationSubmitted,
            ZHANG,
            Role::Owner,
            T0 + 300 * MIN,
            &[AFTER],
        ),
        event(
            "evt-019ad6e2b74d4e5f6a7b8c9d0e",
            EventKind::Accepted,
            LI,
            Role::Supervisor,
            T0 + 1440 * MIN,
            &[],
        ),
    ] {
        hazard::append_event(&mut d, &e).expect("event");
    }
    d
}

/// One event of every type, as the `events` list stores them (decoded).
fn example_events() -> Vec<Event> {
    let reason = |s: &str| s.to_owned();
    let kinds = [
        (
            EventKind::Reported(Report {
                title: "配电箱周围堆放可燃物".into(),
                severity: Severity::General,
                clauses: vec![
                    "机关、团体、企业、事业单位消防安全管理规定（公安部令第61号） Art. 26".into(),
                ],
                item_id: None,
                gb35181: None,
                measure: "清除可燃物".into(),
                deadline: Some(T0 + 7 * 1440 * MIN),
            }),
            WANG,
            Role::Inspector,
            vec![PHOTO],
        ),
        (
            EventKind::Assigned {
                assignee: ZHANG.into(),
                deadline: T0 + 3 * 1440 * MIN,
                measure: String::new(),
            },
            WANG,
            Role::Inspector,
            vec![],
        ),
        (EventKind::FixedOnSpot, WANG, Role::Inspector, vec![AFTER]),
        (
            EventKind::RectificationSubmitted,
            ZHANG,
            Role::Owner,
            vec![AFTER],
        ),
        (EventKind::Accepted, LI, Role::Supervisor, vec![]),
        (
            EventKind::Rejected {
                reason: reason("照片看不清出口"),
            },
            LI,
            Role::Supervisor,
            vec![],
        ),
        (
            EventKind::Escalated {
                reason: reason("人员密集场所安全出口锁闭"),
            },
            WANG,
            Role::Inspector,
            vec![],
        ),
        (
            EventKind::Cancelled {
                reason: reason("重复上报"),
            },
            LI,
            Role::Supervisor,
            vec![],
        ),
        (
            EventKind::Reopened {
                reason: reason("复查时再次堆放"),
            },
            LI,
            Role::Supervisor,
            vec![],
        ),
        (EventKind::Commented, ZHANG, Role::Owner, vec![]),
    ];
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, (kind, by, role, photos))| Event {
            id: format!("evt-019ad3b67c{i}0a1b2c3d4e5f6a7"),
            kind,
            by: by.into(),
            role,
            at: T0 + (i as i64 + 1) * 10 * MIN,
            note: if i == 9 {
                "已通知店员".into()
            } else {
                String::new()
            },
            photos: photos.iter().map(|p| p.to_string()).collect(),
        })
        .collect()
}

fn example_task_plan() -> AutoCommit {
    let plan = builtin().task_plan(&shop());
    let mut d = AutoCommit::new();
    let h = Header {
        kind: DocKind::TaskPlan,
        id: format!("tasks-{SITE}"),
        site: place(),
    };
    tasks::create(&mut d, &h, &plan, T0).expect("plan");
    let task = plan.tasks.first().expect("a task").id.clone();
    tasks::complete(
        &mut d,
        &Completion {
            id: "done-019ad3c1f00a1b2c3d4e5f6a7b".into(),
            task_id: task,
            by: ZHANG.into(),
            at: T0 + 30 * MIN,
            inspection_id: None,
            note: String::new(),
        },
    )
    .expect("completion");
    d
}

/// An automerge object as JSON, exactly: maps as objects, lists as arrays, scalars as they are.
fn to_json<R: ReadDoc>(doc: &R, obj: &ObjId, ty: ObjType) -> Value {
    let scalar = |s: &ScalarValue| match s {
        ScalarValue::Str(s) => Value::String(s.to_string()),
        ScalarValue::Int(i) => json!(i),
        ScalarValue::Uint(u) => json!(u),
        ScalarValue::F64(f) => json!(f),
        ScalarValue::Boolean(b) => json!(b),
        ScalarValue::Null => Value::Null,
        other => panic!("the model writes no {other:?}"),
    };
    let value = |v: AmValue<'_>, id: ObjId| match v {
        AmValue::Object(t) => to_json(doc, &id, t),
        AmValue::Scalar(s) => scalar(&s),
    };
    match ty {
        ObjType::Map | ObjType::Table => Value::Object(
            doc.keys(obj)
                .map(|k| {
                    let (v, id) = doc.get(obj, k.as_str()).expect("get").expect("present");
                    (k, value(v, id))
                })
                .collect(),
        ),
        ObjType::List => Value::Array(
            (0..doc.length(obj))
                .map(|i| {
                    let (v, id) = doc.get(obj, i).expect("get").expect("present");
                    value(v, id)
                })
                .collect(),
        ),
        ObjType::Text => panic!("the model writes no Text"),
    }
}

/// The automerge type of every root value, as the documents' tables name them.
fn root_types(doc: &AutoCommit) -> Vec<(String, &'static str)> {
    doc.keys(ROOT)
        .map(|k| {
            let (v, _) = doc.get(ROOT, k.as_str()).expect("get").expect("present");
            let ty = match v {
                AmValue::Object(ObjType::Map) => "map",
                AmValue::Object(ObjType::List) => "list",
                AmValue::Object(_) => "other object",
                AmValue::Scalar(s) => match s.as_ref() {
                    ScalarValue::Str(_) => "str",
                    ScalarValue::Int(_) => "int",
                    ScalarValue::F64(_) => "f64",
                    ScalarValue::Boolean(_) => "boolean",
                    _ => "other scalar",
                },
            };
            (k, ty)
        })
        .collect()
}

/// Keys whose value is one JSON string too long to show in the document itself.
const LONG: &[&str] = &["checklist", "plan"];

/// The document as `docs/documents.md` shows it: exactly, but for the long JSON values.
fn shown(exact: &Value) -> Value {
    let mut v = exact.clone();
    let kind = exact["kind"].as_str().unwrap_or_default();
    for key in LONG {
        if v.get(*key).is_some_and(Value::is_string) {
            v[*key] = json!(format!(
                "<the {key}, one JSON string: docs/examples/{kind}.json has it whole>"
            ));
        }
    }
    v
}

/// The JSON-string values of a document decoded, as `docs/documents.md` shows them to read.
fn decoded(exact: &Value) -> Value {
    let mut out = serde_json::Map::new();
    let Value::Object(map) = exact else {
        panic!("a document is a map")
    };
    for (k, v) in map {
        let parse = |s: &str| serde_json::from_str::<Value>(s).expect("JSON-string value");
        match v {
            Value::String(s) if LONG.contains(&k.as_str()) => {
                let mut whole = parse(s);
                // One of each is enough to read the shape; the rest are alike.
                for list in ["packs", "items", "tasks"] {
                    if let Some(Value::Array(a)) = whole.get_mut(list) {
                        a.truncate(1);
                    }
                }
                out.insert(format!("{k} (one pack, one item or task)"), whole);
            }
            Value::String(s) if k == "signed_off" => {
                out.insert(k.clone(), parse(s));
            }
            Value::Array(items) if items.iter().all(Value::is_string) && !items.is_empty() => {
                out.insert(
                    k.clone(),
                    Value::Array(
                        items
                            .iter()
                            .map(|i| parse(i.as_str().unwrap_or_default()))
                            .collect(),
                    ),
                );
            }
            _ => {}
        }
    }
    Value::Object(out)
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("json")
}

/// Every generated block of `docs/documents.md`, by its marker name.
fn blocks() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (kind, doc) in [
        ("site", example_site()),
        ("inspection", example_inspection()),
        ("hazard", example_hazard()),
        ("task_plan", example_task_plan()),
    ] {
        let exact = to_json(&doc, &ROOT, ObjType::Map);
        out.push((kind.to_owned(), pretty(&shown(&exact))));
        if kind != "site" {
            out.push((format!("{kind}.decoded"), pretty(&decoded(&exact))));
        }
    }
    let events: Vec<Value> = example_events()
        .iter()
        .map(|e| serde_json::to_value(e).expect("event"))
        .collect();
    out.push((
        "events".into(),
        events
            .iter()
            .map(|e| serde_json::to_string(e).expect("json"))
            .collect::<Vec<_>>()
            .join("\n"),
    ));
    out
}

const BEGIN: &str = "<!-- generated: ";
const END: &str = "<!-- /generated -->";

/// `text` with each generated block replaced by `blocks`' version.
fn regenerate(text: &str, blocks: &[(String, String)]) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let name_end = from.find(" -->").expect("marker closes");
        let name = &from[BEGIN.len()..name_end];
        let body = blocks
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no generated block `{name}`"));
        let end = from.find(END).expect("block ends");
        out.push_str(&format!("{BEGIN}{name} -->\n```json\n{}\n```\n", body.1));
        rest = &from[end..];
    }
    out.push_str(rest);
    out
}

/// The worked examples are what the model writes: in `docs/documents.md` (long JSON values
/// abbreviated, records also shown decoded) and whole in `docs/examples/<kind>.json`.
#[test]
fn the_documents_worked_examples_are_what_the_model_writes() {
    let path = root().join("docs/documents.md");
    let text = std::fs::read_to_string(&path).expect("docs/documents.md");
    let blocks = blocks();
    let want = regenerate(&text, &blocks);
    let mut stale = Vec::new();
    for (kind, doc) in [
        ("site", example_site()),
        ("inspection", example_inspection()),
        ("hazard", example_hazard()),
        ("task_plan", example_task_plan()),
    ] {
        let file = root().join(format!("docs/examples/{kind}.json"));
        let exact = format!("{}\n", pretty(&to_json(&doc, &ROOT, ObjType::Map)));
        if bless() {
            std::fs::create_dir_all(file.parent().expect("folder")).expect("mkdir");
            std::fs::write(&file, &exact).expect("write example");
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(exact.as_str()) {
            stale.push(file.display().to_string());
        }
    }
    for (name, _) in &blocks {
        assert!(
            text.contains(&format!("{BEGIN}{name} -->")),
            "docs/documents.md has no block {name}"
        );
    }
    if bless() {
        std::fs::write(&path, &want).expect("write docs/documents.md");
    } else if want != text {
        stale.push(path.display().to_string());
    }
    assert!(
        stale.is_empty(),
        "{stale:?} differ from what the model writes (a pack, a profile or a document type \
         changed?); run CLOSELOOP_BLESS=1 cargo test -p closeloop-e2e --test api_schemas and \
         review the diff"
    );
}

/// The tables of `docs/documents.md` list exactly the root keys each kind may have, with the
/// automerge type the model writes.
#[test]
fn the_documents_key_tables_are_the_models_keys_and_types() {
    let text = std::fs::read_to_string(root().join("docs/documents.md")).expect("doc");
    for (kind, doc) in [
        (DocKind::Site, example_site()),
        (DocKind::Inspection, example_inspection()),
        (DocKind::Hazard, example_hazard()),
        (DocKind::TaskPlan, example_task_plan()),
    ] {
        let heading = format!("<!-- keys: {} -->", kind.as_str());
        let start = text
            .find(&heading)
            .unwrap_or_else(|| panic!("docs/documents.md has no {heading}"));
        let table: Vec<(String, String)> = text[start..]
            .lines()
            .skip(1)
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .skip(2)
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                (
                    cells[1].trim_matches('`').to_owned(),
                    cells[2].trim_matches('`').to_owned(),
                )
            })
            .collect();
        let documented: Vec<&str> = table.iter().map(|(k, _)| k.as_str()).collect();
        let mut want: Vec<&str> = kind.root_keys().to_vec();
        want.sort_unstable();
        let mut have = documented.clone();
        have.sort_unstable();
        assert_eq!(have, want, "the keys documented for {kind}");
        for (key, ty) in root_types(&doc) {
            let (_, cell) = table.iter().find(|(k, _)| *k == key).expect("documented");
            let stored_as = match cell.as_str() {
                "json" => "str",
                "list of json" => "list",
                other => other,
            };
            assert_eq!(
                stored_as, ty,
                "{kind}.{key} is written as {ty}, documented as `{cell}`"
            );
        }
    }
}

/// The examples read back through the model as what they say.
#[test]
fn the_examples_are_valid_documents() {
    let s = site::read(&example_site()).expect("site");
    assert_eq!(s.header.site.site_id, s.header.id);
    let i = inspection::read(&example_inspection()).expect("inspection");
    assert_eq!(i.failed_count(480), 1);
    let h = hazard::read(&example_hazard()).expect("hazard");
    let state = h.state();
    assert_eq!(
        state.status,
        Some(closeloop_model::lifecycle::Status::Accepted)
    );
    assert!(state.timeline.iter().all(|t| t.not_applied.is_none()));
    for e in example_events() {
        closeloop_model::lifecycle::check_event_content(&e).expect("well formed");
    }
    tasks::read(&example_task_plan()).expect("task plan");
}

// ---------------------------------------------------------------------------------------------
// Every route's answers against server/openapi.json.

use closeloop::api::{Answer, HazardAction, InspectionPurpose};
use closeloop_e2e::Phone;
use closeloop_e2e::adversary::{Account, ORG_A, Res, Target, call, login};
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

fn bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_closeloop-replica"))
}

/// The OpenAPI document, its validators, and which answers of which routes were checked.
struct Spec {
    doc: Value,
    validators: RefCell<HashMap<String, jsonschema::Validator>>,
    /// (method, path, the response key that matched: `200`, `4XX`…).
    seen: RefCell<BTreeSet<(String, String, String)>>,
}

impl Spec {
    fn load() -> Spec {
        Spec {
            doc: serde_json::from_str(closeloop_server::OPENAPI).expect("openapi.json"),
            validators: RefCell::default(),
            seen: RefCell::default(),
        }
    }

    /// `instance` against `schema` (a schema object of the document, whose `$ref`s point into
    /// the document's components).
    fn validate(&self, what: &str, schema: &Value, instance: &Value) {
        let key = schema.to_string();
        let mut cache = self.validators.borrow_mut();
        let validator = cache.entry(key).or_insert_with(|| {
            let root = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "components": self.doc["components"],
                "allOf": [schema],
            });
            jsonschema::validator_for(&root).expect("a valid schema")
        });
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: the answer does not match its schema:\n{}\nanswer: {}",
            errors.join("\n"),
            pretty(instance)
        );
    }

    fn component(&self, name: &str) -> Value {
        json!({ "$ref": format!("#/components/schemas/{name}") })
    }

    /// One answer of `method route` (the route as the document spells it): its status must be
    /// listed, its content type documented, and a JSON body must match the schema.
    fn check(&self, method: &str, route: &str, res: &Res) {
        let what = format!("{method} {route} → {}", res.status);
        let op = &self.doc["paths"][route][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{what}: not in openapi.json");
        let status = res.status.to_string();
        let class = format!("{}XX", &status[..1]);
        let (key, mut response) = [status.as_str(), class.as_str()]
            .into_iter()
            .find_map(|k| op["responses"].get(k).map(|r| (k.to_owned(), r.clone())))
            .unwrap_or_else(|| panic!("{what}: status not documented; body {}", res.body));
        if let Some(r) = response["$ref"].as_str() {
            let name = r.rsplit('/').next().expect("name");
            response = self.doc["components"]["responses"][name].clone();
        }
        // A HEAD answer has the headers of a GET and never a body.
        if method != "HEAD" {
            match response.get("content").and_then(Value::as_object) {
                None => assert!(
                    res.raw.is_empty(),
                    "{what}: documented without a body, answered {:?}",
                    String::from_utf8_lossy(&res.raw)
                ),
                Some(content) => {
                    let media = res.content_type.split(';').next().unwrap_or("").trim();
                    let doc = content.get(media).unwrap_or_else(|| {
                        panic!("{what}: content type `{media}` is not documented")
                    });
                    if media == "application/json" {
                        let body: Value = serde_json::from_slice(&res.raw)
                            .unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
                        self.validate(&what, &doc["schema"], &body);
                    } else if let Some(schema) = doc.get("schema")
                        && media.starts_with("text/")
                    {
                        let text = Value::String(String::from_utf8_lossy(&res.raw).into());
                        self.validate(&what, schema, &text);
                    }
                }
            }
        }
        self.seen
            .borrow_mut()
            .insert((method.to_owned(), route.to_owned(), key));
    }

    /// Calls and checks at once; `path` is the real path, `route` the document's.
    fn call(
        &self,
        method: &str,
        route: &str,
        url: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Res {
        let res = call(method, url, token, body, headers);
        self.check(method, route, &res);
        res
    }
}

/// A failed item, a hazard raised from it with a before-photo, synced: as a phone makes them.
fn inspect(phone: &Phone, site_id: &str, seed: u8) -> (String, String) {
    let insp = phone
        .run(
            phone
                .ws
                .start_inspection(site_id.to_owned(), InspectionPurpose::Patrol),
        )
        .expect("start");
    let item = "fire-law.exits-clear".to_owned();
    phone
        .run(
            phone
                .ws
                .answer_item(insp.clone(), item.clone(), Answer::Fail, "堵塞".into()),
        )
        .expect("answer");
    let photo = phone.take_photo(&format!("before-{seed}"), seed);
    let hz = phone
        .run(
            phone
                .ws
                .raise_hazard(insp.clone(), item, String::new(), vec![photo]),
        )
        .expect("hazard")
        .summary
        .id;
    let r = phone.sync();
    assert!(
        r.refused.is_empty() && r.upload_failures.is_empty(),
        "{r:?}"
    );
    (insp, hz)
}

fn json_body(v: &Value) -> Vec<u8> {
    v.to_string().into_bytes()
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// The whole document of `doc_id` from a raw feed (a device's first sync from `cursor: null`).
fn from_feed(feed: &Value, doc_id: &str) -> AutoCommit {
    let mut bytes = Vec::new();
    for e in feed.as_array().expect("feed") {
        if e["doc_id"] == doc_id {
            bytes.extend(
                closeloop_model::protocol::wire::decode(e["changes"].as_str().expect("changes"))
                    .expect("base64"),
            );
        }
    }
    AutoCommit::load(&bytes).expect("the feed rebuilds the document")
}

#[test]
fn every_route_answers_what_openapi_json_describes() {
    let spec = Spec::load();
    let t = Target::start(bin(), &[("login-burst-per-address", "1000")]);
    let u = |p: &str| format!("{}{p}", t.url);
    let restaurant = t.site(ORG_A, "川菜馆");
    let shop = t.site(ORG_A, "便利店");

    // Real data, made by phones: a hazard with a before-photo, assigned to the restaurant's
    // owner, who rectifies it with an after-photo; a second one at the shop, only reported.
    let wang = Phone::login(&t.url, "wang");
    wang.sync();
    let zhang = Phone::login(&t.url, "zhang");
    let (insp, hz) = inspect(&wang, &restaurant, 1);
    wang.run(wang.ws.act_on_hazard(
        hz.clone(),
        HazardAction::Assign {
            assignee: zhang.user.user_id.clone(),
            deadline: 1_900_000_000_000,
            measure: String::new(),
        },
        String::new(),
        vec![],
    ))
    .expect("assign");
    wang.sync();
    zhang.sync();
    zhang
        .run(zhang.ws.act_on_hazard(
            hz.clone(),
            HazardAction::SubmitRectification,
            "已清理".into(),
            vec![zhang.take_photo("after", 99)],
        ))
        .expect("rectify");
    let r = zhang.sync();
    assert!(
        r.refused.is_empty() && r.upload_failures.is_empty(),
        "{r:?}"
    );
    let (_, hz2) = inspect(&wang, &shop, 2);

    let li: Account = login(&t, "li");
    let admin = login(&t, "admin");
    let zhang_http = login(&t, "zhang");
    let tok = Some(li.token.as_str());

    // Authentication.
    let creds = |user: &str, pass: &str| {
        json_body(&json!({"username": user, "password": pass, "device_id": "schema-dev"}))
    };
    let lr = "/v1/auth/login";
    let r = spec.call(
        "POST",
        lr,
        &u(lr),
        None,
        Some(&creds("wang", "wang-demo-pass")),
        &[JSON],
    );
    assert_eq!(r.status, 200);
    let refresh = r.body["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let r = spec.call(
        "POST",
        lr,
        &u(lr),
        None,
        Some(&creds("wang", "wrong")),
        &[JSON],
    );
    assert_eq!(r.status, 401);
    let rr = "/v1/auth/refresh";
    let body = json_body(&json!({ "refresh_token": refresh }));
    let r = spec.call("POST", rr, &u(rr), None, Some(&body), &[JSON]);
    assert_eq!(r.status, 200);
    let newer = r.body["refresh_token"]
        .as_str()
        .expect("refresh")
        .to_owned();
    let r = spec.call("POST", rr, &u(rr), None, Some(&body), &[JSON]);
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (401, Some("refresh_reused"))
    );
    let lo = "/v1/auth/logout";
    let body = json_body(&json!({ "refresh_token": newer }));
    assert_eq!(
        spec.call("POST", lo, &u(lo), tok, Some(&body), &[JSON])
            .status,
        204
    );
    assert_eq!(
        spec.call("POST", lo, &u(lo), None, Some(&body), &[JSON])
            .status,
        401
    );
    assert_eq!(
        spec.call("GET", "/v1/me", &u("/v1/me"), tok, None, &[])
            .status,
        200
    );
    assert_eq!(
        spec.call("GET", "/v1/me", &u("/v1/me"), None, None, &[])
            .status,
        401
    );

    // Actors and sync: li's first sync brings the hazards; a push by an actor nobody
    // registered is refused with the server's copy; one by her own actor is accepted.
    let ar = "/v1/devices/actors";
    let actor = automerge::ActorId::random();
    let body = json_body(&json!({ "actor_ids": [actor.to_hex_string()] }));
    assert_eq!(
        spec.call("POST", ar, &u(ar), tok, Some(&body), &[JSON])
            .status,
        200
    );
    let body = json_body(&json!({ "actor_ids": ["not-hex"] }));
    assert_eq!(
        spec.call("POST", ar, &u(ar), tok, Some(&body), &[JSON])
            .status,
        400
    );
    let sr = "/v1/sync";
    let first = json_body(&json!({ "cursor": null, "push": [], "feed_limit": 1000 }));
    let r = spec.call("POST", sr, &u(sr), tok, Some(&first), &[JSON]);
    assert_eq!(r.status, 200);
    let feed = r.body["feed"].clone();
    let cursor = r.body["cursor"].clone();
    let mut stranger = from_feed(&feed, &hz).with_actor(automerge::ActorId::random());
    let heads = stranger.get_heads();
    hazard::append_event(
        &mut stranger,
        &event(
            "evt-schema-stranger",
            EventKind::Commented,
            LI,
            Role::Supervisor,
            T0,
            &[],
        ),
    )
    .expect("event");
    let mut own = from_feed(&feed, &hz2).with_actor(actor);
    let own_heads = own.get_heads();
    hazard::append_event(
        &mut own,
        &event(
            "evt-schema-own",
            EventKind::Commented,
            &li.user_id,
            Role::Supervisor,
            T0,
            &[],
        ),
    )
    .expect("event");
    let enc = closeloop_model::protocol::wire::encode;
    let body = json_body(&json!({
        "cursor": cursor,
        "push": [
            { "doc_id": hz, "changes": enc(&stranger.save_after(&heads)) },
            { "doc_id": hz2, "changes": enc(&own.save_after(&own_heads)) },
        ],
    }));
    let r = spec.call("POST", sr, &u(sr), tok, Some(&body), &[JSON]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body["results"][0]["refusal"]["rule"],
        "sync.actor_not_bound"
    );
    assert!(r.body["results"][0]["server_doc"].is_string());
    assert_eq!(r.body["results"][1]["status"], "accepted", "{}", r.body);
    let body = json_body(&json!({ "cursor": "not a number" }));
    assert_eq!(
        spec.call("POST", sr, &u(sr), tok, Some(&body), &[JSON])
            .status,
        400
    );

    // Photos.
    let photo = std::fs::read(wang.take_photo("schema", 7)).expect("photo");
    let sha = closeloop_e2e::sha256_hex(&photo);
    let br = "/v1/blobs/{sha256}";
    let jpeg = [("content-type", "image/jpeg")];
    let blob = |s: &str| u(&format!("/v1/blobs/{s}"));
    assert_eq!(
        spec.call("PUT", br, &blob(&sha), tok, Some(&photo), &jpeg)
            .status,
        201
    );
    assert_eq!(
        spec.call("PUT", br, &blob(&sha), tok, Some(&photo), &jpeg)
            .status,
        200
    );
    let junk = b"<html>not a photo</html>".to_vec();
    let junk_sha = closeloop_e2e::sha256_hex(&junk);
    let r = spec.call("PUT", br, &blob(&junk_sha), tok, Some(&junk), &jpeg);
    assert_eq!(r.status, 415);
    let r = spec.call("GET", br, &blob(&sha), tok, None, &[]);
    assert_eq!((r.status, r.raw == photo), (200, true));
    assert_eq!(
        spec.call("GET", br, &blob(&junk_sha), tok, None, &[])
            .status,
        404
    );
    assert_eq!(
        spec.call("HEAD", br, &blob(&sha), tok, None, &[]).status,
        200
    );
    assert_eq!(
        spec.call("HEAD", br, &blob(&junk_sha), tok, None, &[])
            .status,
        404
    );

    // Tracking.
    let get_ok = |route: &str, path: &str, token: Option<&str>| {
        let r = spec.call("GET", route, &u(path), token, None, &[]);
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        r
    };
    let get_err = |route: &str, path: &str, token: Option<&str>, status: u16| {
        let r = spec.call("GET", route, &u(path), token, None, &[]);
        assert_eq!(r.status, status, "GET {path}: {}", r.body);
    };
    let r = get_ok("/v1/hazards", "/v1/hazards?limit=1", tok);
    assert!(r.body["next_cursor"].is_string(), "{}", r.body);
    let r = get_ok(
        "/v1/hazards",
        "/v1/hazards?status=rectification_submitted&evidence_complete=true",
        tok,
    );
    assert_eq!(r.body["items"][0]["id"], hz.as_str());
    get_err("/v1/hazards", "/v1/hazards?status=lost", tok, 400);
    get_err("/v1/hazards", "/v1/hazards", None, 401);
    let r = get_ok("/v1/hazards/{id}", &format!("/v1/hazards/{hz}"), tok);
    assert_eq!(r.body["timeline"].as_array().map(Vec::len), Some(3));
    get_err("/v1/hazards/{id}", "/v1/hazards/hzd-nothing", tok, 404);
    let tl = "/v1/hazards/{id}/timeline";
    get_ok(tl, &format!("/v1/hazards/{hz}/timeline"), tok);
    get_err(tl, "/v1/hazards/hzd-nothing/timeline", tok, 404);
    let r = get_ok("/v1/review-queue", "/v1/review-queue", tok);
    assert_eq!(r.body[0]["id"], hz.as_str());
    assert_eq!(r.body[0]["after_photos"].as_array().map(Vec::len), Some(1));
    get_err("/v1/review-queue", "/v1/review-queue?limit=0", tok, 400);
    let ir = "/v1/inspections/{id}";
    let r = get_ok(ir, &format!("/v1/inspections/{insp}"), tok);
    assert_eq!(r.body["items"][0]["outcome"]["outcome"], "fail");
    get_err(ir, "/v1/inspections/insp-nothing", tok, 404);
    let nr = "/v1/sites/nearby";
    let r = get_ok(nr, "/v1/sites/nearby?lat=31.23&lon=121.47&radius_km=5", tok);
    assert!(!r.body.as_array().expect("sites").is_empty());
    get_err(
        nr,
        "/v1/sites/nearby?lat=31.23&lon=121.47&radius_km=2",
        tok,
        400,
    );
    let si = "/v1/sites/{id}";
    get_ok(si, &format!("/v1/sites/{restaurant}"), tok);
    get_err(si, "/v1/sites/site-nothing", tok, 404);
    let cl = "/v1/sites/{id}/checklist";
    let r = get_ok(
        cl,
        &format!("/v1/sites/{shop}/checklist?purpose=patrol"),
        tok,
    );
    assert_eq!(r.body["purpose"], "patrol");
    get_err(
        cl,
        &format!("/v1/sites/{shop}/checklist?purpose=party"),
        tok,
        400,
    );
    get_ok("/v1/stats", "/v1/stats", tok);
    get_err("/v1/stats", "/v1/stats?from=10&to=5", tok, 400);

    // Decisions over HTTP: a supervisor cancels the second hazard; a second decision on it is not
    // possible any more, and an owner may not accept.
    let act = "/v1/hazards/{id}/actions";
    let on = |id: &str| u(&format!("/v1/hazards/{id}/actions"));
    let cancel = json_body(&json!({"type": "cancelled", "reason": "重复上报"}));
    let r = spec.call("POST", act, &on(&hz2), tok, Some(&cancel), &[JSON]);
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("cancelled")),
        "{}",
        r.body
    );
    let accept = json_body(&json!({"type": "accepted"}));
    let r = spec.call("POST", act, &on(&hz2), tok, Some(&accept), &[JSON]);
    assert_eq!(r.status, 409, "{}", r.body);
    let r = spec.call(
        "POST",
        act,
        &on(&hz),
        Some(&zhang_http.token),
        Some(&accept),
        &[JSON],
    );
    assert_eq!(r.status, 403, "{}", r.body);

    // Live events, replayed from the start: each is a HazardEvent.
    let stream =
        closeloop_testkit::EventStream::open(&u("/v1/hazard-events?after=0"), &li.token, None)
            .expect("stream opens");
    let mut hazards = 0;
    while let closeloop_testkit::Next::Event(e) = stream.next(Duration::from_millis(700)) {
        if e.event == "hazard" {
            let data: Value = serde_json::from_str(&e.data).expect("json");
            spec.validate("hazard event", &spec.component("HazardEvent"), &data);
            hazards += 1;
        }
    }
    assert!(hazards >= 2, "the stream replays both hazards");
    spec.seen
        .borrow_mut()
        .insert(("GET".into(), "/v1/hazard-events".into(), "200".into()));
    get_err("/v1/hazard-events", "/v1/hazard-events", None, 401);

    // Administration.
    let at = Some(admin.token.as_str());
    let gr = "/v1/admin/grids";
    let grid = json_body(&json!({"id": "grid-schema", "name": "契约网格"}));
    assert_eq!(
        spec.call("POST", gr, &u(gr), at, Some(&grid), &[JSON])
            .status,
        201
    );
    assert_eq!(
        spec.call("POST", gr, &u(gr), at, Some(&grid), &[JSON])
            .status,
        409
    );
    let ur = "/v1/admin/users";
    let user = json_body(&json!({
        "username": "schema-owner", "password": "a long enough password",
        "display_name": "契约店主", "role": "owner", "site_ids": [shop],
    }));
    let r = spec.call("POST", ur, &u(ur), at, Some(&user), &[JSON]);
    assert_eq!(r.status, 201, "{}", r.body);
    let new_user = r.body["user_id"].as_str().expect("user id").to_owned();
    assert_eq!(
        spec.call("POST", ur, &u(ur), tok, Some(&user), &[JSON])
            .status,
        403
    );
    let sc = "/v1/admin/users/{user_id}/scope";
    let scope_url = u(&format!("/v1/admin/users/{new_user}/scope"));
    let scope = json_body(&json!({"grid_ids": [], "site_ids": [shop, restaurant]}));
    assert_eq!(
        spec.call("PUT", sc, &scope_url, at, Some(&scope), &[JSON])
            .status,
        204
    );
    let owner_grids = json_body(&json!({"grid_ids": ["grid-1"], "site_ids": [shop]}));
    let r = spec.call("PUT", sc, &scope_url, at, Some(&owner_grids), &[JSON]);
    assert_eq!(r.status, 400);
    assert!(
        r.body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("scope.owner_grids")
    );

    // People and places (ADR 0007).
    let zt = Some(zhang_http.token.as_str());
    get_ok("/v1/people", "/v1/people", tok);
    get_err("/v1/people", "/v1/people", None, 401);
    let sa = "/v1/sites/{id}/assignees";
    get_ok(sa, &format!("/v1/sites/{restaurant}/assignees"), tok);
    get_err(sa, "/v1/sites/site-nothing/assignees", tok, 404);
    get_ok(ur, ur, at);
    get_err(ur, ur, tok, 403);
    get_ok(gr, gr, at);
    get_err(gr, gr, zt, 403);
    let send = |method: &str, route: &str, path: &str, token: Option<&str>, body: &Value| {
        spec.call(
            method,
            route,
            &u(path),
            token,
            Some(&json_body(body)),
            &[JSON],
        )
    };
    let eu = "/v1/admin/users/{user_id}";
    let r = send(
        "PATCH",
        eu,
        &format!("/v1/admin/users/{new_user}"),
        at,
        &json!({"display_name": "契约老板"}),
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        send(
            "PATCH",
            eu,
            "/v1/admin/users/u-nothing",
            at,
            &json!({"display_name": "x"})
        )
        .status,
        404
    );
    for action in ["deactivate", "reactivate"] {
        let route = format!("/v1/admin/users/{{user_id}}/{action}");
        let r = send(
            "POST",
            &route,
            &format!("/v1/admin/users/{new_user}/{action}"),
            at,
            &json!({}),
        );
        assert_eq!(r.status, 204, "{}", r.body);
        assert_eq!(
            send(
                "POST",
                &route,
                &format!("/v1/admin/users/{new_user}/{action}"),
                tok,
                &json!({})
            )
            .status,
            403
        );
    }
    let pw = "/v1/admin/users/{user_id}/password";
    let pw_url = format!("/v1/admin/users/{new_user}/password");
    assert_eq!(
        send(
            "PUT",
            pw,
            &pw_url,
            at,
            &json!({"password": "another long password"})
        )
        .status,
        204
    );
    assert_eq!(
        send("PUT", pw, &pw_url, at, &json!({"password": "short"})).status,
        400
    );
    let rg = "/v1/admin/grids/{id}";
    assert_eq!(
        send(
            "PATCH",
            rg,
            "/v1/admin/grids/grid-schema",
            at,
            &json!({"name": "契约二网格"})
        )
        .status,
        204
    );
    assert_eq!(
        send(
            "PATCH",
            rg,
            "/v1/admin/grids/grid-nothing",
            at,
            &json!({"name": "x"})
        )
        .status,
        404
    );
    let site = json!({
        "grid_id": "grid-1", "code": "SCHEMA-1", "name": "契约小店", "address": "契约路 1 号",
        "lat": 31.2, "lon": 121.4,
        "profile": {"schema_version": 2, "jurisdiction": "cn", "premises": "small_shop",
                    "floor_area_m2": 60, "storeys": 1, "building_height_m": 4, "occupants": 8,
                    "gas": "none", "hazard_level": "light"}
    });
    let cs = "/v1/admin/sites";
    let r = send("POST", cs, cs, at, &site);
    assert_eq!(r.status, 201, "{}", r.body);
    let new_site = r.body["site_id"].as_str().expect("site id").to_owned();
    assert_eq!(
        send("POST", cs, cs, at, &site).status,
        409,
        "the code is taken"
    );
    let mut fields = site.clone();
    if let Some(m) = fields.as_object_mut() {
        m.remove("grid_id");
        m.remove("code");
        m.insert("name".into(), json!("契约小店（改）"));
    }
    let es = "/v1/admin/sites/{id}";
    assert_eq!(
        send(
            "PUT",
            es,
            &format!("/v1/admin/sites/{new_site}"),
            at,
            &fields
        )
        .status,
        204
    );
    assert_eq!(
        send("PUT", es, "/v1/admin/sites/site-nothing", at, &fields).status,
        404
    );
    let ms = "/v1/admin/sites/{id}/move";
    assert_eq!(
        send(
            "POST",
            ms,
            &format!("/v1/admin/sites/{new_site}/move"),
            at,
            &json!({"grid_id": "grid-2"})
        )
        .status,
        204
    );
    assert_eq!(
        send(
            "POST",
            ms,
            &format!("/v1/admin/sites/{new_site}/move"),
            at,
            &json!({"grid_id": "grid-nothing"})
        )
        .status,
        400
    );
    let sp = "/v1/admin/sites/{id}/people";
    let people = json!({"owner_ids": [new_user], "responsible": [{"facility": "whole_site", "user_id": new_user}]});
    let r = send(
        "PUT",
        sp,
        &format!("/v1/admin/sites/{new_site}/people"),
        at,
        &people,
    );
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(
        send(
            "PUT",
            sp,
            "/v1/admin/sites/site-nothing/people",
            at,
            &people
        )
        .status,
        404
    );
    let au = "/v1/admin/audit";
    let r = get_ok(au, "/v1/admin/audit?limit=5", at);
    assert!(!r.body["entries"].as_array().expect("entries").is_empty());
    get_err(au, au, tok, 403);
    let im = "/v1/admin/imports/{kind}";
    let csv = "code,name,grid_id,premises,floor_area_m2,storeys,building_height_m,occupants,gas,hazard_level\nSCHEMA-2,契约仓,grid-1,warehouse,300,1,6,5,none,medium\n";
    let ct = [("content-type", "text/csv")];
    let r = spec.call(
        "POST",
        im,
        &u("/v1/admin/imports/sites?dry_run=true&lang=en"),
        at,
        Some(csv.as_bytes()),
        &ct,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let bad = csv.replace("grid-1", "grid-nothing");
    let r = spec.call(
        "POST",
        im,
        &u("/v1/admin/imports/sites?dry_run=true"),
        at,
        Some(bad.as_bytes()),
        &ct,
    );
    assert_eq!(r.status, 422, "{}", r.body);

    // Exports, documents and reports (ADR 0008).
    let raw_ok = |route: &str, path: &str| {
        let r = spec.call("GET", route, &u(path), tok, None, &[]);
        assert_eq!(
            r.status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&r.raw)
        );
        r
    };
    for kind in ["hazards", "inspections", "sites"] {
        let route = format!("/v1/exports/{kind}");
        raw_ok(&route, &format!("{route}?format=csv"));
        raw_ok(&route, &format!("{route}?format=xlsx"));
        get_err(&route, &format!("{route}?format=pdf"), tok, 400);
    }
    let ar = "/v1/sites/{id}/archive.pdf";
    let r = raw_ok(ar, &format!("/v1/sites/{restaurant}/archive.pdf"));
    assert!(r.raw.starts_with(b"%PDF-"));
    get_err(ar, "/v1/sites/site-nothing/archive.pdf", tok, 404);
    let hn = "/v1/hazards/{id}/notice.pdf";
    raw_ok(hn, &format!("/v1/hazards/{hz}/notice.pdf"));
    get_err(hn, "/v1/hazards/hzd-nothing/notice.pdf", tok, 404);
    let inn = "/v1/inspections/{id}/notice.pdf";
    raw_ok(inn, &format!("/v1/inspections/{insp}/notice.pdf"));
    get_err(inn, "/v1/inspections/insp-nothing/notice.pdf", tok, 404);
    let rr = "/v1/reports";
    let weekly = json_body(&json!({"kind": "weekly"}));
    let r = spec.call("POST", rr, &u(rr), tok, Some(&weekly), &[JSON]);
    assert_eq!(r.status, 201, "{}", r.body);
    let report = r.body["id"].as_str().expect("report id").to_owned();
    let yearly = json_body(&json!({"kind": "yearly"}));
    assert_eq!(
        spec.call("POST", rr, &u(rr), tok, Some(&yearly), &[JSON])
            .status,
        400
    );
    get_ok(rr, "/v1/reports?kind=weekly", tok);
    get_err(rr, "/v1/reports?kind=yearly", tok, 400);
    get_ok("/v1/reports/{id}", &format!("/v1/reports/{report}"), tok);
    get_err("/v1/reports/{id}", "/v1/reports/rpt-nothing", tok, 404);
    let rp = "/v1/reports/{id}/report.pdf";
    raw_ok(rp, &format!("/v1/reports/{report}/report.pdf"));
    get_err(rp, "/v1/reports/rpt-nothing/report.pdf", tok, 404);

    // Operations and the document itself.
    get_ok("/v1/openapi.json", "/v1/openapi.json", None);
    get_ok("/healthz", "/healthz", None);
    get_ok("/readyz", "/readyz", None);
    get_ok("/metrics", "/metrics", None);

    // What no route serves: the error body too.
    for (method, path, status) in [
        ("GET", "/v1/nothing-here", 404),
        ("DELETE", "/v1/sync", 405),
    ] {
        let r = call(method, &u(path), tok, None, &[]);
        assert_eq!(r.status, status);
        assert!(r.content_type.starts_with("application/json"));
        spec.validate(
            &format!("{method} {path}"),
            &spec.component("Error"),
            &r.body,
        );
    }

    // Every route: a success and (but for the open operational ones) an error, checked.
    let seen = spec.seen.borrow();
    let mut missing = Vec::new();
    for (method, route) in closeloop_server::ROUTES {
        let answered = |ok: bool| {
            seen.iter().any(|(m, p, k)| {
                m == method && p == route && (k.starts_with('2') == ok) && !k.starts_with('3')
            })
        };
        let open = ["/healthz", "/readyz", "/metrics", "/v1/openapi.json"].contains(route);
        if !answered(true) {
            missing.push(format!("{method} {route}: no success checked"));
        }
        if !open && !answered(false) {
            missing.push(format!("{method} {route}: no error checked"));
        }
    }
    assert!(missing.is_empty(), "{missing:#?}");
}
