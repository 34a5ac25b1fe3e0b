// A Closeloop client in JavaScript, written from docs/sync-protocol.md, docs/documents.md and
// server/openapi.json only: the proof that a partner can implement the protocol without the Rust
// core. Nothing here is generated from or shares code with the Rust client.

import * as A from "@automerge/automerge";
import { createHash, randomBytes } from "node:crypto";

/** A failed expectation, with what the server said. */
export class Failure extends Error {}

export function check(cond, what, detail) {
  if (!cond) {
    throw new Failure(`${what}${detail === undefined ? "" : `: ${JSON.stringify(detail)}`}`);
  }
}

/** documents.md, "Ids": 1 to 128 of [A-Za-z0-9_-]; random enough never to collide. */
export function newId(prefix) {
  return `${prefix}-${Date.now().toString(16)}${randomBytes(8).toString("hex")}`;
}

/** documents.md, "Actors": 16 random bytes, lowercase hex. */
export function newActor() {
  return randomBytes(16).toString("hex");
}

export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

const b64 = (bytes) => Buffer.from(bytes).toString("base64");
const unb64 = (text) => new Uint8Array(Buffer.from(text, "base64"));

/** A string as documents.md says strings are stored: an automerge scalar, never `Text`. */
export const str = (s) => new A.ImmutableString(s);

/** A record of an append-only list, or a JSON-valued key: one scalar string of JSON. */
export const json = (value) => new A.ImmutableString(JSON.stringify(value));

/** One signed-in user on one device, holding the documents it has synced. */
export class Device {
  constructor(url, username, password) {
    this.url = url;
    this.username = username;
    this.password = password;
    this.deviceId = newId(`js-${username}`);
    this.actor = newActor();
    this.cursor = null;
    /** doc id -> { doc, synced } where `synced` are the heads the server last acknowledged. */
    this.docs = new Map();
  }

  async call(method, path, { body, raw, type, token = true } = {}) {
    const headers = {};
    if (token) headers.authorization = `Bearer ${this.token}`;
    let payload;
    if (raw !== undefined) {
      payload = raw;
      headers["content-type"] = type;
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["content-type"] = "application/json";
    }
    const res = await fetch(`${this.url}${path}`, { method, headers, body: payload, redirect: "manual" });
    const bytes = new Uint8Array(await res.arrayBuffer());
    const text = new TextDecoder().decode(bytes);
    let parsed = null;
    if ((res.headers.get("content-type") || "").startsWith("application/json")) {
      parsed = JSON.parse(text);
    }
    return { status: res.status, headers: res.headers, bytes, body: parsed };
  }

  async expect(status, method, path, opts) {
    const res = await this.call(method, path, opts);
    check(res.status === status, `${method} ${path} answered ${res.status}, not ${status}`, res.body);
    return res;
  }

  /** sync-protocol.md §2: log in, then register this device's actor. */
  async login() {
    const res = await this.expect(200, "POST", "/v1/auth/login", {
      token: false,
      body: { username: this.username, password: this.password, device_id: this.deviceId },
    });
    this.token = res.body.access_token;
    this.user = res.body.user;
    const actors = await this.expect(200, "POST", "/v1/devices/actors", {
      body: { actor_ids: [this.actor] },
    });
    check(actors.body.actor_ids.includes(this.actor), "the actor is registered", actors.body);
    return this.user;
  }

  /** sync-protocol.md §4: a photo before the documents that name it; 201 new, 200 known. */
  async upload(bytes) {
    const sha = sha256(bytes);
    const res = await this.call("PUT", `/v1/blobs/${sha}`, { raw: bytes, type: "image/jpeg" });
    check(res.status === 201 || res.status === 200, `upload of ${sha}`, res.body);
    return sha;
  }

  /** A new document written by this device's actor. */
  create(id, build) {
    const doc = A.change(A.init({ actor: this.actor }), build);
    this.docs.set(id, { doc, synced: [] });
    return doc;
  }

  /** documents.md, "Editing": every change this device makes is under its own actor. */
  edit(id, change) {
    const entry = this.docs.get(id);
    check(entry, `document ${id} is on this device`);
    entry.doc = A.change(entry.doc, change);
    return entry.doc;
  }

  /** What a push of `id` carries: every change since the server's last acknowledgement. */
  changesOf(id) {
    const { doc, synced } = this.docs.get(id);
    return synced.length === 0 ? A.save(doc) : A.saveSince(doc, synced);
  }

  /**
   * sync-protocol.md §3: push `ids` (sites first) and pull the feed until `more` is false.
   * Returns the results by doc id.
   */
  async sync(ids = [], { changes } = {}) {
    const push = ids.map((id) => ({ doc_id: id, changes: b64(changes?.[id] ?? this.changesOf(id)) }));
    const results = new Map();
    let first = true;
    for (;;) {
      const res = await this.expect(200, "POST", "/v1/sync", {
        body: { cursor: this.cursor, push: first ? push : [], feed_limit: 500 },
      });
      for (const r of res.body.results) {
        results.set(r.doc_id, r);
        const entry = this.docs.get(r.doc_id);
        if (r.status === "accepted" && entry && !changes?.[r.doc_id]) {
          entry.synced = r.heads;
        }
      }
      for (const f of res.body.feed) this.apply(f);
      this.cursor = res.body.cursor;
      first = false;
      if (!res.body.more) return results;
    }
  }

  /** A feed entry: loaded into the document, which is created (under our actor) if new. */
  apply(entry) {
    const known = this.docs.get(entry.doc_id);
    const doc = A.loadIncremental(known ? known.doc : A.init({ actor: this.actor }), unb64(entry.changes));
    this.docs.set(entry.doc_id, { doc, synced: A.getHeads(doc) });
  }

  doc(id) {
    return this.docs.get(id)?.doc;
  }
}

/** documents.md: the header every document starts with. */
export function header(d, kind, id, place) {
  d.schema = 1;
  d.kind = str(kind);
  d.id = str(id);
  d.org_id = str(place.org_id);
  d.grid_id = str(place.grid_id);
  d.site_id = str(place.site_id);
}

/** A site profile map: every value a scalar, strings as scalar strings. */
export function profileMap(profile) {
  const out = {};
  for (const [k, v] of Object.entries(profile)) {
    out[k] = typeof v === "string" ? str(v) : v;
  }
  return out;
}

/** Parses every record of an append-only list. */
export function records(list) {
  return (list ?? []).map((s) => JSON.parse(s.toString()));
}
