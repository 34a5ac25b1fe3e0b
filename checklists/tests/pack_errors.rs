//! Every kind of malformed pack is refused at load time with its file, line and reason.

use closeloop_checklists::{PackError, PackSet, Source};

const DOCS: &str = r#"
[[document]]
id = "law"
title_zh = "法"
title_en = "Law"
"#;

const GOOD_ITEM: &str = r#"
[[item]]
id = "p.ok"
text_zh = "好"
text_en = "Good"
frequency = "daily"
cite = [{ doc = "law", clause = "Art. 1" }]
[item.fail]
severity = "general"
rectify_days = 1
measure_zh = "改"
measure_en = "Fix"
"#;

fn header(id: &str) -> String {
    format!(
        "[pack]\nid = \"{id}\"\nversion = \"1\"\njurisdiction = \"cn\"\ntitle_zh = \"包\"\ntitle_en = \"Pack\"\n"
    )
}

fn load(files: &[(&str, String)]) -> Result<PackSet, Vec<PackError>> {
    let docs = Source {
        name: "documents.toml".into(),
        text: DOCS.into(),
    };
    let packs: Vec<Source> = files
        .iter()
        .map(|(name, text)| Source {
            name: (*name).into(),
            text: text.clone(),
        })
        .collect();
    PackSet::load(&docs, &packs)
}

/// Loads one pack that must fail with exactly one error.
fn only_error(text: String) -> PackError {
    let errs = load(&[("p.toml", text)]).expect_err("pack must be refused");
    assert_eq!(errs.len(), 1, "{errs:#?}");
    errs.into_iter().next().expect("one error")
}

/// The 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle present")
        + 1
}

fn item(extra: &str, cite: bool) -> String {
    let cite = if cite {
        "cite = [{ doc = \"law\", clause = \"Art. 1\" }]\n"
    } else {
        ""
    };
    format!(
        "\n[[item]]\nid = \"p.bad\"\ntext_zh = \"坏\"\ntext_en = \"Bad\"\nfrequency = \"daily\"\n{extra}{cite}[item.fail]\nseverity = \"general\"\nrectify_days = 1\nmeasure_zh = \"改\"\nmeasure_en = \"Fix\"\n"
    )
}

#[test]
fn a_good_pack_loads() {
    let set = load(&[("p.toml", header("p") + GOOD_ITEM)]).expect("loads");
    assert_eq!(set.summary().items, 1);
    assert_eq!(set.summary().citations, 1);
}

#[test]
fn unknown_condition_field_names_file_line_column() {
    let text = header("p") + &item("when = \"kitchen and gaz == lpg\"\n", true);
    let e = only_error(text.clone());
    assert_eq!(e.file, "p.toml");
    assert_eq!(e.line, line_of(&text, "when ="));
    // `when = "` is 8 characters; `gaz` is the 13th character of the condition.
    assert_eq!(e.column, 8 + 13);
    assert_eq!(
        e.message,
        "condition `kitchen and gaz == lpg`: unknown field `gaz`"
    );
}

#[test]
fn badly_typed_condition_is_refused() {
    let text = header("p") + &item("when = \"gas > 3\"\n", true);
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "when ="));
    assert_eq!(
        e.message,
        "condition `gas > 3`: `gas` is compared with one of: none, piped, lpg"
    );
}

#[test]
fn unknown_item_key_is_refused() {
    let text = header("p") + &item("severity_level = \"high\"\n", true);
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "severity_level"));
    assert!(
        e.message.contains("unknown field `severity_level`"),
        "{}",
        e.message
    );
}

#[test]
fn unknown_frequency_is_refused() {
    let text = header("p") + &item("", true).replace("\"daily\"", "\"fortnightly\"");
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "frequency"));
    assert!(
        e.message.contains("unknown variant `fortnightly`"),
        "{}",
        e.message
    );
}

#[test]
fn duplicate_id_in_another_file_points_at_both() {
    let first = header("p") + GOOD_ITEM;
    let second = header("p2")
        + &GOOD_ITEM.replace("p.ok", "p2.ok")
        + &item("", true).replace("p.bad", "p2.ok");
    let errs = load(&[("a.toml", first), ("b.toml", second.clone())]).expect_err("refused");
    assert_eq!(errs.len(), 1, "{errs:#?}");
    let e = &errs[0];
    assert_eq!(e.file, "b.toml");
    let dup_line = second
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("id = \"p2.ok\""))
        .nth(1)
        .expect("second definition")
        .0
        + 1;
    assert_eq!(e.line, dup_line);
    assert_eq!(
        e.message,
        format!(
            "duplicate id `p2.ok`: already defined at b.toml:{}",
            line_of(&second, "id = \"p2.ok\"")
        )
    );
}

#[test]
fn duplicate_pack_id_is_refused() {
    let errs =
        load(&[("a.toml", header("p") + GOOD_ITEM), ("b.toml", header("p"))]).expect_err("refused");
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].file, "b.toml");
    assert_eq!(errs[0].line, 2);
    assert_eq!(errs[0].message, "duplicate pack id `p` (also version 1)");
}

#[test]
fn missing_citation_is_refused() {
    let text = header("p") + &item("", false);
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "id = \"p.bad\""));
    assert_eq!(
        e.message,
        "`p.bad` has no citation: every item and task must cite the clause that requires it"
    );
}

#[test]
fn citation_of_unknown_document_is_refused() {
    let text = header("p") + &item("cite = [{ doc = \"lwa\", clause = \"Art. 1\" }]\n", false);
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "cite ="));
    assert_eq!(
        e.message,
        "citation names unknown document `lwa` (add it to documents.toml)"
    );
}

#[test]
fn item_id_outside_the_pack_prefix_is_refused() {
    let text = header("q") + &item("", true);
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "id = \"p.bad\""));
    assert!(
        e.message
            .starts_with("item id `p.bad` must start with `q.`"),
        "{}",
        e.message
    );
}

#[test]
fn same_as_unknown_or_mismatched_is_refused() {
    let text = header("p") + &item("same_as = \"p.nothing\"\n", true);
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "same_as"));
    assert_eq!(e.message, "same_as names unknown item `p.nothing`");

    let text = header("p")
        + GOOD_ITEM
        + &item(
            "same_as = \"p.ok\"\nanswer = { kind = \"count\", min = 2 }\n",
            true,
        );
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "same_as"));
    assert_eq!(
        e.message,
        "cannot merge a count answer into `p.ok`, whose answer is pass_fail"
    );
}

#[test]
fn unknown_rule_is_refused() {
    let text = header("p")
        + &item(
            "answer = { kind = \"count\", min = \"gb50140_magic\" }\n",
            true,
        );
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "answer ="));
    assert!(
        e.message.starts_with("unknown rule `gb50140_magic`"),
        "{}",
        e.message
    );
}

#[test]
fn toml_syntax_error_has_its_line() {
    let text = header("p") + "\n[[item]]\nid = \"p.x\nfrequency = \"daily\"\n";
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "id = \"p.x"));
}

#[test]
fn task_with_purpose_and_items_is_refused() {
    let text = header("p")
        + GOOD_ITEM
        + "\n[[task]]\nid = \"p.task\"\ntitle_zh = \"任务\"\ntitle_en = \"Task\"\nfrequency = \"monthly\"\npurpose = \"patrol\"\nitems = [\"p.ok\"]\ncite = [{ doc = \"law\", clause = \"Art. 1\" }]\n";
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "id = \"p.task\""));
    assert_eq!(
        e.message,
        "task `p.task` needs exactly one of `purpose` or `items`"
    );
}

#[test]
fn task_listing_unknown_item_is_refused() {
    let text = header("p")
        + GOOD_ITEM
        + "\n[[task]]\nid = \"p.task\"\ntitle_zh = \"任务\"\ntitle_en = \"Task\"\nfrequency = \"monthly\"\nitems = [\"p.ok\", \"p.gone\"]\ncite = [{ doc = \"law\", clause = \"Art. 1\" }]\n";
    let e = only_error(text.clone());
    assert_eq!(e.line, line_of(&text, "items ="));
    assert_eq!(e.message, "task lists unknown item `p.gone`");
}

#[test]
fn every_error_in_a_file_is_reported_not_just_the_first() {
    let text = header("p") + &item("when = \"nope\"\n", false);
    let errs = load(&[("p.toml", text)]).expect_err("refused");
    let messages: Vec<&str> = errs.iter().map(|e| e.message.as_str()).collect();
    assert_eq!(errs.len(), 2, "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("no citation")));
    assert!(messages.iter().any(|m| m.contains("unknown field `nope`")));
}

#[test]
fn errors_display_as_file_line_column_reason() {
    let text = header("p") + &item("when = \"nope\"\n", true);
    let e = only_error(text);
    assert_eq!(
        e.to_string(),
        format!("p.toml:{}:{}: {}", e.line, e.column, e.message)
    );
}
