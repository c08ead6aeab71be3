// One job: live progress per step over the event stream, the readers of
// what it made, downloads, cancel and delete.
import { follow, cancelJob, deleteJob, signedURL, ApiError } from "./api.js";
import { h, clear, announce, bytes, when } from "./dom.js";
import { label } from "./formats.js";
import { readers } from "./readers.js";
import { page, problemBox } from "./ui.js";

const ENDED = ["succeeded", "partial", "failed", "cancelled", "expired"];
const STEP_ENDED = ["succeeded", "failed", "skipped", "not_applicable"];

export function jobView(id) {
  const ctl = new AbortController();
  const status = h("div");
  page("Job", h("p", { class: "muted" }, "Loading…"), status);
  let job = null;
  let view = null;
  follow(id, (ev) => {
    if (ev.type === "snapshot" || ev.type === "end") {
      job = ev.data;
      view = render(job, ctl);
      if (ev.type === "end") announce(`The job ${job.status}.`);
    } else if (view && ev.data && (ev.type === "step" || ev.type === "job")) {
      job.status = ev.data.status;
      job.progress = ev.data.progress;
      if (ev.data.step) {
        const i = job.steps.findIndex((s) => s.name === ev.data.step.name);
        if (i >= 0) job.steps[i] = ev.data.step;
        view.step(ev.data.step);
        if (STEP_ENDED.includes(ev.data.step.status)) announce(`${label(ev.data.step.name)} ${ev.data.step.status}.`);
      }
      view.overall(job);
    }
  }, ctl.signal).catch((err) => {
    if (err.name === "AbortError") return;
    if (err instanceof ApiError && err.code === "job_not_found") {
      page("No such job", h("p", {}, "There is no job ", h("code", {}, id), " of yours. ", h("a", { href: "#/" }, "Back to your jobs.")));
      return;
    }
    const main = document.getElementById("main");
    main.append(problemBox(err));
  });
  return () => ctl.abort();
}

function render(job, ctl) {
  const badge = h("span", { class: "badge badge-" + job.status });
  const bar = h("progress", { max: 1, id: "job-progress" });
  const pct = h("span");
  const actions = h("div", { class: "actions" });
  const status = h("div");
  const rows = new Map();
  const stepList = h("ol", { class: "steps", "aria-label": "Steps" });
  for (const s of job.steps) {
    const row = stepRow();
    rows.set(s.name, row);
    stepList.append(row.el);
  }
  const overall = (j) => {
    badge.textContent = j.status;
    badge.className = "badge badge-" + j.status;
    bar.value = j.progress;
    pct.textContent = Math.round(j.progress * 100) + "%";
  };
  const step = (s) => rows.get(s.name)?.set(s);
  job.steps.forEach(step);
  overall(job);

  if (!ENDED.includes(job.status)) {
    const cancel = h("button", { type: "button" }, "Cancel job");
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      try {
        await cancelJob(job.id);
        announce("Cancelling: steps not started are skipped.");
      } catch (err) {
        clear(status).append(problemBox(err));
        cancel.disabled = false;
      }
    });
    actions.append(cancel);
  }
  const del = h("button", { type: "button", class: "danger" }, "Delete job");
  del.addEventListener("click", async () => {
    if (!confirm(`Delete "${job.topic}" and every file it made? This cannot be undone.`)) return;
    try {
      ctl.abort();
      await deleteJob(job.id);
      announce("Deleted.");
      location.hash = "#/";
    } catch (err) {
      clear(status).append(problemBox(err));
    }
  });
  actions.append(del);

  const parts = [
    h("p", { class: "job-status" }, badge, " ", h("label", { for: "job-progress" }, "Progress "), bar, " ", pct),
    h("p", { class: "muted" }, "Submitted ", when(job.created_at), job.finished_at ? [" · ended ", when(job.finished_at)] : null,
      job.usage.calls ? ` · ${job.usage.calls} model calls, $${job.usage.cost_usd.toFixed(4)}` : null),
    actions, status,
    h("section", { "aria-labelledby": "steps-h" }, h("h2", { id: "steps-h" }, "Steps"), stepList),
  ];
  if (job.artifacts.length) {
    parts.push(h("section", { "aria-labelledby": "read-h" }, h("h2", { id: "read-h" }, "Read"), readers(job)));
    parts.push(downloads(job));
  } else if (!ENDED.includes(job.status)) {
    parts.push(h("p", { class: "muted" }, "What the job makes appears here when it ends."));
  }
  page(job.topic, ...parts);
  return { step, overall };
}

function stepRow() {
  const name = h("span", { class: "step-name" });
  const state = h("span", { class: "badge" });
  const bar = h("progress", { max: 1 });
  const note = h("span", { class: "step-note" });
  const el = h("li", { class: "step" }, name, state, bar, note);
  return {
    el,
    set(s) {
      name.textContent = label(s.name);
      state.textContent = s.status;
      state.className = "badge badge-" + s.status;
      bar.setAttribute("aria-label", label(s.name) + " progress");
      if (s.status === "running") bar.removeAttribute("value"); // under way: indeterminate
      else bar.value = { pending: 0, queued: 0.1 }[s.status] ?? 1;
      const notes = [];
      if (s.attempt > 1) notes.push(`attempt ${s.attempt}`);
      if (s.error) notes.push(`${s.error.code}: ${s.error.message}`);
      note.textContent = notes.join(" · ");
    },
  };
}

function downloads(job) {
  const list = h("ul", { class: "downloads" });
  const status = h("div");
  const bundle = job.artifacts.find((a) => a.name === "bundle.html") || job.artifacts.find((a) => a.name === "bundle.md");
  for (const a of job.artifacts) {
    const btn = h("button", { type: "button", class: a === bundle ? "primary" : "" }, "Download ", h("span", { class: "filename" }, a.name));
    btn.addEventListener("click", () => download(a, btn, status));
    list.append(h("li", {}, btn, h("span", { class: "muted" }, bytes(a.size), " · ", a.content_type.split(";")[0])));
  }
  return h("section", { "aria-labelledby": "downloads-h" }, h("h2", { id: "downloads-h" }, "Downloads"),
    h("p", { class: "help" }, "Links are signed for a few minutes; each click makes a fresh one."), status, list);
}

/** download saves an artifact: the signed URL is served as an attachment,
 * so following it downloads the file without leaving the app. */
async function download(a, btn, status) {
  btn.disabled = true;
  clear(status);
  try {
    const url = await signedURL(a.url);
    const link = h("a", { href: url, download: a.name, class: "visually-hidden" }, a.name);
    document.body.append(link);
    link.click();
    link.remove();
    announce(`Downloading ${a.name}.`);
  } catch (err) {
    status.append(problemBox(err));
  } finally {
    btn.disabled = false;
  }
}
