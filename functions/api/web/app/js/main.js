// Content Factory's web app: sign in, submit, follow, read, download.
// Plain ES modules over the public API; routes live in the URL's hash.
import { credential, setCredential, listJobs, usage, cancelJob, deleteJob, ApiError } from "./api.js";
import { h, clear, announce, when } from "./dom.js";
import { page, problemBox } from "./ui.js";
import { submitView } from "./submit.js";
import { jobView } from "./job.js";

const nav = document.getElementById("nav");
let leave = () => {};

function signIn(next) {
  const audience = document.querySelector('meta[name="cf-id-token-audience"]').content;
  const idTokens = audience && !audience.startsWith("{{");
  const input = h("input", { id: "credential", name: "credential", type: "password", autocomplete: "off", required: true, "aria-describedby": "credential-help" });
  const errors = h("div");
  const form = h("form", { class: "card narrow", novalidate: true },
    h("label", { for: "credential" }, idTokens ? "API key or Google ID token" : "API key"),
    input,
    h("p", { id: "credential-help", class: "help" },
      "Your key is kept in this browser tab only (session storage) and sent to this API alone. ",
      idTokens ? "This deployment also accepts Google ID tokens for the audience " : "Get one with factory keys create, or use the development key make run prints.",
      idTokens ? h("code", {}, audience) : null,
      idTokens ? " (for example from gcloud auth print-identity-token)." : null),
    errors,
    h("button", { type: "submit", class: "primary" }, "Sign in"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(errors);
    const value = input.value.trim();
    if (!value) {
      input.setAttribute("aria-invalid", "true");
      errors.append(h("p", { class: "field-error", role: "alert" }, "Enter your API key."));
      input.focus();
      return;
    }
    setCredential(value);
    try {
      await listJobs(1);
    } catch (err) {
      setCredential("");
      input.setAttribute("aria-invalid", "true");
      errors.append(problemBox(err));
      input.focus();
      return;
    }
    announce("Signed in.");
    nav.hidden = false;
    route(next);
  });
  page("Sign in", h("p", { class: "lead" }, "Turn a topic and your sources into an outline, a study guide, FAQs, flashcards, a narrated podcast and more."), form);
}

async function jobsView() {
  const list = h("ul", { class: "jobs", "aria-label": "Your jobs, newest first" });
  const more = h("button", { type: "button", hidden: true }, "Show more jobs");
  const status = h("div");
  const standing = h("p", { class: "muted" });
  page("Your jobs", standing, h("p", {}, h("a", { href: "#/new", class: "button primary" }, "New job")), status, list, more);
  usage().then((u) => {
    const parts = [`${u.jobs_today} ${u.jobs_today === 1 ? "job" : "jobs"} today`, `${u.running_jobs} running`, `$${u.spent_usd.toFixed(4)} spent`];
    if (u.daily_budget_usd) parts.push(`$${u.remaining_usd.toFixed(2)} of $${u.daily_budget_usd.toFixed(2)} left today`);
    standing.textContent = parts.join(" · ");
  }, () => {});
  let token = "";
  const load = async () => {
    more.disabled = true;
    try {
      const pageOf = await listJobs(10, token);
      if (!token && pageOf.jobs.length === 0) {
        list.replaceWith(h("p", {}, "No jobs yet. ", h("a", { href: "#/new" }, "Submit your first one.")));
      }
      for (const j of pageOf.jobs) list.append(jobRow(j, status));
      token = pageOf.next_page_token || "";
      more.hidden = !token;
    } catch (err) {
      clear(status).append(problemBox(err));
    } finally {
      more.disabled = false;
    }
  };
  more.addEventListener("click", load);
  await load();
}

function jobRow(j, status) {
  const ended = ["succeeded", "partial", "failed", "cancelled", "expired"].includes(j.status);
  const actions = h("div", { class: "actions" });
  const row = h("li", { class: "job-row" },
    h("div", {},
      h("a", { href: "#/jobs/" + encodeURIComponent(j.id), class: "job-topic" }, j.topic),
      h("p", { class: "muted" }, when(j.created_at), " · ", j.formats.length, " formats")),
    h("span", { class: "badge badge-" + j.status }, j.status),
    actions);
  if (!ended) {
    const cancel = h("button", { type: "button", "aria-label": "Cancel " + j.topic }, "Cancel");
    cancel.addEventListener("click", async () => {
      try {
        const after = await cancelJob(j.id);
        row.replaceWith(jobRow(after, status));
        announce(`Cancelled ${j.topic}.`);
      } catch (err) {
        clear(status).append(problemBox(err));
      }
    });
    actions.append(cancel);
  }
  const del = h("button", { type: "button", class: "danger", "aria-label": "Delete " + j.topic }, "Delete");
  del.addEventListener("click", async () => {
    if (!confirm(`Delete "${j.topic}" and every file it made? This cannot be undone.`)) return;
    try {
      await deleteJob(j.id);
      row.remove();
      announce(`Deleted ${j.topic}.`);
    } catch (err) {
      clear(status).append(problemBox(err));
    }
  });
  actions.append(del);
  return row;
}

function route(hash = location.hash) {
  if (hash && !hash.startsWith("#/")) return; // an in-page link, such as the skip link
  leave();
  leave = () => {};
  const path = (hash || "#/").slice(1);
  if (!credential()) {
    nav.hidden = true;
    signIn(hash);
    return;
  }
  nav.hidden = false;
  if (location.hash !== hash && hash) history.replaceState(null, "", hash);
  const job = /^\/jobs\/([^/]+)$/.exec(path);
  if (job) {
    leave = jobView(decodeURIComponent(job[1]));
  } else if (path === "/new") {
    submitView();
  } else {
    jobsView();
  }
}

document.getElementById("signout").addEventListener("click", () => {
  setCredential("");
  announce("Signed out.");
  location.hash = "#/";
  route("#/");
});
window.addEventListener("hashchange", () => route());
route();
