// Small DOM helpers. Text from the API is always set as text, never as
// markup.

/** h makes an element: h("a", {href: "#/"}, "text", child, ...). Attributes
 * named on* are not accepted (no inline handlers); "class" sets className. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** clear empties an element. */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/** announce says something to screen readers, politely. */
export function announce(text) {
  const el = document.getElementById("announce");
  el.textContent = "";
  // A change after a tick is announced even when the text repeats.
  setTimeout(() => { el.textContent = text; }, 50);
}

/** paragraphs renders plain text with blank-line paragraphs and a small,
 * safe subset of Markdown: # headings, - or * lists. */
export function paragraphs(text, headingLevel = 3) {
  const out = [];
  let list = null;
  for (const block of String(text || "").split(/\n{2,}/)) {
    for (const line of block.split("\n")) {
      const t = line.trim();
      if (!t) continue;
      const heading = /^(#{1,6})\s+(.*)$/.exec(t);
      const item = /^[-*]\s+(.*)$/.exec(t);
      if (item) {
        if (!list) { list = h("ul"); out.push(list); }
        list.append(h("li", {}, inline(item[1])));
        continue;
      }
      list = null;
      if (heading) {
        const level = Math.min(6, headingLevel + heading[1].length - 1);
        out.push(h("h" + level, {}, inline(heading[2])));
      } else {
        out.push(h("p", {}, inline(t)));
      }
    }
    list = null;
  }
  return out;
}

/** inline turns **bold** and *emphasis* into elements; the rest stays text. */
function inline(text) {
  const parts = [];
  const re = /\*\*([^*]+)\*\*|\*([^*]+)\*/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    parts.push(text.slice(last, m.index));
    parts.push(m[1] ? h("strong", {}, m[1]) : h("em", {}, m[2]));
    last = re.lastIndex;
  }
  parts.push(text.slice(last));
  return parts;
}

/** bytes says a size for people. */
export function bytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
  return (n / 1024 / 1024).toFixed(1) + " MB";
}

/** when says a time for people, in their locale. */
export function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}
