// The independent client's story, against a real server (CLOSELOOP_URL) with the demo
// organisation (server/README.md, "The demo"): the grid worker wang creates a site in his grid,
// inspects it from the checklist the server generates, fails an item, raises a hazard with
// before-photos, assigns it to himself and rectifies it with an after-photo; the supervisor li
// accepts it. Every step is checked through the tracking API. Exits 0 when all holds.

import jpeg from "jpeg-js";
import { Device, Failure, check, header, json, newId, profileMap, records, str } from "./closeloop.mjs";

const url = process.env.CLOSELOOP_URL;
if (!url) {
  console.error("set CLOSELOOP_URL to a server with the demo organisation");
  process.exit(2);
}
const password = (user) => `${user}-demo-pass`;

/** A baseline JPEG (jpeg-js writes nothing else), as a camera app would re-encode a photo. */
function photo(width, height, seed) {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x + seed * 40) & 0xff;
      data[i + 1] = (y * 3) & 0xff;
      data[i + 2] = (seed * 70) & 0xff;
      data[i + 3] = 0xff;
    }
  }
  return new Uint8Array(jpeg.encode({ data, width, height }, 85).data);
}

/** The date of `ms` in a zone `offset` minutes east of UTC, as YYYY-MM-DD. */
function localDate(ms, offset) {
  return new Date(ms + offset * 60_000).toISOString().slice(0, 10);
}

/** documents.md, "answers": an answer that passes the item, by its answer kind. */
function passing(item, today) {
  const a = item.answer;
  switch (a.kind) {
    case "pass_fail":
      return { kind: "pass" };
    case "count":
      return { kind: "count", value: a.min };
    case "measure":
      return { kind: "measure", value: a.min ?? a.max ?? 1 };
    case "date":
      return { kind: "date", value: today };
    default:
      throw new Failure(`unknown answer kind ${a.kind}`);
  }
}

/** A clock that never goes back, so that each record is later than the one before. */
let last = 0;
function now() {
  last = Math.max(Date.now(), last + 1);
  return last;
}

function step(what) {
  console.log(`js-client: ${what}`);
}

async function main() {
  const wang = new Device(url, "wang", password("wang"));
  const me = await wang.login();
  step(`wang logged in (${me.user_id}, grids ${me.grid_ids}), actor ${wang.actor}`);
  check(me.role === "inspector" && me.grid_ids.includes("grid-1"), "wang inspects grid-1", me);
  await wang.sync();

  // The site, in wang's grid: its site_id is its own id, its zone UTC+8.
  const siteId = newId("site");
  const place = { org_id: me.org_id, grid_id: "grid-1", site_id: siteId };
  const offset = 480;
  wang.create(siteId, (d) => {
    header(d, "site", siteId, place);
    d.name = str("JS 测试便利店 / JS corner shop");
    d.address = str("示范路 9 号");
    d.lat = 31.2304;
    d.lon = 121.4737;
    d.utc_offset_minutes = offset;
    d.profile = profileMap({
      schema_version: 1,
      jurisdiction: "cn",
      premises: "small_shop",
      floor_area_m2: 80,
      storeys: 1,
      building_height_m: 4.5,
      occupants: 12,
      gas: "none",
      hazard_level: "medium",
    });
  });
  let results = await wang.sync([siteId]);
  check(results.get(siteId)?.status === "accepted", "the site is accepted", results.get(siteId));
  const site = await wang.expect(200, "GET", `/v1/sites/${siteId}`);
  check(site.body.grid_id === "grid-1" && site.body.utc_offset_minutes === offset, "the site as tracked", site.body);
  step(`site ${siteId} accepted; grade ${site.body.risk.grade}`);

  // The inspection carries exactly the checklist the server generates for the site.
  const list = await wang.expect(200, "GET", `/v1/sites/${siteId}/checklist?purpose=patrol`);
  const checklist = list.body;
  check(checklist.items.length > 1, "a real checklist", checklist);
  const failed = checklist.items[0];
  const started = now();
  const today = localDate(started, offset);

  const before = [photo(640, 480, 1), photo(480, 640, 2)];
  const thumb = photo(160, 120, 1);
  const beforeShas = [];
  for (const p of before) beforeShas.push(await wang.upload(p));
  const thumbSha = await wang.upload(thumb);

  const inspectionId = newId("insp");
  let signedAt;
  wang.create(inspectionId, (d) => {
    header(d, "inspection", inspectionId, place);
    d.inspector = str(me.user_id);
    d.purpose = str("patrol");
    d.started_at = started;
    d.checklist = json(checklist);
    d.answers = [];
    d.photos = [];
    d.comments = [];
    for (const item of checklist.items) {
      const value = item === failed ? { kind: "fail" } : passing(item, today);
      const note = item === failed ? "出口堆放纸箱 / boxes in the exit" : "";
      d.answers.push(json({ id: newId("ans"), item_id: item.id, ...value, note, by: me.user_id, at: now() }));
    }
    d.photos.push(
      json({
        sha256: beforeShas[0],
        thumb_sha256: thumbSha,
        width: 640,
        height: 480,
        bytes: before[0].length,
        item_id: failed.id,
        by: me.user_id,
        at: now(),
      }),
    );
    signedAt = now();
    d.signed_off = json({ by: me.user_id, at: signedAt, note: "" });
  });

  // The hazard, raised from the failed item, with both before-photos.
  const hazardId = newId("hzd");
  const deadline = started + 3 * 86_400_000;
  const reported = {
    id: newId("evt"),
    type: "reported",
    title: `不符合：${failed.text_zh}`,
    severity: failed.on_fail.severity,
    clauses: failed.citations.map((c) => `${c.title_zh} ${c.clause}`),
    item_id: failed.id,
    measure: failed.on_fail.measure_zh,
    deadline,
    by: me.user_id,
    role: "inspector",
    at: now(),
    note: "",
    photos: beforeShas,
  };
  wang.create(hazardId, (d) => {
    header(d, "hazard", hazardId, place);
    d.inspection_id = str(inspectionId);
    d.events = [json(reported)];
  });
  results = await wang.sync([inspectionId, hazardId]);
  for (const id of [inspectionId, hazardId]) {
    check(results.get(id)?.status === "accepted", `${id} is accepted`, results.get(id));
  }

  const insp = await wang.expect(200, "GET", `/v1/inspections/${inspectionId}`);
  const failedView = insp.body.items.find((i) => i.item_id === failed.id);
  check(failedView?.outcome?.outcome === "fail", "the failed item is failed", failedView);
  check(failedView.photos.includes(beforeShas[0]), "the failed item has its photo", failedView);
  check(insp.body.signed_off_at === signedAt, "the inspection is signed off", insp.body);
  check(
    insp.body.items.filter((i) => i.outcome?.outcome === "pass").length === checklist.items.length - 1,
    "every other item passes",
    insp.body.items,
  );
  let hz = await wang.expect(200, "GET", `/v1/hazards/${hazardId}`);
  check(hz.body.status === "reported" && hz.body.evidence_complete, "the hazard is reported with its evidence", hz.body);
  check(beforeShas.every((s) => hz.body.photos.includes(s)), "the before-photos are listed", hz.body);
  step(`inspection ${inspectionId} and hazard ${hazardId} accepted`);

  // Assign: wang himself (the new site has no owner yet).
  wang.edit(hazardId, (d) => {
    d.events.push(
      json({
        id: newId("evt"),
        type: "assigned",
        assignee: me.user_id,
        deadline,
        measure: "清理出口 / clear the exit",
        by: me.user_id,
        role: "inspector",
        at: now(),
        note: "",
        photos: [],
      }),
    );
  });
  results = await wang.sync([hazardId]);
  check(results.get(hazardId)?.status === "accepted", "the assignment is accepted", results.get(hazardId));
  hz = await wang.expect(200, "GET", `/v1/hazards/${hazardId}`);
  check(hz.body.status === "assigned" && hz.body.assignee === me.user_id && hz.body.deadline === deadline, "assigned", hz.body);
  step("assigned to wang");

  // An inspector may not accept: the refusal names its rule, and nothing is written. The edit
  // is made on a copy that is thrown away afterwards.
  {
    const A = await import("@automerge/automerge");
    const entry = wang.docs.get(hazardId);
    const attempt = A.change(A.clone(entry.doc, { actor: wang.actor }), (d) => {
      d.events.push(json({ id: newId("evt"), type: "accepted", by: me.user_id, role: "inspector", at: now(), note: "", photos: [] }));
    });
    const r = await wang.sync([hazardId], { changes: { [hazardId]: A.saveSince(attempt, entry.synced) } });
    check(r.get(hazardId)?.refusal?.rule === "hazard.accept.supervisor_only", "an inspector's acceptance is refused", r.get(hazardId));
    step("wang's own acceptance refused: hazard.accept.supervisor_only");
  }

  // Rectify, with an after-photo uploaded first.
  const afterSha = await wang.upload(photo(640, 480, 3));
  wang.edit(hazardId, (d) => {
    d.events.push(
      json({ id: newId("evt"), type: "rectification_submitted", by: me.user_id, role: "inspector", at: now(), note: "已清理 / cleared", photos: [afterSha] }),
    );
  });
  results = await wang.sync([hazardId]);
  check(results.get(hazardId)?.status === "accepted", "the rectification is accepted", results.get(hazardId));
  hz = await wang.expect(200, "GET", `/v1/hazards/${hazardId}`);
  check(hz.body.status === "rectification_submitted", "rectification submitted", hz.body);
  step("rectified with an after-photo");

  // The supervisor pulls the hazard and accepts it, under her own device's actor.
  const li = new Device(url, "li", password("li"));
  const sup = await li.login();
  check(sup.role === "supervisor", "li supervises", sup);
  const queue = await li.expect(200, "GET", "/v1/review-queue");
  const waiting = queue.body.find((q) => q.id === hazardId);
  check(waiting, "the hazard waits in the review queue", queue.body);
  check(waiting.after_photos.includes(afterSha) && waiting.missing_evidence.length === 0, "with its evidence", waiting);
  await li.sync();
  check(li.doc(hazardId), "li's feed brought the hazard", [...li.docs.keys()]);
  check(records(li.doc(hazardId).events).length === 3, "with its three events", li.doc(hazardId));
  li.edit(hazardId, (d) => {
    d.events.push(json({ id: newId("evt"), type: "accepted", by: sup.user_id, role: "supervisor", at: now(), note: "", photos: [] }));
  });
  results = await li.sync([hazardId]);
  check(results.get(hazardId)?.status === "accepted", "li's acceptance is accepted", results.get(hazardId));

  hz = await li.expect(200, "GET", `/v1/hazards/${hazardId}`);
  check(hz.body.status === "accepted" && hz.body.closed_at, "the hazard is closed", hz.body);
  const timeline = hz.body.timeline;
  check(
    timeline.map((t) => t.event.type).join(",") === "reported,assigned,rectification_submitted,accepted",
    "the timeline holds the four applied events",
    timeline,
  );
  check(timeline.every((t) => !t.not_applied && t.received_at), "each applied and received", timeline);
  const blob = await li.call("GET", `/v1/blobs/${afterSha}`);
  check(blob.status === 200 || blob.status === 307, "li reads the after-photo", blob.status);
  step(`accepted by li; timeline ${timeline.map((t) => t.status_after).join(" -> ")}`);

  // wang's device hears of the acceptance through its feed.
  await wang.sync();
  const events = records(wang.doc(hazardId).events);
  check(events.at(-1).type === "accepted" && events.at(-1).by === sup.user_id, "wang's copy has li's acceptance", events);
  console.log("js-client: OK");
}

main().catch((e) => {
  console.error(`js-client: FAILED: ${e instanceof Failure ? e.message : e.stack}`);
  process.exit(1);
});
