// Readers for every format a job makes, as tabs: each loads its artifact
// (through the API's redirect to a signed URL) when first shown.
import { artifact, signedURL } from "./api.js";
import { h, clear, paragraphs } from "./dom.js";
import { problemBox } from "./ui.js";

async function json(a) {
  const resp = await artifact(a.url);
  return resp.json();
}

// The documents' text is marked with the job's language and its own
// direction (dir="auto": an Arabic or Hebrew line reads right to left, a
// Latin term inside it keeps its order); the page's own labels stay
// English. t makes an element of document text, l a list of it, p its
// paragraphs.
function texts(lang) {
  const mark = { lang: lang || null, dir: "auto" };
  const t = (tag, attrs, ...children) => h(tag, { ...attrs, ...mark }, ...children);
  const l = (items, tag = "ul") => h(tag, {}, items.map((x) => t("li", {}, x)));
  const p = (text, level) => paragraphs(text, level).map((el) => {
    el.lang = mark.lang || "";
    el.dir = "auto";
    return el;
  });
  return { t, l, p };
}

const READERS = [
  ["outline", "Outline", ["outline.json"], async ([a], lang) => {
    const d = await json(a);
    const { t, l, p } = texts(lang);
    return [t("h3", {}, d.title), ...p(d.overview),
      h("h4", {}, "Learning objectives"), l(d.learning_objectives),
      h("h4", {}, "Sections"),
      h("ol", { class: "outline" }, d.sections.map((s) => h("li", {},
        t("strong", {}, s.title), ` (${s.minutes} min)`, t("p", {}, s.description), l(s.key_points)))),
      h("p", { class: "muted" }, "For ", t("span", {}, d.audience), `, ${d.level}.`)];
  }],
  ["study_guide", "Study guide", ["study_guide.json"], async ([a], lang) => {
    const d = await json(a);
    const { t, l, p } = texts(lang);
    return [t("h3", {}, d.title), ...p(d.overview),
      h("h4", {}, "Key concepts"),
      h("dl", { class: "concepts" }, d.key_concepts.flatMap((c) => [t("dt", {}, c.term), t("dd", {}, c.explanation)])),
      h("h4", {}, "In detail"), ...p(d.detailed_content, 5),
      h("h4", {}, "Summary"), ...p(d.summary),
      d.further_reading.length ? [h("h4", {}, "Further reading"), l(d.further_reading)] : null];
  }],
  ["one_pager", "One-pager", ["one_pager.json"], async ([a], lang) => {
    const d = await json(a);
    const { t, l, p } = texts(lang);
    return [t("h3", {}, d.title), t("p", { class: "lead" }, d.executive_summary),
      h("h4", {}, "Key takeaways"), l(d.key_takeaways.map((k) => k.text)), ...p(d.main_content, 4)];
  }],
  ["detailed_reading", "Detailed reading", ["detailed_reading.json"], async ([a], lang) => {
    const d = await json(a);
    const { t, l, p } = texts(lang);
    return [t("h3", {}, d.title), ...p(d.introduction),
      d.sections.map((s) => [t("h4", {}, s.title), ...s.paragraphs.flatMap((x) => p(x.text, 5))]),
      h("h4", {}, "Conclusion"), ...p(d.conclusion),
      d.references.length ? [h("h4", {}, "References"), l(d.references)] : null];
  }],
  ["faqs", "FAQs", ["faqs.json"], async ([a], lang) => {
    const d = await json(a);
    const { t, p } = texts(lang);
    const byCategory = new Map();
    for (const f of d.faqs) {
      if (!byCategory.has(f.category)) byCategory.set(f.category, []);
      byCategory.get(f.category).push(f);
    }
    return [t("h3", {}, d.title), [...byCategory].map(([cat, faqs]) => [t("h4", {}, cat),
      faqs.map((f) => h("details", { class: "faq" }, t("summary", {}, f.question), ...p(f.answer)))])];
  }],
  ["flashcards", "Flashcards", ["flashcards.json"], async ([a], lang) => {
    const d = await json(a);
    const { t } = texts(lang);
    return [t("h3", {}, d.title), h("p", { class: "help" }, "Select a card (or press Enter or Space on it) to turn it over."),
      h("ul", { class: "cards" }, d.cards.map((c, i) => h("li", {}, flashcard(c, i + 1, d.cards.length, t))))];
  }],
  ["reading_guide", "Reading guide", ["reading_guide.json"], async ([a], lang) => {
    const d = await json(a);
    const { t } = texts(lang);
    return [t("h3", {}, d.title), h("ol", {}, d.questions.map((q) => h("li", {}, t("span", {}, q.question), " ", h("span", { class: "muted" }, "— ", t("span", {}, q.section)))))];
  }],
  ["quiz", "Quiz", ["quiz.json"], async ([a], lang) => {
    const d = await json(a);
    const { t } = texts(lang);
    return [t("h3", {}, d.title), h("p", { class: "help" }, "Choose your answer, then open “Show the answer” to check it."),
      h("ol", { class: "quiz" }, d.questions.map((q) => h("li", { class: "question" },
        h("p", {}, t("strong", {}, q.question), " ", h("span", { class: "muted" }, "(", q.difficulty, ")")),
        h("ol", { type: "A", class: "options" }, q.options.map((o) => t("li", {}, o.text))),
        h("details", { class: "answer" }, h("summary", {}, "Show the answer"),
          h("p", {}, h("strong", {}, q.answer, ". ", t("span", {}, (q.options["ABCD".indexOf(q.answer)] || {}).text || ""))),
          t("p", {}, q.explanation),
          h("p", { class: "muted" }, "Checks: ", t("span", {}, q.objective)))))),
    ];
  }],
  ["timeline", "Timeline", ["timeline.json"], async ([a], lang) => {
    const d = await json(a);
    const { t } = texts(lang);
    return [t("h3", {}, d.title), h("ol", { class: "timeline" }, d.events.map((e) => h("li", {},
      h("strong", { class: "date" }, eventDate(e.date)), " ", t("strong", {}, e.title), t("p", {}, e.description))))];
  }],
  ["podcast", "Podcast", ["podcast.mp3", "transcript.vtt", "podcast_script.json"], podcast],
  ["cover", "Cover", ["cover.png|cover.jpg", "cover.json"], async ([img, info], lang) => {
    const [url, d] = await Promise.all([signedURL(img.url), info ? json(info) : {}]);
    const alt = d.alt_text || "The job's cover image";
    const { t } = texts(d.alt_text ? lang : "en");
    return [h("figure", { class: "cover" }, h("img", { src: url, alt, width: d.width, height: d.height }), t("figcaption", {}, alt))];
  }],
];

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

// datePoint writes a date as the bundles do: "1914", "July 1914",
// "28 July 1914", "44 BCE".
function datePoint(p) {
  const parts = [];
  if (p.day && p.month) parts.push(String(p.day));
  if (p.month) parts.push(MONTHS[p.month - 1]);
  parts.push(String(p.year) + (p.bce ? " BCE" : ""));
  return parts.join(" ");
}

/** eventDate writes a timeline event's date, a range with an en dash. */
export function eventDate(d) {
  return d.end ? datePoint(d) + "–" + datePoint(d.end) : datePoint(d);
}

function flashcard(c, n, total, t) {
  // The visible text is the accessible name: "Card 3 of 20, hard.
  // Question … Answer …" with one face shown; aria-pressed tells which.
  const front = h("span", { class: "face front" }, h("span", { class: "side" }, "Question"), t("span", {}, c.front));
  const back = h("span", { class: "face back" }, h("span", { class: "side" }, "Answer"), t("span", {}, c.back));
  const card = h("button", { type: "button", class: "flashcard difficulty-" + c.difficulty, "aria-pressed": "false" },
    h("span", { class: "card-meta" }, `Card ${n} of ${total}, ${c.difficulty}`), front, back);
  card.addEventListener("click", () => {
    card.setAttribute("aria-pressed", String(card.getAttribute("aria-pressed") !== "true"));
  });
  return card;
}

async function podcast([audio, vtt, script], lang) {
  const { t } = texts(lang);
  const out = [];
  let player = null;
  if (audio) {
    player = h("audio", { controls: true, preload: "metadata", src: await signedURL(audio.url), id: "podcast-audio" });
    out.push(h("p", {}, player));
  }
  if (vtt) {
    const cues = parseVTT(await (await artifact(vtt.url)).text());
    const items = cues.map((c) => {
      const li = h("li", { class: "cue" }, h("button", { type: "button", class: "linkish cue-time", "aria-label": `Play from ${clock(c.start)}` }, clock(c.start)),
        " ", t("strong", {}, c.speaker), ": ", t("span", {}, c.text));
      li.querySelector("button").addEventListener("click", () => { if (player) { player.currentTime = c.start; player.play(); } });
      return li;
    });
    const transcript = h("ol", { class: "transcript", "aria-label": "Transcript" }, items);
    out.push(h("h3", {}, "Transcript"), h("p", { class: "help" }, "The line being spoken is highlighted as the podcast plays; select a time to play from there."), transcript);
    if (player) {
      let current = -1;
      player.addEventListener("timeupdate", () => {
        const t = player.currentTime;
        const i = cues.findIndex((c) => t >= c.start && t < c.end);
        if (i === current) return;
        if (current >= 0) { items[current].classList.remove("speaking"); items[current].removeAttribute("aria-current"); }
        current = i;
        if (i >= 0) {
          items[i].classList.add("speaking");
          items[i].setAttribute("aria-current", "true");
          items[i].scrollIntoView({ block: "nearest" });
        }
      });
    }
  } else if (script) {
    const d = await json(script);
    out.push(t("h3", {}, d.title), t("p", {}, d.intro), h("ol", { class: "transcript" }, d.turns.map((x) => h("li", {}, t("strong", {}, x.speaker), ": ", t("span", {}, x.text)))), t("p", {}, d.outro));
  }
  return out;
}

/** parseVTT reads the cues of a WebVTT file: start and end in seconds,
 * the voice and the text. */
export function parseVTT(text) {
  const cues = [];
  const time = (s) => s.split(":").reduce((acc, p) => acc * 60 + Number(p), 0);
  for (const block of text.replace(/\r/g, "").split(/\n\n+/)) {
    const lines = block.split("\n");
    const i = lines.findIndex((l) => l.includes("-->"));
    if (i < 0) continue;
    const [start, end] = lines[i].split("-->").map((s) => time(s.trim().split(" ")[0]));
    const body = lines.slice(i + 1).join(" ");
    const voice = /^<v ([^>]*)>(.*)$/.exec(body);
    const unescape = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    cues.push({ start, end, speaker: voice ? unescape(voice[1]) : "", text: unescape(voice ? voice[2] : body) });
  }
  return cues;
}

function clock(sec) {
  const m = Math.floor(sec / 60);
  const s = Math.floor(sec % 60);
  return `${m}:${String(s).padStart(2, "0")}`;
}

/** readers returns the tabs of the formats a job made. */
export function readers(job) {
  const find = (names) => names.split("|").map((n) => job.artifacts.find((a) => a.name === n)).find(Boolean);
  const available = READERS.map(([key, title, names, show]) => [key, title, names.map(find), show])
    .filter(([key, , arts]) => (key === "podcast" ? arts.some(Boolean) : arts[0]));
  if (!available.length) return h("p", {}, "Nothing to read yet.");
  const tablist = h("div", { role: "tablist", "aria-label": "Formats", class: "tabs" });
  const panels = h("div");
  const tabs = available.map(([key, title, arts, show], i) => {
    const tab = h("button", { type: "button", role: "tab", id: "tab-" + key, "aria-controls": "panel-" + key, "aria-selected": "false", tabindex: "-1" }, title);
    const panel = h("div", { role: "tabpanel", id: "panel-" + key, "aria-labelledby": "tab-" + key, tabindex: "0", hidden: true, class: "panel" });
    let loaded = false;
    const open = async () => {
      if (loaded) return;
      loaded = true;
      panel.append(h("p", { class: "muted" }, "Loading…"));
      try {
        const content = await show(arts, job.language);
        clear(panel).append(...[content].flat(Infinity).filter(Boolean));
      } catch (err) {
        loaded = false;
        clear(panel).append(problemBox(err));
      }
    };
    tablist.append(tab);
    panels.append(panel);
    return { tab, panel, open };
  });
  const select = (i, focus) => {
    tabs.forEach((t, j) => {
      t.tab.setAttribute("aria-selected", String(i === j));
      t.tab.tabIndex = i === j ? 0 : -1;
      t.panel.hidden = i !== j;
    });
    tabs[i].open();
    if (focus) tabs[i].tab.focus();
  };
  tabs.forEach((t, i) => {
    t.tab.addEventListener("click", () => select(i, false));
    t.tab.addEventListener("keydown", (e) => {
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[e.key];
      if (to === undefined) return;
      e.preventDefault();
      select((to + tabs.length) % tabs.length, true);
    });
  });
  select(0, false);
  return h("div", { class: "readers" }, tablist, panels);
}
