//! `closeloop-field`: a terminal field client over the phone core, so someone without a phone can
//! run an inspection: create a site, walk its checklist, attach photos, raise hazards, list them.
//!
//! ```text
//! closeloop-field --workspace DIR --user wang --role inspector --org org-1 --grid grid-1 [COMMAND...]
//! ```
//! With a command it runs that one command; without, it reads commands from standard input
//! (type `help`). Everything is stored offline in DIR, exactly as the phone stores it. After
//! `login URL USER PASSWORD`, `--user` can be left out: the signed-in user carries on. Work done
//! before the first login is taken on by it; what did not go through is under `quarantine`.

mod quarantine;

use closeloop::workspace::{HazardFilter, Identity, NewHazard, PhotoInput, Workspace};
use closeloop_checklists::{Answer, Purpose, SiteProfile};
use closeloop_model::doc::inspection::{AnswerValue, Outcome};
use closeloop_model::lifecycle::{EventKind, Severity};
use closeloop_model::roles::{Role, Scope};
use std::io::{BufRead, Write};
use std::process::ExitCode;

const HELP: &str = "commands:
  sites                                  list sites
  new-site NAME PROFILE.toml [ADDRESS]   create a site from a profile file
  checklist SITE [PURPOSE]               print the checklist (patrol|monthly_inspection|self_check|full_inspection)
  inspect SITE [PURPOSE]                 start an inspection and walk it item by item
  resume INSPECTION                      continue answering an inspection
  answer INSPECTION ITEM VALUE [NOTE]    VALUE: pass|fail|na|NUMBER|YYYY-MM-DD
  photo INSPECTION ITEM|- PATH           attach a photo (to an item, or - for none)
  hazard INSPECTION ITEM [NOTE]          raise a hazard from a failed item
  report SITE TITLE...                   raise a hazard not tied to an item
  hazards [open|overdue|mine]            list hazards, most urgent first
  show HAZARD                            a hazard's details and timeline
  act HAZARD ACTION [ARGS]               assign USER DAYS | fix [PHOTO] | submit PHOTO... |
                                         accept | reject REASON | escalate REASON | cancel REASON |
                                         reopen REASON | comment TEXT
  sign INSPECTION                        sign an inspection off
  tasks [SITE]                           self-check tasks due now
  done SITE TASK                         record a task as done
  outbox                                 photos waiting for upload
  login URL USER PASSWORD                sign in to a Closeloop server
  sync                                   upload photos, push changes, pull others' changes
  logout                                 sign out (offline work is kept)
  quarantine                             work that did not go through: rule, reason, kept and held
  reapply ENTRY                          write again what is still allowed of an entry (next sync sends it)
  dismiss ENTRY                          take an entry off the list (it stays on disk for support)
  help | quit";

struct Opts {
    dir: String,
    identity: Identity,
    offset: i32,
    command: Vec<String>,
}

fn parse_opts() -> Result<Opts, String> {
    let mut args = std::env::args().skip(1);
    let (mut dir, mut user, mut role, mut org, mut grids, mut sites) = (
        None,
        None,
        "inspector".to_owned(),
        "org-1".to_owned(),
        Vec::new(),
        Vec::new(),
    );
    let mut offset = 480;
    let mut command = Vec::new();
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--workspace" => dir = Some(value("--workspace")?),
            "--user" => user = Some(value("--user")?),
            "--role" => role = value("--role")?,
            "--org" => org = value("--org")?,
            "--grid" => grids.push(value("--grid")?),
            "--site" => sites.push(value("--site")?),
            "--utc-offset-minutes" => {
                offset = value("--utc-offset-minutes")?
                    .parse()
                    .map_err(|_| "bad offset")?
            }
            "-h" | "--help" => return Err(String::new()),
            _ => {
                command.push(a);
                command.extend(args.by_ref());
            }
        }
    }
    let dir = dir.ok_or("--workspace is required")?;
    let Some(user) = user else {
        // Signed in before (`login`): carry on as that user.
        let identity = Workspace::stored_identity(std::path::Path::new(&dir))
            .ok_or("--user is required until someone has signed in to this workspace")?;
        return Ok(Opts {
            dir,
            identity,
            offset,
            command,
        });
    };
    let role = Role::parse(&role).ok_or(format!("unknown role {role}"))?;
    Ok(Opts {
        dir,
        identity: Identity {
            user_id: user.clone(),
            display_name: user.clone(),
            role,
            scope: Scope {
                org_id: org,
                grids,
                sites,
            },
            device_id: format!("{user}-terminal"),
        },
        offset,
        command,
    })
}

fn purpose(arg: Option<&String>) -> Result<Purpose, String> {
    match arg {
        None => Ok(Purpose::FullInspection),
        Some(p) => Purpose::parse(p).ok_or(format!("unknown purpose {p}")),
    }
}

fn parse_answer(s: &str) -> Result<AnswerValue, String> {
    Ok(match s {
        "pass" | "p" | "y" => AnswerValue::Pass,
        "fail" | "f" | "n" => AnswerValue::Fail,
        "na" | "n/a" => AnswerValue::NotApplicable,
        d if d.len() == 10 && d.as_bytes()[4] == b'-' => AnswerValue::Date {
            value: d.to_owned(),
        },
        n if n.parse::<u32>().is_ok() => AnswerValue::Count {
            value: n.parse().map_err(|_| "bad count")?,
        },
        n => AnswerValue::Measure {
            value: n.parse().map_err(|_| format!("`{n}` is not an answer"))?,
        },
    })
}

/// Counts and measures typed as plain numbers: fit them to what the item takes.
fn fit(value: AnswerValue, answer: &Answer) -> AnswerValue {
    match (value, answer) {
        (AnswerValue::Count { value }, Answer::Measure { .. }) => AnswerValue::Measure {
            value: f64::from(value),
        },
        (v, _) => v,
    }
}

fn show_outcome(o: &Outcome) -> String {
    match o {
        Outcome::Pass => "pass".into(),
        Outcome::NotApplicable => "n/a".into(),
        Outcome::Fail { reason } => format!("FAIL: {reason}"),
    }
}

struct Shell<'a, R: BufRead, W: Write> {
    ws: std::sync::Mutex<Workspace>,
    input: &'a mut R,
    out: &'a mut W,
}

type Res = Result<(), String>;

fn e<E: std::fmt::Display>(err: E) -> String {
    err.to_string()
}

impl<R: BufRead, W: Write> Shell<'_, R, W> {
    fn ws(&mut self) -> &mut Workspace {
        // The shell owns the workspace; the mutex is only there for the sync client's signature.
        match self.ws.get_mut() {
            Ok(ws) => ws,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn say(&mut self, s: impl AsRef<str>) {
        let _ = writeln!(self.out, "{}", s.as_ref());
    }

    fn prompt(&mut self, p: &str) -> Option<String> {
        let _ = write!(self.out, "{p}");
        let _ = self.out.flush();
        let mut line = String::new();
        match self.input.read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim().to_owned()),
        }
    }

    fn run(&mut self, words: &[String]) -> Res {
        let arg = |i: usize| {
            words
                .get(i)
                .ok_or_else(|| format!("missing argument {i}; type help"))
        };
        match words.first().map(String::as_str) {
            None => Ok(()),
            Some("help") => {
                self.say(HELP);
                Ok(())
            }
            Some("sites") => {
                let lines: Vec<String> = self
                    .ws()
                    .summaries()
                    .filter(|s| s.kind == closeloop_model::doc::DocKind::Site)
                    .map(|s| format!("{}  {}  ({})", s.id, s.title, s.site.grid_id))
                    .collect();
                for l in lines {
                    self.say(l);
                }
                Ok(())
            }
            Some("new-site") => {
                let name = arg(1)?.clone();
                let text = std::fs::read_to_string(arg(2)?).map_err(e)?;
                let profile = SiteProfile::from_toml(&text).map_err(e)?;
                let grid = self
                    .ws()
                    .identity()
                    .scope
                    .grids
                    .first()
                    .cloned()
                    .unwrap_or_else(|| "grid-1".into());
                let address = words.get(3).cloned().unwrap_or_default();
                let id = self
                    .ws()
                    .create_site(&grid, &name, &address, None, profile)
                    .map_err(e)?;
                self.say(format!("created site {id}"));
                Ok(())
            }
            Some("checklist") => {
                let c = self
                    .ws()
                    .checklist(arg(1)?, purpose(words.get(2))?)
                    .map_err(e)?;
                let site = self.ws().site(arg(1)?).map_err(e)?.name;
                self.say(closeloop_checklists::render::checklist(&c, &site));
                Ok(())
            }
            Some("inspect") => {
                let id = self
                    .ws()
                    .start_inspection(arg(1)?, purpose(words.get(2))?)
                    .map_err(e)?;
                self.say(format!("started inspection {id}"));
                self.walk(&id)
            }
            Some("resume") => self.walk(arg(1)?),
            Some("answer") => {
                let i = self.ws().inspection(arg(1)?).map_err(e)?;
                let item = i.item(arg(2)?).ok_or("no such item")?.answer.clone();
                let value = fit(parse_answer(arg(3)?)?, &item);
                let note = words.get(4..).map(|w| w.join(" ")).unwrap_or_default();
                let o = self
                    .ws()
                    .answer(arg(1)?, arg(2)?, value, &note)
                    .map_err(e)?;
                self.say(show_outcome(&o));
                Ok(())
            }
            Some("photo") => {
                let item = Some(arg(2)?.as_str()).filter(|i| *i != "-");
                let p = self
                    .ws()
                    .attach_photo(arg(1)?, item, &PhotoInput::File(arg(3)?.into()))
                    .map_err(e)?;
                self.say(format!(
                    "photo {} ({}×{}) queued for upload",
                    &p.sha256[..12],
                    p.width,
                    p.height
                ));
                Ok(())
            }
            Some("hazard") => {
                let note = words.get(3..).map(|w| w.join(" ")).unwrap_or_default();
                let id = self
                    .ws()
                    .raise_hazard_from_item(arg(1)?, arg(2)?, &note, &[])
                    .map_err(e)?;
                self.say(format!("raised hazard {id}"));
                self.run(&["show".into(), id])
            }
            Some("report") => {
                let h = NewHazard {
                    site_id: arg(1)?.clone(),
                    title: words.get(2..).map(|w| w.join(" ")).unwrap_or_default(),
                    severity: Severity::General,
                    clauses: vec![],
                    measure: String::new(),
                    deadline: None,
                };
                let id = self.ws().raise_hazard(&h, "", &[]).map_err(e)?;
                self.say(format!("raised hazard {id}"));
                Ok(())
            }
            Some("hazards") => {
                let mut f = HazardFilter::default();
                match words.get(1).map(String::as_str) {
                    Some("open") => f.open_only = true,
                    Some("overdue") => f.overdue_only = true,
                    Some("mine") => f.assigned_to_me = true,
                    _ => {}
                }
                let now = closeloop::workspace::system_now();
                let lines: Vec<String> = self
                    .ws()
                    .hazards(&f)
                    .iter()
                    .map(|s| {
                        let overdue = if closeloop::workspace::is_overdue(s, now) {
                            " OVERDUE"
                        } else {
                            ""
                        };
                        format!(
                            "{}  [{}{}] {:?}  {}",
                            s.id,
                            s.status.as_deref().unwrap_or("?"),
                            overdue,
                            s.severity.unwrap_or(Severity::General),
                            s.title
                        )
                    })
                    .collect();
                if lines.is_empty() {
                    self.say("no hazards");
                }
                for l in lines {
                    self.say(l);
                }
                Ok(())
            }
            Some("show") => {
                let h = self.ws().hazard(arg(1)?).map_err(e)?;
                let s = h.state();
                let r = s
                    .report
                    .clone()
                    .unwrap_or_else(|| closeloop_model::lifecycle::Report {
                        title: "(no report)".into(),
                        severity: Severity::General,
                        clauses: vec![],
                        item_id: None,
                        gb35181: None,
                        measure: String::new(),
                        deadline: None,
                    });
                self.say(format!("{}  {}", h.header.id, r.title));
                self.say(format!(
                    "  status {}  severity {:?}  deadline {:?}  assignee {}",
                    s.status.map_or("?", |x| x.as_str()),
                    s.severity,
                    s.deadline,
                    s.assignee.as_deref().unwrap_or("-")
                ));
                for c in &r.clauses {
                    self.say(format!("  cites {c}"));
                }
                if !s.measure.is_empty() {
                    self.say(format!("  measure: {}", s.measure));
                }
                for t in &s.timeline {
                    let na = t
                        .not_applied
                        .as_ref()
                        .map_or(String::new(), |n| format!("  ({})", n.reason));
                    self.say(format!(
                        "  - {} {} by {} ({}) {}{na}",
                        t.event.at,
                        t.event.kind.name(),
                        t.event.by,
                        t.event.role,
                        t.event.note
                    ));
                }
                Ok(())
            }
            Some("act") => self.act(words),
            Some("sign") => {
                self.ws().sign_off(arg(1)?, "").map_err(e)?;
                self.say("signed off");
                Ok(())
            }
            Some("tasks") => {
                let due = self
                    .ws()
                    .due_tasks(words.get(1).map(String::as_str))
                    .map_err(e)?;
                for t in due {
                    self.say(format!(
                        "{}  {}  {}  ({})",
                        t.site_id,
                        t.status.task.id,
                        t.status.task.title_zh,
                        t.status.task.frequency.label_en()
                    ));
                }
                Ok(())
            }
            Some("done") => {
                self.ws()
                    .complete_task(arg(1)?, arg(2)?, None, "")
                    .map_err(e)?;
                self.say("done");
                Ok(())
            }
            Some("login") => {
                let id = closeloop::sync::login(&self.ws, arg(1)?, arg(2)?, arg(3)?).map_err(e)?;
                self.say(format!(
                    "signed in as {} ({}), organisation {}",
                    id.user_id, id.role, id.scope.org_id
                ));
                self.not_taken_on()
            }
            Some("logout") => {
                let root = self.ws().root().to_owned();
                closeloop::sync::logout(&root).map_err(e)?;
                self.say("signed out; offline work is kept");
                Ok(())
            }
            Some("sync") => {
                let r = closeloop::sync::sync(&self.ws, &|_| {}).map_err(e)?;
                self.say(format!(
                    "uploaded {} file(s), pushed {} document(s) ({} accepted), received {} change batch(es)",
                    r.uploaded, r.pushed, r.accepted, r.received
                ));
                for (sha, why) in &r.upload_failures {
                    self.say(format!(
                        "  photo {} not uploaded: {why}",
                        &sha[..12.min(sha.len())]
                    ));
                }
                for w in &r.refused {
                    self.show_work(w);
                }
                Ok(())
            }
            Some("quarantine") => self.list_quarantine(),
            Some("reapply") => self.reapply(arg(1)?),
            Some("dismiss") => self.dismiss(arg(1)?),
            Some("outbox") => {
                let n = self.ws().blobs().pending().map_err(e)?.len();
                self.say(format!("{n} file(s) waiting for upload"));
                Ok(())
            }
            Some(other) => Err(format!("unknown command {other}; type help")),
        }
    }

    fn act(&mut self, words: &[String]) -> Res {
        let id = words.get(1).ok_or("act HAZARD ACTION")?;
        let rest = words.get(3..).map(|w| w.join(" ")).unwrap_or_default();
        let photos: Vec<PhotoInput> = words
            .get(3..)
            .unwrap_or(&[])
            .iter()
            .map(|p| PhotoInput::File(p.into()))
            .collect();
        let (kind, photos) = match words.get(2).map(String::as_str) {
            Some("assign") => {
                let user = words.get(3).ok_or("assign USER DAYS")?.clone();
                let days: i64 = words
                    .get(4)
                    .and_then(|d| d.parse().ok())
                    .ok_or("assign USER DAYS")?;
                let deadline = closeloop::workspace::system_now() + days * 86_400_000;
                (
                    EventKind::Assigned {
                        assignee: user,
                        deadline,
                        measure: String::new(),
                    },
                    vec![],
                )
            }
            Some("fix") => (EventKind::FixedOnSpot, photos),
            Some("submit") => (EventKind::RectificationSubmitted, photos),
            Some("accept") => (EventKind::Accepted, vec![]),
            Some("reject") => (
                EventKind::Rejected {
                    reason: rest.clone(),
                },
                vec![],
            ),
            Some("escalate") => (
                EventKind::Escalated {
                    reason: rest.clone(),
                },
                vec![],
            ),
            Some("cancel") => (
                EventKind::Cancelled {
                    reason: rest.clone(),
                },
                vec![],
            ),
            Some("reopen") => (
                EventKind::Reopened {
                    reason: rest.clone(),
                },
                vec![],
            ),
            Some("comment") => (EventKind::Commented, vec![]),
            _ => return Err("unknown action; type help".into()),
        };
        let note = if matches!(kind, EventKind::Commented) {
            rest
        } else {
            String::new()
        };
        let status = self
            .ws()
            .hazard_event(id, kind, &note, &photos)
            .map_err(e)?;
        self.say(format!("hazard is now {status}"));
        Ok(())
    }

    /// Walks the unanswered items one by one.
    fn walk(&mut self, inspection_id: &str) -> Res {
        let i = self.ws().inspection(inspection_id).map_err(e)?;
        let total = i.checklist.items.len();
        let todo: Vec<_> = i.unanswered().into_iter().cloned().collect();
        self.say(format!("{} of {total} items to answer; answer pass/fail/na, a number or a date; `skip`, `stop`", todo.len()));
        for (n, item) in todo.iter().enumerate() {
            self.say(format!(
                "\n[{}/{}] {}\n      {}",
                n + 1,
                todo.len(),
                item.text_zh,
                item.text_en
            ));
            if let Some(r) = &item.requirement {
                self.say(format!("      requirement: {}", r.text_en));
            }
            let cites: Vec<String> = item
                .citations
                .iter()
                .map(|c| format!("{} {}", c.title_zh, c.clause))
                .collect();
            self.say(format!("      cites: {}", cites.join("; ")));
            loop {
                let Some(line) = self.prompt("> ") else {
                    return Ok(());
                };
                match line.as_str() {
                    "stop" => return Ok(()),
                    "skip" | "" => break,
                    _ => {}
                }
                let value = match parse_answer(&line) {
                    Ok(v) => fit(v, &item.answer),
                    Err(err) => {
                        self.say(err);
                        continue;
                    }
                };
                match self.ws().answer(inspection_id, &item.id, value, "") {
                    Ok(o) => {
                        self.say(show_outcome(&o));
                        if matches!(o, Outcome::Fail { .. }) {
                            self.on_fail(inspection_id, &item.id)?;
                        }
                        break;
                    }
                    Err(err) => self.say(format!("not recorded: {err}")),
                }
            }
        }
        self.say("all items visited; `sign INSPECTION` to sign off");
        Ok(())
    }

    fn on_fail(&mut self, inspection_id: &str, item_id: &str) -> Res {
        if let Some(path) = self
            .prompt("photo path (enter to skip): ")
            .filter(|p| !p.is_empty())
        {
            match self.ws().attach_photo(
                inspection_id,
                Some(item_id),
                &PhotoInput::File(path.into()),
            ) {
                Ok(p) => self.say(format!("photo {} attached", &p.sha256[..12])),
                Err(err) => self.say(format!("photo refused: {err}")),
            }
        }
        if self
            .prompt("raise a hazard? [y/N] ")
            .is_some_and(|a| a == "y")
        {
            let id = self
                .ws()
                .raise_hazard_from_item(inspection_id, item_id, "", &[])
                .map_err(e)?;
            self.say(format!("raised hazard {id}"));
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let opts = match parse_opts() {
        Ok(o) => o,
        Err(err) => {
            if !err.is_empty() {
                eprintln!("{err}");
            }
            eprintln!(
                "usage: closeloop-field --workspace DIR --user ID [--role inspector|owner|supervisor|admin] [--org ORG] [--grid GRID]... [--site SITE]... [COMMAND...]\n{HELP}"
            );
            return ExitCode::from(2);
        }
    };
    let ws = match Workspace::open(std::path::Path::new(&opts.dir), opts.identity, opts.offset) {
        Ok(ws) => ws,
        Err(err) => {
            eprintln!("cannot open workspace: {err}");
            return ExitCode::FAILURE;
        }
    };
    for r in ws.repairs() {
        eprintln!("repaired on open: {r:?}");
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut shell = Shell {
        ws: std::sync::Mutex::new(ws),
        input: &mut input,
        out: &mut out,
    };
    if !opts.command.is_empty() {
        return match shell.run(&opts.command) {
            Ok(()) => ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("{err}");
                ExitCode::FAILURE
            }
        };
    }
    loop {
        let Some(line) = shell.prompt("closeloop> ") else {
            return ExitCode::SUCCESS;
        };
        let words: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        if matches!(words.first().map(String::as_str), Some("quit" | "exit")) {
            return ExitCode::SUCCESS;
        }
        if let Err(err) = shell.run(&words) {
            shell.say(format!("error: {err}"));
        }
    }
}
