//! Calendar arithmetic on UTC milliseconds with a fixed local offset, without a time library.
//! Periods (day, half-month, month…) are what recurring tasks and date answers are measured in.

use crate::lifecycle::Millis;

const DAY_MS: i64 = 86_400_000;

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub fn days_from_civil(d: Date) -> i64 {
    let y = i64::from(d.year) - i64::from(d.month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(d.month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Date { year, month, day }
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking the day exists.
    pub fn parse(s: &str) -> Option<Date> {
        let mut parts = s.trim().splitn(3, '-');
        let year: i32 = parts.next()?.parse().ok()?;
        let month: u32 = parts.next()?.parse().ok()?;
        let day: u32 = parts.next()?.parse().ok()?;
        let d = Date { year, month, day };
        let valid = (1..=12).contains(&month)
            && day >= 1
            && (1900..=9999).contains(&year)
            && civil_from_days(days_from_civil(d)) == d;
        valid.then_some(d)
    }

    /// The local date at `at` for a zone `offset_minutes` east of UTC.
    pub fn at(at: Millis, offset_minutes: i32) -> Date {
        let local = at + i64::from(offset_minutes) * 60_000;
        civil_from_days(local.div_euclid(DAY_MS))
    }

    /// The same day `months` later, clamped to the month's last day.
    pub fn add_months(self, months: u32) -> Date {
        let total = i64::from(self.year) * 12 + i64::from(self.month - 1) + i64::from(months);
        let year = total.div_euclid(12) as i32;
        let month = total.rem_euclid(12) as u32 + 1;
        let mut day = self.day;
        while civil_from_days(days_from_civil(Date { year, month, day })).month != month {
            day -= 1;
        }
        Date { year, month, day }
    }

    /// Local midnight at the start of this date, as UTC milliseconds.
    pub fn start_millis(self, offset_minutes: i32) -> Millis {
        days_from_civil(self) * DAY_MS - i64::from(offset_minutes) * 60_000
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_known_dates() {
        let d = Date {
            year: 2026,
            month: 11,
            day: 21,
        };
        assert_eq!(civil_from_days(days_from_civil(d)), d);
        assert_eq!(
            days_from_civil(Date {
                year: 1970,
                month: 1,
                day: 1
            }),
            0
        );
        assert_eq!(
            Date::at(0, 8 * 60),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            Date::at(-1, 0),
            Date {
                year: 1969,
                month: 12,
                day: 31
            }
        );
    }

    #[test]
    fn parses_only_real_dates() {
        assert_eq!(
            Date::parse("2024-02-29"),
            Some(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2023-13-01"), None);
        assert_eq!(Date::parse("yesterday"), None);
    }

    #[test]
    fn adding_months_clamps_to_month_end() {
        let d = Date {
            year: 2024,
            month: 1,
            day: 31,
        };
        assert_eq!(
            d.add_months(1),
            Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        assert_eq!(
            d.add_months(120),
            Date {
                year: 2034,
                month: 1,
                day: 31
            }
        );
    }
}
