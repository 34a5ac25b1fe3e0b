//! Records and enums the app sees. Plain data with names a Kotlin or Swift developer would expect;
//! times are milliseconds since the Unix epoch (UTC).

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UserRole {
    /// Grid worker (网格员).
    Inspector,
    /// Site owner or manager.
    Owner,
    Supervisor,
    Admin,
}

/// The signed-in user, as the server described them at login.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserIdentity {
    pub user_id: String,
    pub display_name: String,
    pub role: UserRole,
    pub org_id: String,
    /// Grids the user works in; empty with no sites means the whole organisation.
    pub grid_ids: Vec<String>,
    /// Sites an owner manages.
    pub site_ids: Vec<String>,
    pub device_id: String,
}

/// What a site is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PremisesType {
    SmallShop,
    Restaurant,
    Hotel,
    EntertainmentVenue,
    Warehouse,
    FactoryWorkshop,
    HighRiseResidential,
    ResidentialCompound,
    SchoolKindergarten,
    ClinicCareHome,
    Office,
}

/// Gas supply on the premises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum GasSupply {
    None,
    Piped,
    Lpg,
}

/// Hazard level per GB 50140.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HazardLevel {
    Light,
    Medium,
    Severe,
}

/// Whose rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Jurisdiction {
    China,
    UnitedStates,
}

/// Which kind of school, care facility or venue a site is, where the rules tell them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SiteSubtype {
    /// 托儿所、幼儿园 (a school_kindergarten).
    Kindergarten,
    /// A primary or secondary school (a school_kindergarten); boarding or not is `boarding`.
    School,
    /// 养老院、养老机构 (a clinic_care_home).
    CareHome,
    /// A hospital with inpatient beds (a clinic_care_home).
    Hospital,
    /// An outpatient clinic, nobody staying overnight (a clinic_care_home).
    Clinic,
    /// 歌舞娱乐场所 with private rooms: KTV, karaoke (an entertainment_venue).
    Ktv,
    /// 网吧 (an entertainment_venue).
    InternetCafe,
}

/// The facts about a site that decide which rules apply. The fields after `hazard_level` came
/// with profile version 2; each has a default, so code written before them keeps working.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct SiteProfile {
    pub jurisdiction: Jurisdiction,
    pub premises: PremisesType,
    pub floor_area_m2: f64,
    pub storeys: u32,
    pub building_height_m: f64,
    pub below_ground: bool,
    pub occupants: u32,
    pub sleepers: u32,
    pub public_gathering_place: bool,
    pub key_fire_safety_unit: bool,
    pub public_institution: bool,
    pub gas: GasSupply,
    pub kitchen: bool,
    pub ebike_parking: bool,
    pub ebike_charging: bool,
    pub flammable_goods: bool,
    pub mixed_living: bool,
    pub hydrants: bool,
    pub sprinklers: bool,
    pub fire_alarm: bool,
    pub hazard_level: HazardLevel,
    /// When the site opens each day, "HH:MM", with `closes_at`. Both absent: open around the
    /// clock (or not recorded), so "every 2 hours while open" counts the whole day.
    #[uniffi(default = None)]
    pub opens_at: Option<String>,
    /// When it closes, "HH:MM" (after midnight is fine: "02:00").
    #[uniffi(default = None)]
    pub closes_at: Option<String>,
    /// Absent: not specified, and wherever a rule depends on it the stricter reading applies.
    #[uniffi(default = None)]
    pub subtype: Option<SiteSubtype>,
    /// Pupils board (寄宿制).
    #[uniffi(default = false)]
    pub boarding: bool,
    /// The premises are in a residential building, e.g. a shop under flats (商业服务网点).
    #[uniffi(default = false)]
    pub in_residential_building: bool,
    /// Staff sleep in a dormitory on the site (员工宿舍).
    #[uniffi(default = false)]
    pub staff_dormitory: bool,
    /// Work produces or handles combustible dust (涉爆粉尘).
    #[uniffi(default = false)]
    pub combustible_dust: bool,
    /// Welding, cutting or other hot work (动火作业) is done on the site.
    #[uniffi(default = false)]
    pub hot_work: bool,
    /// The site has a fire control room (消防控制室).
    #[uniffi(default = false)]
    pub fire_control_room: bool,
}

/// A site to create.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NewSite {
    pub grid_id: String,
    pub name: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub profile: SiteProfile,
}

/// A site.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Site {
    pub id: String,
    pub grid_id: String,
    pub name: String,
    pub address: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub profile: SiteProfile,
}

/// A site in a list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SiteSummary {
    pub id: String,
    pub grid_id: String,
    pub name: String,
}

/// Someone a site's hazards may be assigned to, from the directory of the last sync.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Assignee {
    pub user_id: String,
    pub display_name: String,
    /// `owner` or `inspector`.
    pub role: String,
}

/// What a checklist is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum InspectionPurpose {
    Patrol,
    MonthlyInspection,
    SelfCheck,
    FullInspection,
}

/// What answer an item takes.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AnswerKind {
    PassFail,
    Count {
        min: u32,
    },
    Measurement {
        unit: String,
        min: Option<f64>,
        max: Option<f64>,
    },
    Date {
        max_age_months: u32,
    },
}

/// When a photo is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PhotoRule {
    Never,
    OnFail,
    Always,
}

/// How serious a hazard is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Severity {
    General,
    Major,
}

/// A clause that requires an item.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Citation {
    pub document: String,
    pub clause: String,
    /// False where the clause could not be confirmed; show it as unverified.
    pub verified: bool,
}

/// One checklist item, in the site's language first.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ChecklistItem {
    pub id: String,
    pub text: String,
    pub text_other_language: String,
    pub frequency: String,
    pub answer: AnswerKind,
    /// E.g. "at least 4 extinguishers rated 2A per storey…", with its arithmetic.
    pub requirement: Option<String>,
    pub photo: PhotoRule,
    pub severity_if_failed: Severity,
    pub rectify_days: u32,
    pub measure_if_failed: String,
    pub citations: Vec<Citation>,
    /// Why the item applies to this site, one line per regulation.
    pub why: Vec<String>,
}

/// A checklist generated for a site.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Checklist {
    pub purpose: InspectionPurpose,
    pub items: Vec<ChecklistItem>,
    /// "id version sha256" of each pack it was made from.
    pub packs: Vec<String>,
    pub notices: Vec<String>,
}

/// An answer to record.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum Answer {
    Pass,
    Fail,
    NotApplicable,
    Count {
        value: u32,
    },
    Measurement {
        value: f64,
    },
    /// `YYYY-MM-DD`.
    Date {
        value: String,
    },
}

/// Whether an answer meets its item.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AnswerOutcome {
    Pass,
    Fail { reason: String },
    NotApplicable,
}

/// A photo stored as evidence.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Photo {
    pub sha256: String,
    pub thumbnail_sha256: String,
    pub width: u32,
    pub height: u32,
    pub item_id: Option<String>,
    pub taken_at: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// An item of an inspection with its current answer.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct InspectionItem {
    pub item: ChecklistItem,
    pub answer: Option<Answer>,
    pub outcome: Option<AnswerOutcome>,
    pub note: String,
    pub photos: Vec<Photo>,
}

/// An inspection.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Inspection {
    pub id: String,
    pub site_id: String,
    pub inspector: String,
    pub purpose: InspectionPurpose,
    pub started_at: i64,
    pub signed_off_at: Option<i64>,
    pub items: Vec<InspectionItem>,
    pub unanswered: u32,
}

/// Where a hazard is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum HazardStatus {
    Reported,
    Assigned,
    RectificationSubmitted,
    FixedOnSpot,
    Rejected,
    Accepted,
    Cancelled,
}

/// A hazard in a list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HazardSummary {
    pub id: String,
    pub site_id: String,
    pub title: String,
    pub status: Option<HazardStatus>,
    pub severity: Severity,
    pub deadline: Option<i64>,
    pub assignee: Option<String>,
    pub overdue: bool,
}

/// Which hazards to list.
#[derive(Debug, Clone, PartialEq, Eq, Default, uniffi::Record)]
pub struct HazardQuery {
    pub site_id: Option<String>,
    pub statuses: Vec<HazardStatus>,
    pub open_only: bool,
    pub overdue_only: bool,
    pub assigned_to_me: bool,
}

/// One line of a hazard's timeline.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TimelineEntry {
    pub event_id: String,
    /// reported, assigned, rectification_submitted, fixed_on_spot, accepted, rejected, escalated,
    /// cancelled, reopened or commented.
    pub kind: String,
    pub by: String,
    pub role: UserRole,
    pub at: i64,
    pub note: String,
    pub photos: Vec<String>,
    /// Set when the event arrived where it could not apply ("hazard was cancelled at …").
    pub not_applied: Option<String>,
    pub status_after: Option<HazardStatus>,
}

/// A hazard with everything a reviewer needs.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HazardDetail {
    pub summary: HazardSummary,
    pub inspection_id: Option<String>,
    pub item_id: Option<String>,
    pub clauses: Vec<String>,
    pub gb35181_element: Option<String>,
    pub measure: String,
    pub before_photos: Vec<String>,
    pub after_photos: Vec<String>,
    pub timeline: Vec<TimelineEntry>,
}

/// A step in a hazard's life.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum HazardAction {
    Assign {
        assignee: String,
        deadline: i64,
        measure: String,
    },
    FixOnSpot,
    SubmitRectification,
    Accept,
    Reject {
        reason: String,
    },
    Escalate {
        reason: String,
    },
    Cancel {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    Comment,
}

/// A recurring self-check.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Task {
    pub site_id: String,
    pub task_id: String,
    pub title: String,
    pub frequency: String,
    pub done: bool,
    /// When the current period ends (the task is late after this).
    pub due_by: i64,
    pub last_done: Option<i64>,
    pub item_ids: Vec<String>,
    pub citations: Vec<Citation>,
}
