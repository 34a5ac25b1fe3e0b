//! The site document: where a site is and its profile. The profile is a map of scalars so that
//! two people editing different facts offline both keep their edit.

use super::{DocError, DocKind, Header, get_f64, get_i64, get_str, header_of, init, keys, req_str};
use automerge::{
    AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value, transaction::Transactable,
};
use closeloop_checklists::SiteProfile;

/// A site as its document holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub header: Header,
    pub name: String,
    pub address: String,
    /// (latitude, longitude) in degrees, WGS 84.
    pub location: Option<(f64, f64)>,
    pub profile: SiteProfile,
    /// The site's time zone as minutes east of UTC, which decides its days: when a dated
    /// answer expires, which day a self-check belongs to. `None` in documents written before
    /// the key existed: [`DEFAULT_UTC_OFFSET_MINUTES`].
    pub utc_offset_minutes: Option<i32>,
}

/// China Standard Time (UTC+8), the time zone of a site that does not name one.
pub const DEFAULT_UTC_OFFSET_MINUTES: i32 = 480;

/// Whether `minutes` is a time zone on Earth (UTC−12:00 to UTC+14:00).
pub fn valid_offset(minutes: i64) -> bool {
    (-720..=840).contains(&minutes)
}

impl Site {
    /// The site's time zone, minutes east of UTC.
    pub fn utc_offset(&self) -> i32 {
        self.utc_offset_minutes
            .unwrap_or(DEFAULT_UTC_OFFSET_MINUTES)
    }
}

/// Creates a site document.
pub fn create(doc: &mut AutoCommit, site: &Site) -> Result<(), DocError> {
    init(doc, &site.header, &[])?;
    doc.put(ROOT, keys::NAME, site.name.as_str())?;
    doc.put(ROOT, keys::ADDRESS, site.address.as_str())?;
    if let Some((lat, lon)) = site.location {
        doc.put(ROOT, keys::LAT, lat)?;
        doc.put(ROOT, keys::LON, lon)?;
    }
    if let Some(offset) = site.utc_offset_minutes {
        doc.put(ROOT, keys::UTC_OFFSET, i64::from(offset))?;
    }
    doc.put_object(ROOT, keys::PROFILE, ObjType::Map)?;
    set_profile(doc, &site.profile)
}

fn profile_obj<R: ReadDoc>(doc: &R) -> Result<ObjId, DocError> {
    match doc.get(ROOT, keys::PROFILE)? {
        Some((Value::Object(ObjType::Map), id)) => Ok(id),
        Some(_) => Err(DocError::WrongType(keys::PROFILE)),
        None => Err(DocError::Missing(keys::PROFILE)),
    }
}

fn to_scalar(v: &serde_json::Value) -> Option<ScalarValue> {
    Some(match v {
        serde_json::Value::Bool(b) => ScalarValue::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => ScalarValue::Int(i),
            None => ScalarValue::F64(n.as_f64()?),
        },
        serde_json::Value::String(s) => ScalarValue::Str(s.as_str().into()),
        _ => return None,
    })
}

fn to_json(v: &ScalarValue) -> serde_json::Value {
    match v {
        ScalarValue::Boolean(b) => serde_json::Value::Bool(*b),
        ScalarValue::Int(i) => serde_json::Value::from(*i),
        ScalarValue::Uint(u) => serde_json::Value::from(*u),
        ScalarValue::F64(f) => serde_json::Value::from(*f),
        ScalarValue::Str(s) => serde_json::Value::String(s.to_string()),
        _ => serde_json::Value::Null,
    }
}

/// Writes the fields of `profile` that differ from the document's, and removes absent ones.
pub fn set_profile(doc: &mut AutoCommit, profile: &SiteProfile) -> Result<(), DocError> {
    let obj = profile_obj(doc)?;
    let serde_json::Value::Object(fields) =
        serde_json::to_value(profile).map_err(|e| DocError::BadRecord {
            key: keys::PROFILE,
            index: 0,
            message: e.to_string(),
        })?
    else {
        return Err(DocError::WrongType(keys::PROFILE));
    };
    for (key, value) in &fields {
        let Some(new) = to_scalar(value) else {
            continue;
        };
        let old = match doc.get(&obj, key.as_str())? {
            Some((Value::Scalar(s), _)) => Some(s.into_owned()),
            _ => None,
        };
        if old.as_ref() != Some(&new) {
            doc.put(&obj, key.as_str(), new)?;
        }
    }
    let stale: Vec<String> = doc.keys(&obj).filter(|k| !fields.contains_key(k)).collect();
    for key in stale {
        doc.delete(&obj, key.as_str())?;
    }
    Ok(())
}

/// The most earlier states of a site [`profile_history`] looks at.
pub const PROFILE_HISTORY: usize = 50;

/// The profiles a site has had, newest first: now, then after each of its last
/// [`PROFILE_HISTORY`] changes. A new inspection's checklist must be generated from one of them
/// ([`crate::validate::Records::profiles`]), so a checklist made offline from the profile as it
/// was then still matches after someone else changed the profile. The phone and the server both
/// ask this of their copy.
pub fn profile_history(doc: &mut AutoCommit) -> Vec<SiteProfile> {
    let mut out: Vec<SiteProfile> = profile(&*doc).into_iter().collect();
    let hashes: Vec<_> = doc.get_changes(&[]).iter().map(|c| c.hash()).collect();
    for h in hashes.iter().rev().take(PROFILE_HISTORY) {
        if let Ok(then) = doc.fork_at(&[*h])
            && let Ok(p) = profile(&then)
            && !out.contains(&p)
        {
            out.push(p);
        }
    }
    out
}

/// Reads the profile map back into a validated profile.
pub fn profile<R: ReadDoc>(doc: &R) -> Result<SiteProfile, DocError> {
    let obj = profile_obj(doc)?;
    let mut map = serde_json::Map::new();
    for key in doc.keys(&obj) {
        if let Some((Value::Scalar(s), _)) = doc.get(&obj, key.as_str())? {
            map.insert(key.clone(), to_json(s.as_ref()));
        }
    }
    SiteProfile::from_json(&serde_json::Value::Object(map).to_string()).map_err(|e| {
        DocError::BadRecord {
            key: keys::PROFILE,
            index: 0,
            message: e.to_string(),
        }
    })
}

/// Reads a site document.
pub fn read<R: ReadDoc>(doc: &R) -> Result<Site, DocError> {
    let header = header_of(doc, DocKind::Site)?;
    let location = match (
        get_f64(doc, &ROOT, keys::LAT)?,
        get_f64(doc, &ROOT, keys::LON)?,
    ) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        _ => None,
    };
    let utc_offset_minutes = match get_i64(doc, &ROOT, keys::UTC_OFFSET)? {
        None => None,
        Some(m) if valid_offset(m) => Some(m as i32),
        Some(_) => return Err(DocError::WrongType(keys::UTC_OFFSET)),
    };
    Ok(Site {
        header,
        name: req_str(doc, &ROOT, keys::NAME)?,
        address: get_str(doc, &ROOT, keys::ADDRESS)?.unwrap_or_default(),
        location,
        profile: profile(doc)?,
        utc_offset_minutes,
    })
}
