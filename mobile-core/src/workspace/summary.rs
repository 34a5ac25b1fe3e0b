//! The one-line summary kept with each document's log, so listing needs no automerge.

use automerge::{AutoCommit, ChangeHash};
use closeloop_model::doc::{DocKind, hazard, inspection, site, tasks};
use closeloop_model::lifecycle::{Millis, Severity, Status};
use closeloop_model::roles::SiteRef;
use serde::{Deserialize, Serialize};

/// What the workspace knows about a document without loading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocSummary {
    pub kind: DocKind,
    pub id: String,
    pub site: SiteRef,
    pub title: String,
    /// Hazard status, or `open` / `signed_off` for inspections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// For inspections: when started; for hazards: when reported.
    #[serde(default)]
    pub started_at: Millis,
    pub updated_at: Millis,
    /// The document's automerge heads (hex) when this summary was written. Kept with the summary
    /// so sync can tell which documents changed without loading every one of them. Empty in
    /// summaries written before sync existed: then the document is loaded to find out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub heads: Vec<String>,
}

impl DocSummary {
    /// Parsed hazard status, if this is a hazard.
    pub fn hazard_status(&self) -> Option<Status> {
        Status::parse(self.status.as_deref()?)
    }
}

/// Summarises a document as it is now, with its heads: what is stored with each log record.
pub fn summarise_stored(
    doc: &mut AutoCommit,
    now: Millis,
) -> Result<DocSummary, closeloop_model::doc::DocError> {
    let mut s = summarise(doc, now)?;
    s.heads = hex_heads(&doc.get_heads());
    Ok(s)
}

/// Change hashes as the hex strings used in summaries and on the wire.
pub fn hex_heads(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(ToString::to_string).collect()
}

/// Summarises a document as it is now.
pub fn summarise(
    doc: &AutoCommit,
    now: Millis,
) -> Result<DocSummary, closeloop_model::doc::DocError> {
    let header = closeloop_model::doc::header(doc)?;
    let base = |title: String| DocSummary {
        kind: header.kind,
        id: header.id.clone(),
        site: header.site.clone(),
        title,
        status: None,
        severity: None,
        deadline: None,
        assignee: None,
        started_at: 0,
        updated_at: now,
        heads: Vec::new(),
    };
    Ok(match header.kind {
        DocKind::Site => base(site::read(doc)?.name),
        DocKind::Inspection => {
            let i = inspection::read(doc)?;
            DocSummary {
                status: Some(
                    if i.signed_off.is_some() {
                        "signed_off"
                    } else {
                        "open"
                    }
                    .to_owned(),
                ),
                started_at: i.started_at,
                ..base(i.purpose.label_en().to_owned())
            }
        }
        DocKind::Hazard => {
            let h = hazard::read(doc)?;
            let s = h.state();
            DocSummary {
                status: s.status.map(|st| st.as_str().to_owned()),
                severity: Some(s.severity),
                deadline: s.deadline,
                assignee: s.assignee.clone(),
                started_at: s.reported_at.unwrap_or(0),
                ..base(s.report.map(|r| r.title).unwrap_or_default())
            }
        }
        DocKind::TaskPlan => {
            let t = tasks::read(doc)?;
            base(format!("{} recurring tasks", t.plan.tasks.len()))
        }
    })
}
