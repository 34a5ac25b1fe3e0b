//! Hazards: raise one from a failed item (pre-filled from its clause), then move it through its
//! lifecycle. Every step is refused before it is written if the user's role or the hazard's state
//! does not allow it.

use super::inspections::PhotoInput;
use super::{DocSummary, Error, Result, Workspace};
use closeloop_model::doc::hazard::{self, Hazard};
use closeloop_model::doc::inspection::{self, Outcome};
use closeloop_model::doc::{DocKind, Header};
use closeloop_model::lifecycle::{
    Event, EventKind, Millis, Report, Severity, Status, check_event_content, check_transition,
};
use closeloop_model::permission::Action;
use closeloop_model::roles::SiteRef;

/// A hazard raised without a checklist item (e.g. spotted on the way).
#[derive(Debug, Clone)]
pub struct NewHazard {
    pub site_id: String,
    pub title: String,
    pub severity: Severity,
    pub clauses: Vec<String>,
    pub measure: String,
    pub deadline: Option<Millis>,
}

/// Which hazards to list.
#[derive(Debug, Clone, Default)]
pub struct HazardFilter {
    pub site_id: Option<String>,
    pub statuses: Vec<Status>,
    pub open_only: bool,
    pub overdue_only: bool,
    pub assigned_to_me: bool,
}

impl Workspace {
    fn new_event(&self, kind: EventKind, note: &str, photos: Vec<String>) -> Event {
        Event {
            id: self.new_id("evt"),
            kind,
            by: self.identity().user_id.clone(),
            role: self.identity().role,
            at: self.now(),
            note: note.to_owned(),
            photos,
        }
    }

    /// Checks an event's content by the model's rule before any photo is stored, so a refused
    /// event leaves nothing behind. Photos count by number here; their hashes are made when stored.
    fn check_content(&self, kind: &EventKind, note: &str, photos: usize) -> Result<()> {
        let mut provisional = self.new_event(kind.clone(), note, Vec::new());
        provisional.photos = vec!["0".repeat(64); photos];
        check_event_content(&provisional).map_err(|d| Error::Invalid {
            field: match d.rule {
                "hazard.title_required" => "title",
                "hazard.rectify.photo_required" | "hazard.too_many_photos" | "hazard.photo_ref" => {
                    "photos"
                }
                "hazard.assignee_required" => "assignee",
                "hazard.too_many_clauses" => "clauses",
                _ => "note",
            }
            .into(),
            reason: d.reason,
        })
    }

    /// `stored` are photos already in the blob store (attached to the failed item).
    fn create_hazard(
        &mut self,
        site: SiteRef,
        inspection_id: Option<&str>,
        report: Report,
        note: &str,
        photos: &[PhotoInput],
        stored: Vec<String>,
    ) -> Result<String> {
        let empty = closeloop_model::lifecycle::fold(&[]);
        let kind = EventKind::Reported(report);
        self.check(
            &site,
            &Action::HazardEvent {
                kind: &kind,
                hazard: &empty,
            },
        )?;
        self.check_content(&kind, note, stored.len() + photos.len())?;
        let mut shas = stored;
        for p in photos {
            shas.push(self.store_photo(p, None)?.sha256);
        }
        let id = self.new_id("hzd");
        let header = Header {
            kind: DocKind::Hazard,
            id: id.clone(),
            site,
        };
        let event = self.new_event(kind, note, shas);
        let mut doc = self.new_doc();
        hazard::create(&mut doc, &header, inspection_id, &event)?;
        self.create_doc(&header, doc)?;
        Ok(id)
    }

    /// Raises a hazard from a failed item of an inspection: title, clauses, severity, GB 35181
    /// element, measure and deadline come from the item. `photos` are the "before" evidence.
    pub fn raise_hazard_from_item(
        &mut self,
        inspection_id: &str,
        item_id: &str,
        note: &str,
        photos: &[PhotoInput],
    ) -> Result<String> {
        let i = self.inspection(inspection_id)?;
        let item = i
            .item(item_id)
            .ok_or_else(|| Error::NotFound {
                what: "checklist item",
                id: item_id.to_owned(),
            })?
            .clone();
        let current = i.current_answers();
        let reason = match current.get(item_id) {
            Some(a) => match a.outcome(&item, self.site_offset(&i.header.site.site_id))? {
                Outcome::Fail { reason } => reason,
                _ => {
                    return Err(Error::Invalid {
                        field: "item_id".into(),
                        reason: format!("item {item_id} is not failed; answer it as failed first"),
                    });
                }
            },
            None => "found on inspection".to_owned(),
        };
        let report = inspection::report_from_item(
            &item,
            i.checklist.jurisdiction,
            &reason,
            self.now(),
            self.site_offset(&i.header.site.site_id),
        );
        // Photos already attached to the failed item are the hazard's "before" evidence too.
        let attached: Vec<String> = i
            .photos
            .iter()
            .filter(|p| p.item_id.as_deref() == Some(item_id))
            .map(|p| p.sha256.clone())
            .collect();
        self.create_hazard(
            i.header.site.clone(),
            Some(inspection_id),
            report,
            note,
            photos,
            attached,
        )
    }

    /// Raises a hazard that is not tied to a checklist item.
    pub fn raise_hazard(
        &mut self,
        h: &NewHazard,
        note: &str,
        photos: &[PhotoInput],
    ) -> Result<String> {
        let site = self.summary(&h.site_id, DocKind::Site)?.site.clone();
        let report = Report {
            title: h.title.trim().to_owned(),
            severity: h.severity,
            clauses: h.clauses.clone(),
            item_id: None,
            gb35181: None,
            measure: h.measure.clone(),
            deadline: h.deadline,
        };
        self.create_hazard(site, None, report, note, photos, Vec::new())
    }

    /// The hazard as stored, with its derived state available through [`Hazard::state`].
    pub fn hazard(&mut self, id: &str) -> Result<Hazard> {
        self.summary(id, DocKind::Hazard)?;
        self.read_doc(id, hazard::read)
    }

    /// Appends a lifecycle event after checking the role and the hazard's state.
    pub fn hazard_event(
        &mut self,
        id: &str,
        kind: EventKind,
        note: &str,
        photos: &[PhotoInput],
    ) -> Result<Status> {
        let h = self.hazard(id)?;
        let state = h.state();
        self.check(
            &h.header.site,
            &Action::HazardEvent {
                kind: &kind,
                hazard: &state,
            },
        )?;
        check_transition(&state, &kind).map_err(Error::Lifecycle)?;
        self.check_content(&kind, note, photos.len())?;
        self.check_assignment(&h.header.site, &kind)?;
        let mut shas = Vec::new();
        for p in photos {
            shas.push(self.store_photo(p, None)?.sha256);
        }
        let event = self.new_event(kind, note, shas);
        self.edit_doc(id, |doc| Ok(hazard::append_event(doc, &event)?))?;
        let after = self.hazard(id)?.state();
        after.status.ok_or_else(|| Error::Invalid {
            field: "hazard".into(),
            reason: "hazard has no report".into(),
        })
    }

    /// Hazards matching `filter`, most urgent first (overdue, then by deadline).
    pub fn hazards(&self, filter: &HazardFilter) -> Vec<DocSummary> {
        let now = self.now();
        let me = &self.identity().user_id;
        let mut out: Vec<DocSummary> = self
            .summaries()
            .filter(|s| s.kind == DocKind::Hazard)
            .filter(|s| {
                filter
                    .site_id
                    .as_ref()
                    .is_none_or(|id| &s.site.site_id == id)
            })
            .filter(|s| {
                let st = s.hazard_status();
                (filter.statuses.is_empty() || st.is_some_and(|x| filter.statuses.contains(&x)))
                    && (!filter.open_only || st.is_some_and(Status::is_open))
                    && (!filter.overdue_only || is_overdue(s, now))
                    && (!filter.assigned_to_me || s.assignee.as_ref() == Some(me))
            })
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            is_overdue(b, now)
                .cmp(&is_overdue(a, now))
                .then(
                    a.deadline
                        .unwrap_or(i64::MAX)
                        .cmp(&b.deadline.unwrap_or(i64::MAX)),
                )
                .then(a.id.cmp(&b.id))
        });
        out
    }
}

/// Open, not waiting for review, and past its deadline.
pub fn is_overdue(s: &DocSummary, now: Millis) -> bool {
    s.hazard_status()
        .is_some_and(|st| st.is_open() && !st.awaits_review())
        && s.deadline.is_some_and(|d| now > d)
}
