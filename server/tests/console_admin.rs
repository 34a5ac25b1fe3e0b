//! The administrators' console pages: only administrators see or use them, every form needs
//! the session's CSRF token, and each change goes through the same functions as the API (users,
//! grids, sites, moves, imports with a dry run), recorded in the audit log the pages show.

mod common;

use common::browser::*;
use common::*;

fn multipart(csrf: &str, kind: &str, file: &str) -> (String, String) {
    let b = "----closeloopboundary7";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sites.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n\
         --{b}--\r\n"
    );
    (body, format!("multipart/form-data; boundary={b}"))
}

fn token_in(body: &str) -> Option<String> {
    let at = body.find("name=\"token\" value=\"")? + 20;
    Some(body[at..at + 32].to_owned())
}

#[test]
fn only_administrators_use_the_admin_pages_and_every_change_is_logged() {
    let s = TestServer::start();
    let mut li = Browser::new(&s);
    li.sign_in("li");
    let home = li.get("/console/");
    assert!(
        !home.body.contains("/console/admin/users"),
        "no admin link for a supervisor"
    );
    for path in [
        "/console/admin/users",
        "/console/admin/grids",
        "/console/admin/sites",
        "/console/admin/import",
        "/console/admin/audit",
    ] {
        assert_eq!(li.get(path).status, 403, "{path}");
    }
    let li_csrf = li.csrf();
    let p = li.send(
        "POST",
        "/console/admin/grids",
        Some(&format!("csrf={li_csrf}&id=grid-x&name=x")),
        &[],
    );
    assert_eq!(p.status, 403);

    let mut a = Browser::new(&s);
    a.sign_in("admin");
    let users = a.get("/console/admin/users");
    assert_eq!(users.status, 200);
    assert!(
        users.body.contains("王网格员")
            && users.body.contains("/console/admin/users\" aria-current")
    );
    assert!(users.body.contains("管理"), "the nav shows administration");
    let csrf = a.csrf();
    // Without the session's token nothing changes.
    let p = a.send(
        "POST",
        "/console/admin/users",
        Some("csrf=forged&username=qian&display_name=钱&role=inspector&grid_ids=grid-1&password=qian-pass-1"),
        &[],
    );
    assert_eq!(p.status, 403);
    let p = a.send(
        "POST",
        "/console/admin/users",
        Some(&format!("csrf={csrf}&username=qian&display_name=%E9%92%B1%E7%BD%91%E6%A0%BC%E5%91%98&role=inspector&grid_ids=grid-1&site_ids=&password=qian-pass-1")),
        &[],
    );
    assert_eq!(
        (p.status, p.location.as_str()),
        (303, "/console/admin/users?done=1")
    );
    let users = a.get("/console/admin/users?done=1");
    assert!(users.body.contains("钱网格员"), "created");
    assert!(users.body.contains("已保存"));
    let at = users.body.find("钱网格员").expect("row");
    let id_at = users.body[..at]
        .rfind("/console/admin/users/")
        .expect("link")
        + 21;
    let qian: String = users.body[id_at..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    // A refused change comes back with its reason, and changes nothing.
    let p = a.send(
        "POST",
        "/console/admin/users",
        Some(&format!("csrf={csrf}&username=qian&display_name=x&role=inspector&grid_ids=grid-1&password=another-pass")),
        &[],
    );
    assert!(p.location.contains("refused="), "{}", p.location);
    // The hazard page's assignee picker offers whom the model's rule accepts: grid-1's
    // inspectors (the new one included), not grid-2's, and nobody once deactivated.
    let wang = author(&s, "wang");
    let h = push_hazard(
        &s,
        &wang,
        &s.sites[0],
        "hzd-picker-1",
        closeloop_model::lifecycle::Severity::General,
        None,
        vec![],
    );
    let picker = |b: &mut Browser| {
        let page = b.get(&format!("/console/hazards/{h}")).body;
        let at = page.find("name=\"assignee\"").expect("an assign form");
        let end = at + page[at..].find("</select>").expect("the picker");
        page[at..end].to_owned()
    };
    let offered = picker(&mut li);
    assert!(
        offered.contains("王网格员") && offered.contains("钱网格员"),
        "{offered}"
    );
    assert!(
        !offered.contains("赵网格员"),
        "another grid's inspector: {offered}"
    );
    let p = a.send(
        "POST",
        &format!("/console/admin/users/{qian}/deactivate"),
        Some(&format!("csrf={csrf}")),
        &[],
    );
    assert_eq!(p.status, 303);
    assert!(a.get("/console/admin/users").body.contains("已停用"));
    let offered = picker(&mut li);
    assert!(
        !offered.contains("钱网格员") && offered.contains("王网格员"),
        "a deactivated inspector is not offered: {offered}"
    );

    // Grids and sites.
    let p = a.send(
        "POST",
        "/console/admin/grids",
        Some(&format!(
            "csrf={csrf}&id=grid-3&name=%E7%AC%AC%E4%B8%89%E7%BD%91%E6%A0%BC"
        )),
        &[],
    );
    assert_eq!(p.location, "/console/admin/grids?done=1");
    let p = a.send(
        "POST",
        "/console/admin/sites",
        Some(&format!("csrf={csrf}&code=C-1&grid_id=grid-1&name=%E9%9D%A2%E9%A6%86&address=&lat=31.2&lon=121.4&premises=restaurant&floor_area_m2=120&storeys=1&building_height_m=4&occupants=30&gas=lpg&hazard_level=medium&kitchen=false&kitchen=true")),
        &[],
    );
    assert_eq!(p.location, "/console/admin/sites?done=1", "{}", p.location);
    let sites = a.get("/console/admin/sites");
    assert!(sites.body.contains("面馆") && sites.body.contains("C-1"));
    let at = sites.body.find("面馆").expect("row");
    let id_at = sites.body[..at]
        .rfind("/console/admin/sites/")
        .expect("link")
        + 21;
    let site: String = sites.body[id_at..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let page = a.get(&format!("/console/admin/sites/{site}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("value=\"120\""),
        "the form shows the profile"
    );
    let p = a.send(
        "POST",
        &format!("/console/admin/sites/{site}/move"),
        Some(&format!("csrf={csrf}&grid_id=grid-3")),
        &[],
    );
    assert_eq!(p.location, "/console/admin/sites?done=1");
    // A bad value is refused with the import's reason, in the page's language.
    let p = a.send(
        "POST",
        &format!("/console/admin/sites/{site}"),
        Some(&format!("csrf={csrf}&name=x&premises=restaurant&floor_area_m2=abc&storeys=1&building_height_m=4&occupants=30&gas=lpg&hazard_level=medium")),
        &[],
    );
    assert!(p.location.contains("refused="), "{}", p.location);

    // An import: the dry run lists problems; a clean file is kept and imported on confirmation.
    let header = "code,name,grid_id,premises,floor_area_m2,storeys,building_height_m,occupants,gas,hazard_level";
    let bad = format!(
        "{header}\nI-1,甲,grid-1,small_shop,80,1,4,10,none,light\nI-2,乙,grid-9,small_shop,80,1,4,10,none,light\n"
    );
    let (body, ct) = multipart(&csrf, "sites", &bad);
    let p = a.send(
        "POST",
        "/console/admin/import",
        Some(&body),
        &[("content-type", &ct)],
    );
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("本单位没有网格“grid-9”"), "{}", p.body);
    assert!(
        token_in(&p.body).is_none(),
        "a file with problems cannot be imported"
    );
    let good = format!(
        "{header}\nI-1,甲,grid-1,small_shop,80,1,4,10,none,light\nI-2,乙,grid-2,small_shop,80,1,4,10,none,light\n"
    );
    let (body, ct) = multipart(&csrf, "sites", &good);
    let p = a.send(
        "POST",
        "/console/admin/import",
        Some(&body),
        &[("content-type", &ct)],
    );
    let token = token_in(&p.body).expect("a clean dry run offers the import");
    let (forged, ct) = multipart("forged", "sites", &good);
    assert_eq!(
        a.send(
            "POST",
            "/console/admin/import",
            Some(&forged),
            &[("content-type", &ct)]
        )
        .status,
        403
    );
    // Another administrator's session cannot use this one's kept file.
    let p = a.send(
        "POST",
        "/console/admin/import/confirm",
        Some(&format!("csrf={csrf}&token={token}")),
        &[],
    );
    assert_eq!(p.status, 200);
    assert!(p.body.contains("已导入"), "{}", p.body);
    let again = a.send(
        "POST",
        "/console/admin/import/confirm",
        Some(&format!("csrf={csrf}&token={token}")),
        &[],
    );
    assert!(
        again.location.contains("refused="),
        "a kept file imports once"
    );

    let log = a.get("/console/admin/audit");
    for what in [
        "新建人员",
        "停用人员",
        "新建网格",
        "新建场所",
        "调整场所网格",
        "导入场所",
    ] {
        assert!(log.body.contains(what), "{what} in the audit page");
    }
    assert!(!log.body.contains("qian-pass-1"));
}
