//! Moving a site between grids (ADR 0007): the one change to a document's header the server
//! makes itself. A device never changes a header (`doc.header_changed`); an administrator's move
//! rewrites the grid of the site's every document as an ordinary automerge change, so phones
//! merge it like any other edit and then place the site where the server does.

use crate::doc::{self, DocError, keys};
use automerge::{AutoCommit, ROOT, transaction::Transactable};

/// Writes `grid_id` as the grid of `doc`'s header, leaving everything else as it is. Nothing is
/// written (and no change made) when the document is already there.
pub fn move_to_grid(doc: &mut AutoCommit, grid_id: &str) -> Result<bool, DocError> {
    let header = doc::header(&*doc)?;
    if header.site.grid_id == grid_id {
        return Ok(false);
    }
    doc.put(ROOT, keys::GRID, grid_id)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{DocKind, Header, hazard};
    use crate::lifecycle::{Event, EventKind, Report, Severity};
    use crate::roles::{Role, SiteRef};

    #[test]
    fn a_move_changes_only_the_grid_and_merges_with_a_phones_edit() {
        let mut server = AutoCommit::new();
        let header = Header {
            kind: DocKind::Hazard,
            id: "h1".into(),
            site: SiteRef {
                org_id: "org".into(),
                grid_id: "g1".into(),
                site_id: "s1".into(),
            },
        };
        let event = |id: &str, kind: EventKind| Event {
            id: id.into(),
            kind,
            by: "wang".into(),
            role: Role::Inspector,
            at: 1,
            note: String::new(),
            photos: vec![],
        };
        let report = EventKind::Reported(Report {
            title: "exit blocked".into(),
            severity: Severity::General,
            clauses: vec![],
            item_id: None,
            gb35181: None,
            measure: String::new(),
            deadline: None,
        });
        hazard::create(&mut server, &header, None, &event("e1", report)).expect("create");
        let mut phone = server.fork();
        hazard::append_event(&mut phone, &event("e2", EventKind::Commented)).expect("comment");
        assert!(move_to_grid(&mut server, "g2").expect("move"));
        assert!(
            !move_to_grid(&mut server, "g2").expect("again"),
            "already there"
        );
        server.merge(&mut phone).expect("merge");
        let h = hazard::read(&server).expect("read");
        assert_eq!(h.header.site.grid_id, "g2");
        assert_eq!(h.header.site.site_id, "s1");
        assert_eq!(h.events.len(), 2, "the phone's offline edit is kept");
    }
}
