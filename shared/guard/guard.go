// Package guard screens what crosses the trust boundary around the model.
//
// Input: Detector scores the untrusted text of a request (topic, source
// text, audience, image style, speakers' names and roles) for well-known
// prompt-injection patterns (OWASP LLM01): instructions to ignore or
// override earlier instructions, persona switches, requests for the system
// prompt, exfiltration links, forged data-block fences and chat-template
// tags, in English and ten other languages, also when hidden by homoglyphs,
// zero-width characters, l33t spelling, letter spacing, ROT13, reversal,
// base64, hex, percent or escape encoding, or split across fields. The
// score is recorded on the job and logged; it never blocks a request: the
// defences are elsewhere (see docs/security.md), and a keyword detector is
// both easy to evade and prone to flag lessons about the very topic.
//
// Output: Canary derives the per-job canary planted in every system
// instruction, and Leaked finds it in a model's answer (OWASP LLM07).
package guard

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"contentfactory.dev/factory/shared/content"
)

// Threshold is the score from which input is reported as a likely
// injection attempt (logged as a warning). Below it a score is noise: a
// lesson about LLMs mentions system prompts, source notes link to images.
const Threshold = 0.3

// Field is one piece of untrusted text and the name of the request field
// it came from.
type Field struct {
	Name string
	Text string
}

// Result is the verdict on a request's text.
type Result struct {
	// Score is in [0, 1]: 0 when no signal was seen; signals combine as
	// independent evidence, 1 − Π(1 − weight).
	Score float64
	// Signals are "<signal>:<field>", sorted, such as "override:topic" or
	// "encoded_base64:source_text"; a signal seen only across fields is
	// "<signal>:fields" with "split_payload:fields".
	Signals []string
}

// Detector scores untrusted text. The zero value is ready to use.
type Detector struct {
	// KnownHosts are hosts (and their subdomains) whose links with query
	// strings are not suspicious; nil means DefaultKnownHosts.
	KnownHosts []string
}

// DefaultKnownHosts are reference sites source notes commonly link to.
var DefaultKnownHosts = []string{
	"wikipedia.org", "wikimedia.org", "wiktionary.org", "doi.org", "arxiv.org", "github.com",
	"youtube.com", "youtu.be", "google.com", "britannica.com", "khanacademy.org", "nih.gov",
	"who.int", "europa.eu", "un.org", "nasa.gov", "noaa.gov",
}

// maxDepth bounds how often decoded text is decoded again.
const maxDepth = 2

// Screen scores a request's untrusted fields with the default detector;
// it has the shape of pipeline.JobsConfig.Screen.
func Screen(req *content.Request) (float64, []string) {
	r := Detector{}.Request(req)
	return r.Score, r.Signals
}

// ScreenSource scores the text read from one source of a job (its title
// and extracted text) with the default detector; the sources step records
// it per source.
func ScreenSource(field, text string) content.Risk {
	r := Detector{}.Score(Field{Name: field, Text: text})
	signals := r.Signals
	if signals == nil {
		signals = []string{}
	}
	return content.Risk{Score: r.Score, Signals: signals}
}

// Fields lists a request's untrusted text fields, in the order the
// prompts show them, leaving out the values the service itself filled in
// (content.ApplyDefaults). Of its sources, the texts and titles are known
// at submission; what uploads and links hold is screened when the sources
// step reads it (ScreenSource).
func Fields(req *content.Request) []Field {
	if req == nil {
		return nil
	}
	fs := []Field{{"topic", req.Topic}}
	if req.Audience != content.DefaultAudience {
		fs = append(fs, Field{"audience", req.Audience})
	}
	if req.Podcast != nil && !slices.Equal(req.Podcast.Speakers, content.DefaultSpeakers) {
		for _, s := range req.Podcast.Speakers {
			fs = append(fs, Field{"speakers", s.Name}, Field{"speakers", s.Role})
		}
	}
	if req.Image != nil && req.Image.Style != content.DefaultStyle {
		fs = append(fs, Field{"image_style", req.Image.Style})
	}
	fs = append(fs, Field{"source_text", req.SourceText})
	for i, src := range req.Sources {
		name := fmt.Sprintf("sources[%d]", i)
		if src.Title != "" {
			fs = append(fs, Field{name + ".title", src.Title})
		}
		if src.Text != "" {
			fs = append(fs, Field{name + ".text", src.Text})
		}
	}
	return fs
}

// Request scores a request's untrusted fields.
func (d Detector) Request(req *content.Request) Result { return d.Score(Fields(req)...) }

// Score scores fields, each on its own and joined, to find a payload
// split across fields: every ordered pair of fields (the end of one and
// the start of the other) and all of them in the order given.
func (d Detector) Score(fields ...Field) Result {
	hits := map[string]float64{} // "signal:field" → weight
	seen := map[string]bool{}    // signals seen in some single field
	var parts []string
	for _, f := range fields {
		if strings.TrimSpace(f.Text) == "" {
			continue
		}
		parts = append(parts, f.Text)
		for sig, w := range d.scan(f.Text, 0) {
			add(hits, sig+":"+f.Name, w)
			seen[sig] = true
		}
	}
	if len(parts) < 2 {
		return result(hits)
	}
	// A payload split over fields reads whole when they are joined, with
	// a space or, when split inside a word, without one: each field with
	// the next, each with the last (the source text, which the prompt
	// shows after the others), and all of them in order.
	joins := map[string]bool{}
	pair := func(a, b string) {
		joins[tail(a)+" "+head(b)] = true
		joins[tail(a)+head(b)] = true
	}
	last := len(parts) - 1
	for i := range last {
		pair(parts[i], parts[i+1])
		if i+1 != last {
			pair(parts[i], parts[last])
		}
	}
	all := make([]string, len(parts))
	for i, p := range parts {
		all[i] = ends(p)
	}
	joins[strings.Join(all, " ")] = true
	joins[strings.Join(all, "")] = true
	for j := range joins {
		for sig, w := range d.scanJoined(j) {
			if !seen[sig] && ruleSignal(sig) {
				add(hits, sig+":fields", w)
				add(hits, SigSplit+":fields", signalWeight[SigSplit])
			}
		}
	}
	return result(hits)
}

// scanJoined scans joined fields: the plain and the respelled views, not
// the encodings (a payload would not be encoded across fields).
func (d Detector) scanJoined(text string) map[string]float64 {
	cased := plain(text)
	p := strings.ToLower(cased)
	out := matchRules(p, cased, false)
	lat := latin(p)
	for _, v := range []string{lat, leet(lat), despace(lat)} {
		if v != p {
			for s, w := range matchRules(v, "", false) {
				out[s] = max(out[s], w)
			}
		}
	}
	return out
}

// splitWindow is how much of a field's start and end a split payload is
// looked for in, in bytes.
const splitWindow = 240

func head(s string) string {
	if len(s) <= splitWindow {
		return s
	}
	return strings.ToValidUTF8(s[:splitWindow], "")
}

func tail(s string) string {
	if len(s) <= splitWindow {
		return s
	}
	return strings.ToValidUTF8(s[len(s)-splitWindow:], "")
}

// ends is a field cut to its start and end.
func ends(s string) string {
	if len(s) <= 2*splitWindow {
		return s
	}
	return head(s) + "\n" + tail(s)
}

func add(m map[string]float64, k string, w float64) { m[k] = max(m[k], w) }

// ruleSignal reports whether a signal says what an instruction asks for
// (not how it was hidden).
func ruleSignal(sig string) bool {
	_, transform := signalWeight[sig]
	return !transform
}

func result(hits map[string]float64) Result {
	bySignal := map[string]float64{}
	r := Result{Signals: make([]string, 0, len(hits))}
	for k, w := range hits {
		r.Signals = append(r.Signals, k)
		sig, _, _ := strings.Cut(k, ":")
		bySignal[sig] = max(bySignal[sig], w)
	}
	slices.Sort(r.Signals)
	keep := 1.0
	for _, w := range bySignal {
		keep *= 1 - w
	}
	r.Score = math.Round((1-keep)*1000) / 1000
	return r
}

// scan returns the signals of one text and their weights.
func (d Detector) scan(text string, depth int) map[string]float64 {
	out := map[string]float64{}
	cased := plain(text)
	p := strings.ToLower(cased)
	base := matchRules(p, cased, false)
	for s, w := range base {
		add(out, s, w)
	}
	d.links(p, out)

	// Views that undo spelling tricks: a rule that matches only there
	// says the text was disguised.
	if zeroWidthInWord(text) {
		add(out, SigZeroWidth, signalWeight[SigZeroWidth])
	}
	lat := latin(p)
	if lat != p {
		add(out, SigHomoglyphs, signalWeight[SigHomoglyphs])
	}
	scanned := map[string]bool{p: true}
	for _, v := range []string{lat, leet(lat), despace(lat), despace(leet(lat))} {
		if scanned[v] {
			continue
		}
		scanned[v] = true
		for s, w := range matchRules(v, "", false) {
			if _, ok := base[s]; !ok {
				add(out, s, w)
				add(out, SigObfuscated, signalWeight[SigObfuscated])
			}
		}
	}
	if sq := squeezed(lat); sq != "" {
		for s, w := range matchSet(compactRules(), compactAnchors(), sq, "", false) {
			if _, ok := base[s]; !ok {
				add(out, s, w)
				add(out, SigObfuscated, signalWeight[SigObfuscated])
			}
		}
	}
	for _, tv := range []struct{ view, sig string }{{rot13(lat), SigROT13}, {reverse(lat), SigReversed}} {
		for s, w := range matchRules(tv.view, "", true) {
			if _, ok := base[s]; !ok {
				add(out, s, w)
				add(out, tv.sig, signalWeight[tv.sig])
			}
		}
	}

	// Encoded pieces are decoded and scanned like the text itself.
	if depth < maxDepth {
		for _, b := range decodeBlobs(cased) {
			inner := d.scan(b.text, depth+1)
			found := false
			for s, w := range inner {
				if ruleSignal(s) {
					found = true
				}
				add(out, s, w)
			}
			if found {
				sig := map[string]string{"base64": SigBase64, "hex": SigHex, "url": SigURLEncoded, "escape": SigEscapes}[b.encoding]
				add(out, sig, signalWeight[sig])
			}
		}
	}
	return out
}

// matchRules runs the rules on a lower-cased view, and the cased ones on
// the view as written (if given); englishOnly keeps to the English rules.
func matchRules(lower, cased string, englishOnly bool) map[string]float64 {
	return matchSet(rules(), rulesAnchors(), lower, cased, englishOnly)
}

// matchSet runs a set of rules, whose anchors idx indexes, on the views.
func matchSet(set []rule, idx *anchorSet, lower, cased string, englishOnly bool) map[string]float64 {
	out := map[string]float64{}
	var lowerHits, casedHits [][]int
	for i := range set {
		r := &set[i]
		if (englishOnly && !r.english) || out[r.signal] >= r.weight {
			continue
		}
		view, hits := lower, &lowerHits
		if r.cased {
			if cased == "" {
				continue
			}
			view, hits = cased, &casedHits
		}
		if *hits == nil {
			*hits = idx.find(view)
		}
		if r.matchNear(view, *hits, idx.ids[i]) {
			out[r.signal] = r.weight
		}
	}
	return out
}

// zeroWidthInWord reports invisible format characters between two
// letters of the Latin, Cyrillic or Greek scripts, where no writing
// system needs them (Arabic, Persian and Indic scripts, and emoji
// sequences, do use zero-width joiners).
func zeroWidthInWord(s string) bool {
	rs := []rune(s)
	for i := 1; i < len(rs)-1; i++ {
		if !unicode.Is(unicode.Cf, rs[i]) {
			continue
		}
		j := i + 1
		for j < len(rs)-1 && unicode.Is(unicode.Cf, rs[j]) {
			j++
		}
		if alphabetic(rs[i-1]) && alphabetic(rs[j]) {
			return true
		}
	}
	return false
}

func alphabetic(r rune) bool {
	return unicode.In(r, unicode.Latin, unicode.Cyrillic, unicode.Greek) || unicode.IsDigit(r)
}

var (
	markdownLink = regexp.MustCompile(`(!?)\[[^\]\n]{0,300}\]\(\s*<?((?:https?:)?//[^)\s>]+)`)
	rawURL       = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"')\]]+`)
	placeholder  = regexp.MustCompile(`(?i)[{}<>\[\]$]|%7b|%7d|%3c|%24|\b(?:secrets?|prompt|canary|instructions?|passwords?|api_?key)\b`)
)

// links finds links that could carry data out when the text is rendered:
// Markdown images (a client fetches them without a click) and links with
// query strings to hosts that are not known reference sites, and query
// values that are placeholders for data ("?q={SECRET}").
func (d Detector) links(s string, out map[string]float64) {
	for _, m := range markdownLink.FindAllStringSubmatch(s, 64) {
		u, err := url.Parse(strings.TrimSuffix(m[2], ">"))
		if err != nil {
			continue
		}
		known := d.known(u.Hostname())
		switch {
		case u.RawQuery != "" && placeholder.MatchString(u.RawQuery):
			add(out, SigExfiltration, 0.6)
		case m[1] == "!" && u.RawQuery != "" && !known:
			add(out, SigExfiltration, 0.6)
		case u.RawQuery != "" && !known:
			add(out, SigLinkQuery, 0.2)
		}
	}
	for _, m := range rawURL.FindAllString(s, 64) {
		u, err := url.Parse(m)
		if err != nil || u.RawQuery == "" {
			continue
		}
		if q, err := url.QueryUnescape(u.RawQuery); err == nil && placeholder.MatchString(q) && !d.known(u.Hostname()) {
			add(out, SigExfiltration, 0.6)
		}
	}
}

func (d Detector) known(host string) bool {
	hosts := d.KnownHosts
	if hosts == nil {
		hosts = DefaultKnownHosts
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range hosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			return true
		}
	}
	return false
}

// String formats a result for a log line.
func (r Result) String() string {
	return strconv.FormatFloat(r.Score, 'f', 3, 64) + " " + strings.Join(r.Signals, ",")
}
