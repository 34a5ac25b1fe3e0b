//! Sites: create, edit the profile (which regenerates the task plan), generate checklists.

use super::{Error, Result, Workspace};
use closeloop_checklists::{Checklist, Purpose, SiteProfile};
use closeloop_model::doc::site::{self, Site};
use closeloop_model::doc::{DocKind, Header, tasks};
use closeloop_model::permission::Action;
use closeloop_model::roles::SiteRef;

impl Workspace {
    /// Creates a site in `grid_id` of the user's organisation, with its task plan.
    pub fn create_site(
        &mut self,
        grid_id: &str,
        name: &str,
        address: &str,
        location: Option<(f64, f64)>,
        profile: SiteProfile,
    ) -> Result<String> {
        profile.validate()?;
        if name.trim().is_empty() {
            return Err(Error::Invalid {
                field: "name".into(),
                reason: "a site needs a name".into(),
            });
        }
        if let Some((lat, lon)) = location
            && !((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon))
        {
            return Err(Error::Invalid {
                field: "location".into(),
                reason: format!("({lat}, {lon}) is not a place on Earth"),
            });
        }
        let site_id = self.new_id("site");
        let site_ref = SiteRef {
            org_id: self.identity().scope.org_id.clone(),
            grid_id: grid_id.to_owned(),
            site_id: site_id.clone(),
        };
        self.check(&site_ref, &Action::EditSite)?;
        let header = Header {
            kind: DocKind::Site,
            id: site_id.clone(),
            site: site_ref.clone(),
        };
        let mut doc = self.new_doc();
        site::create(
            &mut doc,
            &Site {
                header: header.clone(),
                name: name.trim().to_owned(),
                address: address.trim().to_owned(),
                location,
                profile: profile.clone(),
                // A site made on this phone lies where the phone is: its time zone.
                utc_offset_minutes: Some(self.offset()),
            },
        )?;
        self.create_doc(&header, doc)?;
        self.create_task_plan(&site_ref, &profile)?;
        Ok(site_id)
    }

    fn create_task_plan(&mut self, site_ref: &SiteRef, profile: &SiteProfile) -> Result<()> {
        let header = Header {
            kind: DocKind::TaskPlan,
            id: task_plan_id(&site_ref.site_id),
            site: site_ref.clone(),
        };
        let mut doc = self.new_doc();
        tasks::create(
            &mut doc,
            &header,
            &self.packs.task_plan(profile),
            self.now(),
        )?;
        self.create_doc(&header, doc)
    }

    /// The site as stored.
    pub fn site(&mut self, site_id: &str) -> Result<Site> {
        self.summary(site_id, DocKind::Site)?;
        self.read_doc(site_id, site::read)
    }

    /// Changes a site's profile and regenerates its task plan (completions are kept).
    pub fn update_profile(&mut self, site_id: &str, profile: SiteProfile) -> Result<()> {
        profile.validate()?;
        let site_ref = self.summary(site_id, DocKind::Site)?.site.clone();
        self.check(&site_ref, &Action::EditSite)?;
        self.edit_doc(site_id, |doc| Ok(site::set_profile(doc, &profile)?))?;
        let plan = self.packs.task_plan(&profile);
        let now = self.now();
        let plan_id = task_plan_id(site_id);
        if self.index.contains_key(&plan_id) {
            self.edit_doc(&plan_id, |doc| Ok(tasks::set_plan(doc, &plan, now)?))
        } else {
            self.create_task_plan(&site_ref, &profile)
        }
    }

    /// The checklist the regulations require for this site and purpose (nothing is written).
    pub fn checklist(&mut self, site_id: &str, purpose: Purpose) -> Result<Checklist> {
        let site = self.site(site_id)?;
        Ok(self.packs.generate(&site.profile, purpose))
    }
}

/// Each site has exactly one task plan document, with an id derived from the site's.
pub fn task_plan_id(site_id: &str) -> String {
    format!("tasks-{site_id}")
}
