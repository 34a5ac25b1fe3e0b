//! The quarantine from a terminal: what did not go through, with the rule and reason of each
//! piece held, and the two things a person can do about it (write again what is allowed now, or
//! take the entry off the list).

use super::{Res, Shell, e};
use closeloop::sync::quarantine::{self, RefusedWork};
use closeloop::sync::reapply;
use std::io::{BufRead, Write};

impl<R: BufRead, W: Write> Shell<'_, R, W> {
    /// One entry: what it is, who stopped it and why, then each piece kept and held.
    pub(super) fn show_work(&mut self, w: &RefusedWork) {
        let who = if w.by_server {
            "refused by the server"
        } else {
            "not taken on at login"
        };
        self.say(format!(
            "{}  {} {}  {who}: {} ({})",
            w.id, w.kind, w.title, w.reason, w.rule
        ));
        for p in &w.kept {
            self.say(format!("  kept: {}", p.label));
        }
        for p in &w.held {
            self.say(format!("  held: {}: {} ({})", p.label, p.reason, p.rule));
        }
    }

    pub(super) fn list_quarantine(&mut self) -> Res {
        let root = self.ws().root().to_owned();
        let entries = quarantine::list(&root).map_err(e)?;
        if entries.is_empty() {
            self.say("no quarantined work");
        }
        for w in &entries {
            self.show_work(w);
        }
        Ok(())
    }

    /// After a login: the earlier work the signed-in user may not do.
    pub(super) fn not_taken_on(&mut self) -> Res {
        let root = self.ws().root().to_owned();
        let held: Vec<RefusedWork> = quarantine::list(&root)
            .map_err(e)?
            .into_iter()
            .filter(|w| !w.by_server)
            .collect();
        for w in &held {
            self.show_work(w);
        }
        Ok(())
    }

    pub(super) fn reapply(&mut self, entry: &str) -> Res {
        let w = reapply::reapply(self.ws(), entry).map_err(e)?;
        self.show_work(&w);
        if w.held.is_empty() {
            self.say("nothing held any more: the next sync sends it");
        }
        Ok(())
    }

    pub(super) fn dismiss(&mut self, entry: &str) -> Res {
        let root = self.ws().root().to_owned();
        let w = reapply::dismiss(&root, entry).map_err(e)?;
        self.say(format!(
            "dismissed {}; kept on disk under quarantine/dismissed/",
            w.id
        ));
        Ok(())
    }
}
