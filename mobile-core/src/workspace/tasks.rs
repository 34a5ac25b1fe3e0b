//! The owner's recurring self-checks: what is due now, and recording one as done.

use super::sites::task_plan_id;
use super::{Error, Result, Workspace};
use closeloop_checklists::Jurisdiction;
use closeloop_model::doc::DocKind;
use closeloop_model::doc::tasks::{self, Completion, TaskStatus};
use closeloop_model::permission::Action;

/// A task of one site, with the jurisdiction whose language its titles should be shown in.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteTask {
    pub site_id: String,
    pub jurisdiction: Jurisdiction,
    pub status: TaskStatus,
}

impl Workspace {
    /// Every scheduled task of a site with whether it is done in its current period.
    pub fn tasks(&mut self, site_id: &str) -> Result<Vec<SiteTask>> {
        let id = task_plan_id(site_id);
        self.summary(&id, DocKind::TaskPlan)?;
        let (now, offset) = (self.now(), self.site_offset(site_id));
        let plan = self.read_doc(&id, tasks::read)?;
        let jurisdiction = plan.plan.jurisdiction;
        Ok(plan
            .status(now, offset)
            .into_iter()
            .map(|status| SiteTask {
                site_id: site_id.to_owned(),
                jurisdiction,
                status,
            })
            .collect())
    }

    /// Tasks still to do now, across every site of the workspace (or one).
    pub fn due_tasks(&mut self, site_id: Option<&str>) -> Result<Vec<SiteTask>> {
        let sites: Vec<String> = self
            .summaries()
            .filter(|s| s.kind == DocKind::Site && site_id.is_none_or(|id| s.id == id))
            .map(|s| s.id.clone())
            .collect();
        let mut out = Vec::new();
        for site in sites {
            if !self.index.contains_key(&task_plan_id(&site)) {
                continue;
            }
            out.extend(self.tasks(&site)?.into_iter().filter(|t| !t.status.done));
        }
        out.sort_by_key(|t| t.status.period_end);
        Ok(out)
    }

    /// Records a task as done now, optionally with the self-check inspection it was done with.
    pub fn complete_task(
        &mut self,
        site_id: &str,
        task_id: &str,
        inspection_id: Option<&str>,
        note: &str,
    ) -> Result<()> {
        let id = task_plan_id(site_id);
        let site = self.summary(&id, DocKind::TaskPlan)?.site.clone();
        self.check(&site, &Action::CompleteTask)?;
        let known = self.read_doc(&id, |doc| {
            Ok(tasks::read(doc)?.plan.tasks.iter().any(|t| t.id == task_id))
        })?;
        if !known {
            return Err(Error::NotFound {
                what: "task",
                id: task_id.to_owned(),
            });
        }
        if let Some(insp) = inspection_id {
            self.summary(insp, DocKind::Inspection)?;
        }
        let c = Completion {
            id: self.new_id("done"),
            task_id: task_id.to_owned(),
            by: self.identity().user_id.clone(),
            at: self.now(),
            inspection_id: inspection_id.map(str::to_owned),
            note: note.to_owned(),
        };
        self.edit_doc(&id, |doc| Ok(tasks::complete(doc, &c)?))
    }
}
