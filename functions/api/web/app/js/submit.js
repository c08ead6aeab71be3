// The submission form: every field of the request (components.schemas.Request).
import { submit } from "./api.js";
import { h, clear, announce } from "./dom.js";
import { FORMATS } from "./formats.js";
import { page, problemBox } from "./ui.js";

const ALWAYS = new Set(["package"]); // made for every job: shown checked, not sent
const RATIOS = ["16:9", "1:1", "3:2", "2:3", "4:3", "3:4", "9:16", "21:9"];
// The podcast's styles (components.schemas.PodcastOptions.style).
const PODCAST_STYLES = [
  ["deep_dive", "Deep dive: the sections explained in depth"],
  ["brief", "Brief: the essentials in 1 to 2 minutes"],
  ["critique", "Critique: assumptions, weaknesses, counterarguments"],
  ["debate", "Debate: for and against"],
];

function field(id, labelText, control, help) {
  control.id = id;
  control.name = id;
  const helpEl = help ? h("p", { class: "help", id: id + "-help" }, help) : null;
  if (helpEl) control.setAttribute("aria-describedby", id + "-help");
  return h("div", { class: "field", dataset: { field: id } }, h("label", { for: id }, labelText), control, helpEl);
}

function speakerRow(list, name = "", role = "") {
  const n = list.children.length + 1;
  const row = h("li", { class: "speaker" },
    h("label", {}, `Speaker ${n} name `, h("input", { type: "text", value: name, maxlength: 40, class: "speaker-name", autocomplete: "off" })),
    h("label", {}, `Speaker ${n} role `, h("input", { type: "text", value: role, maxlength: 80, class: "speaker-role", autocomplete: "off" })));
  list.append(row);
}

export function submitView() {
  const topic = h("input", { type: "text", required: true, minlength: 3, maxlength: 200, autocomplete: "off" });
  const source = h("textarea", { rows: 8, maxlength: 100000 });
  const file = h("input", { type: "file", accept: ".txt,.md,.markdown,.csv,text/plain,text/markdown" });
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    source.value = await f.text();
    announce(`Read ${f.name} into the source text.`);
  });
  const formats = h("fieldset", { class: "formats" }, h("legend", {}, "Formats"),
    h("p", { class: "help", id: "formats-help" }, "What to make. Each format pulls in what it is made from; the package of bundles is always made."),
    h("div", { class: "checks" }, FORMATS.map(([value, text]) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "formats", value, checked: true, disabled: ALWAYS.has(value), "aria-describedby": "formats-help" }),
      " ", text))));
  const audience = h("input", { type: "text", maxlength: 200, placeholder: "general audience", autocomplete: "off" });
  const level = h("select", {}, ["beginner", "intermediate", "advanced"].map((l) => h("option", { value: l, selected: l === "intermediate" }, l)));
  const language = h("input", { type: "text", value: "en-US", autocomplete: "off", spellcheck: false });
  const speakers = h("ol", { class: "speakers" });
  speakerRow(speakers, "Ada", "host");
  speakerRow(speakers, "Ben", "expert");
  const addSpeaker = h("button", { type: "button" }, "Add a speaker");
  const removeSpeaker = h("button", { type: "button" }, "Remove the last speaker");
  const syncSpeakerButtons = () => {
    addSpeaker.disabled = speakers.children.length >= 4;
    removeSpeaker.disabled = speakers.children.length <= 2;
  };
  addSpeaker.addEventListener("click", () => { speakerRow(speakers); syncSpeakerButtons(); speakers.lastChild.querySelector("input").focus(); });
  removeSpeaker.addEventListener("click", () => { speakers.lastChild.remove(); syncSpeakerButtons(); });
  syncSpeakerButtons();
  const minutes = h("input", { type: "number", min: 1, max: 30, value: 5, inputmode: "numeric" });
  const podcastStyle = h("select", {}, PODCAST_STYLES.map(([value, text]) => h("option", { value, selected: value === "deep_dive" }, text)));
  const style = h("input", { type: "text", maxlength: 200, placeholder: "for example: watercolour, minimal", autocomplete: "off" });
  const ratio = h("select", {}, RATIOS.map((r) => h("option", { value: r }, r)));
  const callback = h("input", { type: "url", placeholder: "https://…", autocomplete: "off" });
  const errors = h("div", { id: "submit-errors" });
  const send = h("button", { type: "submit", class: "primary" }, "Submit");
  const form = h("form", { class: "card", novalidate: true },
    field("topic", "Topic", topic, "3 to 200 characters, such as “Photosynthesis”."),
    h("fieldset", {}, h("legend", {}, "Source (optional)"),
      field("source_text", "Paste text", source, "Notes, a syllabus or an article, up to 100,000 characters."),
      field("source_file", "Or read a text file", file)),
    formats,
    h("div", { class: "row" },
      field("audience", "Audience", audience),
      field("level", "Level", level),
      field("language", "Language", language, "A BCP 47 tag, such as en-US or fr-FR.")),
    h("fieldset", {}, h("legend", {}, "Podcast"),
      speakers, h("div", { class: "actions" }, addSpeaker, removeSpeaker),
      h("div", { class: "row" },
        field("podcast_style", "Style", podcastStyle, "A brief lasts 1 to 2 minutes whatever the length says."),
        field("target_minutes", "Length in minutes", minutes, "1 to 30."))),
    h("fieldset", {}, h("legend", {}, "Cover image"),
      h("div", { class: "row" }, field("image_style", "Style", style), field("aspect_ratio", "Aspect ratio", ratio))),
    field("callback_url", "Callback URL (optional)", callback, "An https address called with a signed event when the job ends."),
    errors,
    send);

  let key = crypto.randomUUID(); // one submission, however often it is retried
  form.addEventListener("input", () => { key = crypto.randomUUID(); });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clear(errors);
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    form.querySelectorAll(".field-error").forEach((el) => el.remove());
    const req = { topic: topic.value };
    if (source.value.trim()) req.source_text = source.value;
    req.formats = [...form.querySelectorAll('input[name="formats"]:checked:not(:disabled)')].map((c) => c.value);
    if (audience.value.trim()) req.audience = audience.value;
    req.level = level.value;
    if (language.value.trim()) req.language = language.value.trim();
    req.podcast = {
      speakers: [...speakers.children].map((li) => ({ name: li.querySelector(".speaker-name").value, role: li.querySelector(".speaker-role").value })),
      target_minutes: Number(minutes.value),
      style: podcastStyle.value,
    };
    req.image = { aspect_ratio: ratio.value };
    if (style.value.trim()) req.image.style = style.value;
    if (callback.value.trim()) req.callback_url = callback.value.trim();
    send.disabled = true;
    send.textContent = "Submitting…";
    try {
      const job = await submit(req, key);
      announce("Submitted. Following the job.");
      location.hash = "#/jobs/" + encodeURIComponent(job.id);
    } catch (err) {
      errors.append(problemBox(err));
      markFields(form, err);
      send.disabled = false;
      send.textContent = "Submit";
    }
  });
  page("New job", h("p", { class: "lead" }, "Give a topic and, if you like, a source. Every field but the topic has a default."), form);
}

/** markFields marks the controls the API named in its field errors. */
function markFields(form, err) {
  const errs = (err.problem && err.problem.errors) || [];
  let first = null;
  for (const fe of errs) {
    const name = fe.field.replace(/\[\d+\].*$/, "").replace(/^podcast\.speakers.*/, "").replace(/^podcast\.style$/, "podcast_style").replace(/^podcast\./, "").replace(/^image\.style$/, "image_style").replace(/^image\./, "");
    const wrap = form.querySelector(`[data-field="${CSS.escape(name)}"]`) || (fe.field.startsWith("formats") ? form.querySelector(".formats") : null);
    if (!wrap) continue;
    const control = wrap.querySelector("input, select, textarea");
    const msg = h("p", { class: "field-error", id: "err-" + name }, fe.message);
    wrap.append(msg);
    if (control) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", [control.getAttribute("aria-describedby"), msg.id].filter(Boolean).join(" "));
      first = first || control;
    }
  }
  (first || form.querySelector("#submit-errors")).focus?.();
}
