// Page furniture every view shares.
import { ApiError } from "./api.js";
import { h, clear } from "./dom.js";

const main = document.getElementById("main");

/** problemBox shows an API problem: its detail, code and request id. */
export function problemBox(err) {
  const p = err instanceof ApiError ? err.problem : { title: "Something went wrong", detail: String(err && err.message || err) };
  return h("div", { class: "problem", role: "alert" },
    h("p", { class: "problem-title" }, p.title || "Error", p.code ? [" ", h("code", {}, p.code)] : null),
    p.detail ? h("p", {}, p.detail) : null,
    p.errors && p.errors.length ? h("ul", {}, p.errors.map((e) => h("li", {}, h("code", {}, e.field), " ", e.message))) : null,
    p.request_id ? h("p", { class: "muted" }, "Request id: ", h("code", {}, p.request_id)) : null);
}

/** page replaces the main region, titles the document and moves focus to
 * the new heading so that keyboard and screen-reader users land there. */
export function page(title, ...children) {
  clear(main);
  document.title = title + " · Content Factory";
  const heading = h("h1", { tabindex: "-1" }, title);
  main.append(heading, ...children);
  heading.focus({ preventScroll: false });
  return heading;
}

