//! The profiles a site has had, as the phone's copy of its document records them: a new
//! inspection's checklist must be the one generated from one of them, and a checklist made
//! offline from the profile as it was then still matches after the profile changed.

use automerge::AutoCommit;
use closeloop_checklists::SiteProfile;
use closeloop_model::doc::site;

/// The most earlier states looked at (the server looks at as many).
const HISTORY: usize = 50;

/// The site's profiles, newest first: now, then after each of its last [`HISTORY`] changes.
pub fn site_profiles(doc: &mut AutoCommit) -> Vec<SiteProfile> {
    let mut out: Vec<SiteProfile> = site::profile(&*doc).into_iter().collect();
    let hashes: Vec<_> = doc.get_changes_meta(&[]).iter().map(|c| c.hash).collect();
    for h in hashes.iter().rev().take(HISTORY) {
        if let Ok(then) = doc.fork_at(&[*h])
            && let Ok(p) = site::profile(&then)
            && !out.contains(&p)
        {
            out.push(p);
        }
    }
    out
}
