//! `closeloop-packs`: lint regulation packs and print the checklist or task plan for a profile.
//!
//! ```text
//! closeloop-packs lint [--packs DIR]
//! closeloop-packs checklist PROFILE.toml [--purpose patrol|monthly_inspection|self_check|full_inspection] [--json] [--packs DIR]
//! closeloop-packs tasks PROFILE.toml [--json] [--packs DIR]
//! closeloop-packs diff OLD_DIR [PROFILE.toml ...] [--purpose P] [--json] [--packs DIR]
//! ```
//! Without `--packs` the packs built into the binary are used; with it, `DIR/documents.toml` and
//! every other `DIR/*.toml`. `diff` compares the packs in OLD_DIR (e.g. what the district's phones
//! run now) with the new ones, and says what each given site's checklist and task plan gain and
//! lose.

use closeloop_checklists::{PackSet, Purpose, SiteProfile, Source, builtin, render};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const USAGE: &str = "usage:
  closeloop-packs lint [--packs DIR]
  closeloop-packs checklist PROFILE.toml [--purpose patrol|monthly_inspection|self_check|full_inspection] [--json] [--packs DIR]
  closeloop-packs tasks PROFILE.toml [--json] [--packs DIR]
  closeloop-packs diff OLD_DIR [PROFILE.toml ...] [--purpose P] [--json] [--packs DIR]";

struct Args {
    command: String,
    /// The profile, or for `diff` the old packs folder and then the profiles.
    positional: Vec<PathBuf>,
    packs: Option<PathBuf>,
    purpose: Purpose,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let command = it.next().ok_or("missing command")?;
    let mut args = Args {
        command,
        positional: Vec::new(),
        packs: None,
        purpose: Purpose::FullInspection,
        json: false,
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--packs" => args.packs = Some(it.next().ok_or("--packs needs a folder")?.into()),
            "--purpose" => {
                let p = it.next().ok_or("--purpose needs a value")?;
                args.purpose = Purpose::parse(&p).ok_or(format!("unknown purpose `{p}`"))?;
            }
            "--json" => args.json = true,
            "-h" | "--help" => return Err(String::new()),
            _ if !a.starts_with("--") => args.positional.push(a.into()),
            _ => return Err(format!("unexpected argument `{a}`")),
        }
    }
    Ok(args)
}

fn read(path: &Path) -> Result<Source, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(Source {
        name: path.display().to_string(),
        text,
    })
}

fn load_dir(dir: &Path) -> Result<(Source, Vec<Source>), String> {
    let docs = read(&dir.join("documents.toml"))?;
    let mut packs = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let is_pack = path.extension().is_some_and(|e| e == "toml")
            && path.file_name().is_some_and(|n| n != "documents.toml");
        if is_pack {
            packs.push(read(&path)?);
        }
    }
    Ok((docs, packs))
}

fn pack_set(dir: Option<&Path>) -> Result<PackSet, String> {
    let Some(dir) = dir else {
        return Ok(builtin().clone());
    };
    let (docs, packs) = load_dir(dir)?;
    refused(PackSet::load(&docs, &packs))
}

/// The packs phones run now, which may be written for an earlier build.
fn previous_pack_set(dir: &Path) -> Result<PackSet, String> {
    let (docs, packs) = load_dir(dir)?;
    refused(PackSet::load_previous(&docs, &packs))
}

fn refused(
    loaded: Result<PackSet, Vec<closeloop_checklists::PackError>>,
) -> Result<PackSet, String> {
    loaded.map_err(|errs| {
        let mut msg: Vec<String> = errs.iter().map(ToString::to_string).collect();
        msg.push(format!("{} error(s): packs refused", errs.len()));
        msg.join("\n")
    })
}

fn profile(args: &Args) -> Result<(SiteProfile, String), String> {
    let path = match args.positional.as_slice() {
        [one] => one,
        [] => return Err("missing PROFILE.toml".into()),
        [_, extra, ..] => return Err(format!("unexpected argument `{}`", extra.display())),
    };
    read_profile(path)
}

fn read_profile(path: &Path) -> Result<(SiteProfile, String), String> {
    let src = read(path)?;
    let p = SiteProfile::from_toml(&src.text).map_err(|e| format!("{}: {e}", src.name))?;
    let name = p.name.clone().unwrap_or_else(|| src.name.clone());
    Ok((p, name))
}

fn run(args: &Args) -> Result<String, String> {
    let set = pack_set(args.packs.as_deref())?;
    match args.command.as_str() {
        "lint" => {
            let s = set.summary();
            Ok(format!(
                "{} packs, {} items, {} tasks, {} citations ({} unverified)\n",
                s.packs, s.items, s.tasks, s.citations, s.unverified
            ))
        }
        "checklist" => {
            let (p, name) = profile(args)?;
            let c = set.generate(&p, args.purpose);
            Ok(if args.json {
                serde_json::to_string_pretty(&c).map_err(|e| e.to_string())? + "\n"
            } else {
                render::checklist(&c, &name)
            })
        }
        "tasks" => {
            let (p, name) = profile(args)?;
            let plan = set.task_plan(&p);
            Ok(if args.json {
                serde_json::to_string_pretty(&plan).map_err(|e| e.to_string())? + "\n"
            } else {
                render::task_plan(&plan, &name)
            })
        }
        "diff" => {
            let (old_dir, profiles) = args
                .positional
                .split_first()
                .ok_or("missing OLD_DIR, the folder of the packs to compare with")?;
            let old = previous_pack_set(old_dir)?;
            let d = set.diff(&old);
            let mut sites = Vec::new();
            for path in profiles {
                let (p, name) = read_profile(path)?;
                sites.push((name, set.impact(&old, &p, args.purpose)));
            }
            if args.json {
                let sites: Vec<_> = sites
                    .iter()
                    .map(|(name, i)| serde_json::json!({ "site": name, "impact": i }))
                    .collect();
                let v = serde_json::json!({ "content": d, "sites": sites });
                return Ok(serde_json::to_string_pretty(&v).map_err(|e| e.to_string())? + "\n");
            }
            let mut out = render::diff(&d);
            if !sites.is_empty() {
                out.push_str("\nSites:\n");
            }
            for (name, i) in &sites {
                out.push_str(&render::impact(i, name));
            }
            Ok(out)
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
