// The API client of the web app: the same public API every client uses
// (openapi.json). The credential lives in sessionStorage: this tab only,
// gone when it closes.

const KEY = "cf.credential";

export function credential() {
  return sessionStorage.getItem(KEY) || "";
}

export function setCredential(c) {
  if (c) sessionStorage.setItem(KEY, c);
  else sessionStorage.removeItem(KEY);
}

/** ApiError is a problem+json answer (or a failure that is none). */
export class ApiError extends Error {
  constructor(problem, status) {
    super(problem.detail || problem.title || "HTTP " + status);
    this.problem = problem;
    this.status = status;
    this.code = problem.code || "";
  }
}

async function problemOf(resp) {
  let p = {};
  try {
    p = await resp.json();
  } catch {
    p = { title: resp.statusText };
  }
  if (!p.code) p.code = String(resp.status);
  return new ApiError(p, resp.status);
}

/** call sends a request to the API and returns its JSON (or null). */
export async function call(method, path, { body, headers = {}, signal } = {}) {
  const h = { Authorization: "Bearer " + credential(), ...headers };
  if (body !== undefined) h["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError({ code: "network", title: "The API could not be reached", detail: "Check your connection and try again." }, 0);
  }
  if (!resp.ok) throw await problemOf(resp);
  if (resp.status === 204) return null;
  return resp.json();
}

export const listJobs = (pageSize, pageToken) => {
  const q = new URLSearchParams({ page_size: String(pageSize) });
  if (pageToken) q.set("page_token", pageToken);
  return call("GET", "/v1/jobs?" + q);
};
export const getJob = (id) => call("GET", "/v1/jobs/" + encodeURIComponent(id));
export const cancelJob = (id) => call("POST", "/v1/jobs/" + encodeURIComponent(id) + ":cancel");
export const deleteJob = (id) => call("DELETE", "/v1/jobs/" + encodeURIComponent(id));
export const usage = () => call("GET", "/v1/usage");
export const submit = (request, key) => call("POST", "/v1/jobs", { body: request, headers: { "Idempotency-Key": key } });

/** artifact fetches an artifact: the API answers with a redirect to a
 * short-lived signed URL, which the browser follows without the
 * credential (it drops Authorization on a redirect to another origin).
 * It returns the response; response.url is the signed URL. */
export async function artifact(url, signal) {
  let resp;
  try {
    resp = await fetch(url, { headers: { Authorization: "Bearer " + credential() }, signal });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError({ code: "network", title: "The download failed", detail: String(e.message || e) }, 0);
  }
  if (!resp.ok) throw await problemOf(resp);
  return resp;
}

/** signedURL returns an artifact's signed URL without downloading it:
 * for <audio>, <img> and downloads, which cannot send the credential. */
export async function signedURL(url) {
  const ctl = new AbortController();
  const resp = await artifact(url, ctl.signal);
  const signed = resp.url;
  ctl.abort(); // the headers told what we need
  return signed;
}

/** follow reads a job's event stream (text/event-stream over fetch, so
 * that it can send the credential), reconnecting with Last-Event-ID when
 * the stream ends early, until the end event or until signal aborts.
 * onEvent gets {type, id, data}. It resolves with the ended job. */
export async function follow(id, onEvent, signal) {
  let last = "";
  let failures = 0;
  let retry = 1000;
  for (;;) {
    const headers = { Authorization: "Bearer " + credential(), Accept: "text/event-stream" };
    if (last) headers["Last-Event-ID"] = last;
    let resp;
    try {
      resp = await fetch("/v1/jobs/" + encodeURIComponent(id) + "/events", { headers, signal });
    } catch (e) {
      if (signal.aborted) throw e;
      resp = null;
    }
    if (resp && resp.status === 204) return getJob(id);
    if (resp && !resp.ok) {
      const err = await problemOf(resp);
      if (resp.status !== 503 && resp.status !== 429 && resp.status < 500) throw err;
    }
    if (resp && resp.ok) {
      try {
        for await (const ev of events(resp.body, (ms) => { retry = ms; })) {
          if (ev.id !== undefined) last = ev.id;
          failures = 0;
          const data = ev.data ? JSON.parse(ev.data) : null;
          onEvent({ type: ev.event, id: ev.id, data });
          if (ev.event === "end") return data;
        }
      } catch (e) {
        if (signal.aborted) throw e;
        failures++;
      }
    } else {
      failures++;
    }
    if (failures > 5) throw new ApiError({ code: "network", title: "Live progress stopped", detail: "The event stream kept failing; reload to try again." }, 0);
    await sleep(retry * Math.max(1, failures), signal);
  }
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => { clearTimeout(t); reject(new DOMException("aborted", "AbortError")); }, { once: true });
  });
}

/** events parses Server-Sent Events from a byte stream. */
async function* events(body, onRetry) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let ev = { data: "" };
  let started = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let nl;
    while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf.startsWith("\r\n", nl) ? 2 : 1));
      if (line === "") {
        if (started) yield { ...ev, data: ev.data.replace(/\n$/, "") };
        ev = { data: "" };
        started = false;
        continue;
      }
      if (line.startsWith(":")) continue;
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      const val = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "retry") { if (/^\d+$/.test(val)) onRetry(Number(val)); continue; }
      started = true;
      if (field === "data") ev.data += val + "\n";
      else if (field === "id") ev.id = val;
      else if (field === "event") ev.event = val;
    }
  }
}
