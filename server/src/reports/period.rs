//! Report periods in an organisation's time zone, and when the schedule produces which. Pure:
//! times in, periods out. Days and weeks are the model's calendar (`calendar::Date`,
//! `tasks::period`, weeks from Monday), as self-checks count them.

use closeloop_checklists::Frequency;
use closeloop_model::calendar::Date;
use closeloop_model::doc::tasks;
use serde::{Deserialize, Serialize};

const DAY: i64 = 86_400_000;

/// How long a report's period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Daily,
    Weekly,
    Monthly,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Daily, Kind::Weekly, Kind::Monthly];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Weekly => "weekly",
            Kind::Monthly => "monthly",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A period: [start, end) in ms, and its first day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: Kind,
    pub start: i64,
    pub end: i64,
    pub first_day: Date,
}

impl Period {
    /// The period of `kind` holding the instant `at`, in the zone `offset` minutes east of UTC:
    /// the self-check calendar's day, week (from Monday) or month.
    pub fn containing(kind: Kind, at: i64, offset: i32) -> Period {
        let freq = match kind {
            Kind::Daily => Frequency::Daily,
            Kind::Weekly => Frequency::Weekly,
            Kind::Monthly => Frequency::Monthly,
        };
        let (start, end) = tasks::period(freq, at, offset).unwrap_or_else(|| {
            let d = Date::at(at, offset).start_millis(offset);
            (d, d + DAY)
        });
        Period {
            kind,
            start,
            end,
            first_day: Date::at(start, offset),
        }
    }

    /// The period of `kind` holding the day `date` (`YYYY-MM-DD`).
    pub fn of_date(kind: Kind, date: &str, offset: i32) -> Option<Period> {
        let d = Date::parse(date)?;
        Some(Period::containing(kind, d.start_millis(offset), offset))
    }

    /// The period just before this one.
    pub fn previous(&self, offset: i32) -> Period {
        Period::containing(self.kind, self.start - 1, offset)
    }
}

/// `HH:MM` as minutes after midnight.
pub fn minute_of_day(s: &str) -> Option<i64> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// The schedule's run at or before `now`: `at` minutes after local midnight on the latest day
/// where that has passed.
pub fn last_run(now: i64, offset: i32, at: i64) -> i64 {
    let today = Date::at(now, offset).start_millis(offset) + at * 60_000;
    if today <= now { today } else { today - DAY }
}

/// The schedule's first run after `now`.
pub fn next_run(now: i64, offset: i32, at: i64) -> i64 {
    last_run(now, offset, at) + DAY
}

/// The periods a run at `run` reports on: the day before; the week before on a Monday; the
/// month before on the 1st.
pub fn periods_of_run(run: i64, offset: i32) -> Vec<Period> {
    let yesterday = Period::containing(Kind::Daily, run, offset).previous(offset);
    let mut out = vec![yesterday];
    for kind in [Kind::Weekly, Kind::Monthly] {
        let now = Period::containing(kind, run, offset);
        if now.first_day == Date::at(run, offset) {
            out.push(now.previous(offset));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CST: i32 = 480;

    fn at(date: &str, hh: i64, mm: i64) -> i64 {
        Date::parse(date).expect("date").start_millis(CST) + (hh * 60 + mm) * 60_000
    }

    #[test]
    fn periods_follow_the_local_calendar() {
        // 2026-12-01 01:30 in UTC+8 is still 30 November in UTC.
        let t = at("2026-12-01", 1, 30);
        let d = Period::containing(Kind::Daily, t, CST);
        assert_eq!(d.first_day.to_string(), "2026-12-01");
        assert_eq!(d.end - d.start, DAY);
        let w = Period::containing(Kind::Weekly, t, CST);
        assert_eq!(
            w.first_day.to_string(),
            "2026-11-30",
            "weeks start on Monday"
        );
        assert_eq!(w.end - w.start, 7 * DAY);
        let m = Period::containing(Kind::Monthly, t, CST);
        assert_eq!(m.first_day.to_string(), "2026-12-01");
        assert_eq!(m.end, at("2027-01-01", 0, 0));
        assert_eq!(m.previous(CST).first_day.to_string(), "2026-11-01");
        assert_eq!(m.previous(CST).end, m.start);
        let feb = Period::of_date(Kind::Monthly, "2028-02-10", CST).expect("date");
        assert_eq!((feb.end - feb.start) / DAY, 29, "a leap February");
    }

    #[test]
    fn runs_are_at_the_set_local_time_and_report_what_just_ended() {
        let six = minute_of_day("06:00").expect("time");
        assert_eq!(minute_of_day("6:00"), None);
        assert_eq!(minute_of_day("24:00"), None);
        assert_eq!(
            last_run(at("2026-12-07", 5, 59), CST, six),
            at("2026-12-06", 6, 0)
        );
        assert_eq!(
            last_run(at("2026-12-07", 6, 0), CST, six),
            at("2026-12-07", 6, 0)
        );
        assert_eq!(
            next_run(at("2026-12-07", 6, 0), CST, six),
            at("2026-12-08", 6, 0)
        );
        // Tuesday: only yesterday.
        let p = periods_of_run(at("2026-12-08", 6, 0), CST);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].first_day.to_string(), "2026-12-07");
        // Monday 2026-12-07: yesterday and the week before.
        let p = periods_of_run(at("2026-12-07", 6, 0), CST);
        assert_eq!(
            p.iter()
                .map(|p| (p.kind, p.first_day.to_string()))
                .collect::<Vec<_>>(),
            [
                (Kind::Daily, "2026-12-06".to_owned()),
                (Kind::Weekly, "2026-11-30".to_owned())
            ]
        );
        // Tuesday 2026-12-01: yesterday and November.
        let p = periods_of_run(at("2026-12-01", 6, 0), CST);
        assert_eq!(p[1].kind, Kind::Monthly);
        assert_eq!(p[1].first_day.to_string(), "2026-11-01");
        assert_eq!(p[1].end, at("2026-12-01", 0, 0));
    }
}
