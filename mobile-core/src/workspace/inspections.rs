//! Inspections: start one from a site's checklist, answer items, attach photos, sign off.

use super::{Error, Result, Workspace};
use crate::photo;
use closeloop_checklists::Purpose;
use closeloop_model::doc::inspection::{
    self, AnswerValue, Comment, Inspection, ItemAnswer, Outcome, PhotoRef, SignOff,
};
use closeloop_model::doc::{DocKind, Header};
use closeloop_model::permission::{Action, InspectionFacts};
use std::path::PathBuf;

/// A photo to attach: a file the camera wrote, or its bytes.
#[derive(Debug, Clone)]
pub enum PhotoInput {
    File(PathBuf),
    Bytes(Vec<u8>),
}

fn facts(i: &Inspection) -> InspectionFacts {
    InspectionFacts {
        inspector: i.inspector.clone(),
        purpose: i.purpose,
        signed_off: i.signed_off.is_some(),
    }
}

impl Workspace {
    /// Starts an inspection of a site, pinning the checklist generated now.
    pub fn start_inspection(&mut self, site_id: &str, purpose: Purpose) -> Result<String> {
        let site_ref = self.summary(site_id, DocKind::Site)?.site.clone();
        self.check(&site_ref, &Action::StartInspection { purpose })?;
        let checklist = self.checklist(site_id, purpose)?;
        let id = self.new_id("insp");
        let header = Header {
            kind: DocKind::Inspection,
            id: id.clone(),
            site: site_ref,
        };
        let mut doc = self.new_doc();
        inspection::create(
            &mut doc,
            &header,
            &self.identity().user_id.clone(),
            self.now(),
            &checklist,
        )?;
        self.create_doc(&header, doc)?;
        Ok(id)
    }

    /// The inspection as stored.
    pub fn inspection(&mut self, id: &str) -> Result<Inspection> {
        self.summary(id, DocKind::Inspection)?;
        self.read_doc(id, inspection::read)
    }

    fn editable(&mut self, id: &str) -> Result<Inspection> {
        let i = self.inspection(id)?;
        self.check(
            &i.header.site,
            &Action::EditInspection {
                inspection: &facts(&i),
            },
        )?;
        Ok(i)
    }

    /// Answers an item; returns whether it passes. A wrong kind of answer is refused unwritten.
    pub fn answer(
        &mut self,
        inspection_id: &str,
        item_id: &str,
        value: AnswerValue,
        note: &str,
    ) -> Result<Outcome> {
        let i = self.editable(inspection_id)?;
        let item = i.item(item_id).ok_or_else(|| Error::NotFound {
            what: "checklist item",
            id: item_id.to_owned(),
        })?;
        let item = item.clone();
        let answer = ItemAnswer {
            id: self.new_id("ans"),
            item_id: item_id.to_owned(),
            value,
            note: note.to_owned(),
            by: self.identity().user_id.clone(),
            at: self.now(),
        };
        let offset = self.site_offset(&i.header.site.site_id);
        let outcome = answer.outcome(&item, offset)?;
        self.edit_doc(inspection_id, |doc| Ok(inspection::answer(doc, &answer)?))?;
        Ok(outcome)
    }

    /// Runs a photo through the evidence pipeline and stores it (photo and thumbnail) in the
    /// upload outbox. Returns the reference to put in a document.
    pub(crate) fn store_photo(
        &mut self,
        input: &PhotoInput,
        item_id: Option<&str>,
    ) -> Result<PhotoRef> {
        let processed = match input {
            PhotoInput::File(path) => photo::process_file(path, &self.photo)?,
            PhotoInput::Bytes(bytes) => photo::process(bytes, &self.photo)?,
        };
        self.blobs.put(&processed.sha256, &processed.jpeg)?;
        self.blobs.put(&processed.thumb_sha256, &processed.thumb)?;
        Ok(PhotoRef {
            sha256: processed.sha256,
            thumb_sha256: processed.thumb_sha256,
            width: processed.width,
            height: processed.height,
            bytes: processed.jpeg.len() as u64,
            item_id: item_id.map(str::to_owned),
            taken_at: processed.taken_at,
            gps: processed.gps,
            by: self.identity().user_id.clone(),
            at: self.now(),
        })
    }

    /// Attaches a photo to an inspection, optionally to one item.
    pub fn attach_photo(
        &mut self,
        inspection_id: &str,
        item_id: Option<&str>,
        input: &PhotoInput,
    ) -> Result<PhotoRef> {
        let i = self.editable(inspection_id)?;
        if let Some(item) = item_id
            && i.item(item).is_none()
        {
            return Err(Error::NotFound {
                what: "checklist item",
                id: item.to_owned(),
            });
        }
        let photo = self.store_photo(input, item_id)?;
        self.edit_doc(inspection_id, |doc| {
            Ok(inspection::attach_photo(doc, &photo)?)
        })?;
        Ok(photo)
    }

    /// Signs the inspection off. After this it can no longer be changed, except by supervisor
    /// comments.
    pub fn sign_off(&mut self, inspection_id: &str, note: &str) -> Result<()> {
        let i = self.inspection(inspection_id)?;
        self.check(
            &i.header.site,
            &Action::SignOff {
                inspection: &facts(&i),
            },
        )?;
        let s = SignOff {
            by: self.identity().user_id.clone(),
            at: self.now(),
            note: note.to_owned(),
        };
        self.edit_doc(inspection_id, |doc| Ok(inspection::sign_off(doc, &s)?))
    }

    /// A supervisor's comment on an inspection (allowed after sign-off).
    pub fn comment_inspection(&mut self, inspection_id: &str, text: &str) -> Result<()> {
        let i = self.inspection(inspection_id)?;
        self.check(
            &i.header.site,
            &Action::CommentInspection {
                inspection: &facts(&i),
            },
        )?;
        let c = Comment {
            id: self.new_id("cmt"),
            by: self.identity().user_id.clone(),
            at: self.now(),
            text: text.to_owned(),
        };
        self.edit_doc(inspection_id, |doc| Ok(inspection::comment(doc, &c)?))
    }

    /// Inspections of a site (or all), newest first.
    pub fn inspections(&self, site_id: Option<&str>) -> Vec<super::DocSummary> {
        let mut out: Vec<_> = self
            .summaries()
            .filter(|s| {
                s.kind == DocKind::Inspection && site_id.is_none_or(|id| s.site.site_id == id)
            })
            .cloned()
            .collect();
        out.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.id.cmp(&b.id)));
        out
    }
}
