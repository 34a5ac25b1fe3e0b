//! The recurring task plan document: the plan generated from the site's profile, and the
//! completions appended as the owner does each check. What is due is derived from both and a clock.

use super::{
    DocError, DocKind, Header, append, get_i64, header_of, init, json_scalar, keys, put_json,
    records,
};
use crate::calendar::{Date, days_from_civil};
use crate::lifecycle::Millis;
use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use closeloop_checklists::{Frequency, PlannedTask, TaskPlan};
use serde::{Deserialize, Serialize};

/// One done task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    pub id: String,
    pub task_id: String,
    pub by: String,
    pub at: Millis,
    /// The self-check inspection it was done with, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inspection_id: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// A task plan as its document holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskPlanDoc {
    pub header: Header,
    pub plan: TaskPlan,
    pub generated_at: Millis,
    pub completions: Vec<Completion>,
}

/// Creates a task plan document.
pub fn create(
    doc: &mut AutoCommit,
    header: &Header,
    plan: &TaskPlan,
    now: Millis,
) -> Result<(), DocError> {
    init(doc, header, &[keys::COMPLETIONS])?;
    set_plan(doc, plan, now)
}

/// Replaces the plan (after the profile changed); completions stay.
pub fn set_plan(doc: &mut AutoCommit, plan: &TaskPlan, now: Millis) -> Result<(), DocError> {
    put_json(doc, keys::PLAN, plan)?;
    doc.put(ROOT, keys::GENERATED_AT, now)?;
    Ok(())
}

/// Records a task as done.
pub fn complete(doc: &mut AutoCommit, c: &Completion) -> Result<(), DocError> {
    append(doc, keys::COMPLETIONS, c)
}

/// Reads a task plan document.
pub fn read<R: ReadDoc>(doc: &R) -> Result<TaskPlanDoc, DocError> {
    Ok(TaskPlanDoc {
        header: header_of(doc, DocKind::TaskPlan)?,
        plan: json_scalar(doc, keys::PLAN)?.ok_or(DocError::Missing(keys::PLAN))?,
        generated_at: get_i64(doc, &ROOT, keys::GENERATED_AT)?.unwrap_or(0),
        completions: records(doc, keys::COMPLETIONS)?,
    })
}

/// The period of a frequency that contains `at`, as [start, end) in UTC milliseconds, for a zone
/// `offset` minutes east of UTC. `None` for per-visit items, which are not scheduled.
pub fn period(freq: Frequency, at: Millis, offset: i32) -> Option<(Millis, Millis)> {
    let d = Date::at(at, offset);
    let month_start = |year: i32, month: u32| Date {
        year,
        month,
        day: 1,
    };
    let (start, end) = match freq {
        Frequency::PerVisit => return None,
        Frequency::Every2HoursOpen => {
            let day0 = d.start_millis(offset);
            let slot = (at - day0) / 7_200_000;
            let s = day0 + slot * 7_200_000;
            return Some((s, s + 7_200_000));
        }
        Frequency::Daily => (d, civil_next_day(d)),
        Frequency::Weekly => {
            // Weeks start on Monday (GB/T 7408, ISO 8601); 1970-01-01 was a Thursday.
            let days = days_from_civil(d);
            let monday = days - (days + 3).rem_euclid(7);
            (
                crate::calendar::civil_from_days(monday),
                crate::calendar::civil_from_days(monday + 7),
            )
        }
        Frequency::HalfMonthly => {
            let first = month_start(d.year, d.month);
            if d.day <= 15 {
                (first, Date { day: 16, ..first })
            } else {
                (Date { day: 16, ..first }, first.add_months(1))
            }
        }
        Frequency::Monthly => {
            let first = month_start(d.year, d.month);
            (first, first.add_months(1))
        }
        Frequency::Quarterly => {
            let first = month_start(d.year, (d.month - 1) / 3 * 3 + 1);
            (first, first.add_months(3))
        }
        Frequency::HalfYearly => {
            let first = month_start(d.year, if d.month <= 6 { 1 } else { 7 });
            (first, first.add_months(6))
        }
        Frequency::Yearly => {
            let first = month_start(d.year, 1);
            (first, first.add_months(12))
        }
    };
    Some((start.start_millis(offset), end.start_millis(offset)))
}

fn civil_next_day(d: Date) -> Date {
    crate::calendar::civil_from_days(days_from_civil(d) + 1)
}

/// A task's standing at a moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskStatus {
    pub task: PlannedTask,
    pub period_start: Millis,
    pub period_end: Millis,
    /// Done in the current period.
    pub done: bool,
    pub last_done: Option<Millis>,
}

impl TaskPlanDoc {
    /// Every scheduled task with whether it is done in its current period at `now`.
    pub fn status(&self, now: Millis, offset: i32) -> Vec<TaskStatus> {
        self.plan
            .tasks
            .iter()
            .filter_map(|t| {
                let (start, end) = period(t.frequency, now, offset)?;
                let mine = self.completions.iter().filter(|c| c.task_id == t.id);
                let last_done = mine.clone().map(|c| c.at).max();
                let done = mine.clone().any(|c| c.at >= start && c.at < end);
                Some(TaskStatus {
                    task: t.clone(),
                    period_start: start,
                    period_end: end,
                    done,
                    last_done,
                })
            })
            .collect()
    }

    /// Of the periods that ended in [from, to), how many had their task done (on time) and how many
    /// were due: the self-check compliance the risk grade uses.
    pub fn compliance(&self, from: Millis, to: Millis, offset: i32) -> (u32, u32) {
        let tasks: Vec<(&str, Frequency)> = self
            .plan
            .tasks
            .iter()
            .map(|t| (t.id.as_str(), t.frequency))
            .collect();
        let done: Vec<(&str, Millis)> = self
            .completions
            .iter()
            .map(|c| (c.task_id.as_str(), c.at))
            .collect();
        compliance_of(&tasks, &done, from, to, offset)
    }
}

/// [`TaskPlanDoc::compliance`] over a plan's tasks (id, frequency) and its completions (task id,
/// time), for callers that hold them as rows rather than as the document.
pub fn compliance_of(
    tasks: &[(&str, Frequency)],
    completions: &[(&str, Millis)],
    from: Millis,
    to: Millis,
    offset: i32,
) -> (u32, u32) {
    let mut on_time = 0;
    let mut due = 0;
    for (id, freq) in tasks {
        let Some((mut start, mut end)) = period(*freq, from, offset) else {
            continue;
        };
        // Periods shorter than a day are many; count whole days' worth at most 400 periods.
        let mut guard = 0;
        while end <= to && guard < 400 {
            if start >= from {
                due += 1;
                if completions
                    .iter()
                    .any(|(task, at)| task == id && *at >= start && *at < end)
                {
                    on_time += 1;
                }
            }
            let Some(next) = period(*freq, end, offset) else {
                break;
            };
            (start, end) = next;
            guard += 1;
        }
    }
    (on_time, due)
}

#[cfg(test)]
mod week_tests {
    use super::*;

    #[test]
    fn a_week_runs_from_monday_to_monday_in_the_sites_zone() {
        // 2026-12-02 is a Wednesday; 10:00 in UTC+8.
        let offset = 480;
        let wed = Date {
            year: 2026,
            month: 12,
            day: 2,
        }
        .start_millis(offset)
            + 10 * 3_600_000;
        let (start, end) = period(Frequency::Weekly, wed, offset).expect("scheduled");
        let monday = Date {
            year: 2026,
            month: 11,
            day: 30,
        };
        assert_eq!(start, monday.start_millis(offset));
        assert_eq!(end - start, 7 * 86_400_000);
        // Sunday 23:59 is still in that week; Monday 00:00 is the next.
        assert_eq!(
            period(Frequency::Weekly, end - 1, offset).map(|p| p.0),
            Some(start)
        );
        assert_eq!(
            period(Frequency::Weekly, end, offset).map(|p| p.0),
            Some(end)
        );
    }
}
