package content

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// Limits of a request, in characters after normalization.
const (
	MinTopicLen = 3
	MaxTopicLen = 200
	// MaxSourceLen bounds source_text and each text source.
	MaxSourceLen     = 100_000
	MaxAudienceLen   = 200
	MaxStyleLen      = 200
	MinSpeakers      = 2
	MaxSpeakers      = 4
	MaxSpeakerName   = 40
	MaxSpeakerRole   = 80
	MinTargetMinutes = 1
	MaxTargetMinutes = 30
)

// Levels a request may ask for.
var Levels = []string{"beginner", "intermediate", "advanced"}

// AspectRatios a cover image may have.
var AspectRatios = []string{"1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "9:16", "21:9"}

// Request is what a caller asks a job to produce.
type Request struct {
	Topic string `json:"topic" firestore:"topic"`
	// SourceText is a shorthand for one text source, read before Sources.
	SourceText string `json:"source_text,omitempty" firestore:"source_text,omitempty"`
	// Sources are what the material is based on: texts, uploaded files
	// and web links (see Source).
	Sources []Source `json:"sources,omitempty" firestore:"sources,omitempty"`
	Formats []Format `json:"formats,omitempty" firestore:"formats"`
	// Exports choose the files the documents are rendered into (all of
	// them when left out).
	Exports  []Export        `json:"exports,omitempty" firestore:"exports,omitempty"`
	Audience string          `json:"audience,omitempty" firestore:"audience"`
	Level    string          `json:"level,omitempty" firestore:"level"`
	Language string          `json:"language,omitempty" firestore:"language"`
	Podcast  *PodcastOptions `json:"podcast,omitempty" firestore:"podcast,omitempty"`
	Image    *ImageOptions   `json:"image,omitempty" firestore:"image,omitempty"`
	// CallbackURL, when set, is POSTed a signed job event when the job
	// ends. It must be https and must not point into private networks.
	CallbackURL string `json:"callback_url,omitempty" firestore:"callback_url,omitempty"`
	// Review, when "outline", pauses the job once its outline is made
	// until it is approved (the outline may be edited meanwhile).
	Review string `json:"review,omitempty" firestore:"review,omitempty"`
	// Cache, when false, never fills the job from an earlier job's
	// result; by default the same request answered before is.
	Cache *bool `json:"cache,omitempty" firestore:"cache,omitempty"`
}

// Reviews are the steps a job may pause after for review.
var Reviews = []string{string(FormatOutline)}

// Cached reports whether the request may be answered from the result
// cache (the default).
func (r *Request) Cached() bool { return r.Cache == nil || *r.Cache }

// PodcastOptions shape the podcast script and audio.
type PodcastOptions struct {
	// Style is one of PodcastStyles (DefaultPodcastStyle when left out).
	Style         string    `json:"style,omitempty" firestore:"style,omitempty"`
	Speakers      []Speaker `json:"speakers,omitempty" firestore:"speakers"`
	TargetMinutes int       `json:"target_minutes,omitempty" firestore:"target_minutes"`
}

// Speaker is a podcast voice.
type Speaker struct {
	Name string `json:"name" firestore:"name" len:"1-40" desc:"Speaker name."`
	Role string `json:"role" firestore:"role" len:"1-80" desc:"Speaker role, such as host or expert."`
}

// ImageOptions shape the cover image.
type ImageOptions struct {
	Style       string `json:"style,omitempty" firestore:"style"`
	AspectRatio string `json:"aspect_ratio,omitempty" firestore:"aspect_ratio"`
}

// FieldError is one problem with one field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// InvalidError reports every problem found in a request.
type InvalidError struct {
	Errors []FieldError
}

func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Errors))
	for i, f := range e.Errors {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// DecodeError is a body that is not a request document at all.
type DecodeError struct {
	Code   string // "invalid_json" or "unknown_field"
	Detail string
}

func (e *DecodeError) Error() string { return e.Detail }

// ParseRequest decodes, normalizes, validates and completes a request
// document. It returns a *DecodeError for a body that is not a request
// document (invalid UTF-8 included: JSON is UTF-8, and text is never
// silently changed into replacement characters) and an *InvalidError
// listing every invalid field.
func ParseRequest(body []byte) (Request, error) {
	var r Request
	if err := DecodeStrict(body, &r); err != nil {
		return Request{}, err
	}
	// encoding/json turns an unpaired surrogate escape (\ud800) into
	// U+FFFD; a replacement character the body did not hold is one.
	if !bytes.Contains(body, []byte("\uFFFD")) && !hasReplacementEscape(body) && r.hasReplacement() {
		return Request{}, &DecodeError{Code: "invalid_json", Detail: "a string holds an unpaired UTF-16 surrogate escape (such as \\ud800), which is not a character"}
	}
	r.Normalize()
	if err := r.Validate(); err != nil {
		return Request{}, err
	}
	r.ApplyDefaults()
	return r, nil
}

// DecodeStrict decodes one JSON document into v, refusing unknown fields,
// a body that is not valid UTF-8 and data after the document; a failure
// is a *DecodeError.
func DecodeStrict(body []byte, v any) error {
	if i := invalidUTF8(body); i >= 0 {
		return &DecodeError{Code: "invalid_json", Detail: fmt.Sprintf("the body is not valid UTF-8: invalid byte at offset %d", i)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &DecodeError{Code: "invalid_json", Detail: "the body holds data after the JSON document"}
	}
	return nil
}

// invalidUTF8 returns the offset of the first byte of b that is not valid
// UTF-8, or -1.
func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		c, size := utf8.DecodeRune(b[i:])
		if c == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// hasReplacementEscape reports whether b escapes U+FFFD (\ufffd, in any
// case).
func hasReplacementEscape(b []byte) bool {
	return bytes.Contains(bytes.ToLower(b), []byte(`\ufffd`))
}

// hasReplacement reports whether any text of the request holds U+FFFD.
func (r *Request) hasReplacement() bool {
	texts := []string{r.Topic, r.SourceText, r.Audience, r.Level, r.Language, r.CallbackURL}
	for _, src := range r.Sources {
		texts = append(texts, src.Text, src.UploadID, src.URL, src.Title)
	}
	if r.Image != nil {
		texts = append(texts, r.Image.Style, r.Image.AspectRatio)
	}
	if r.Podcast != nil {
		texts = append(texts, r.Podcast.Style)
		for _, sp := range r.Podcast.Speakers {
			texts = append(texts, sp.Name, sp.Role)
		}
	}
	for _, f := range r.Formats {
		texts = append(texts, string(f))
	}
	for _, e := range r.Exports {
		texts = append(texts, string(e))
	}
	for _, t := range texts {
		if strings.ContainsRune(t, utf8.RuneError) {
			return true
		}
	}
	return false
}

func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &DecodeError{Code: "invalid_json", Detail: fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the document"
		}
		return &DecodeError{Code: "invalid_json", Detail: fmt.Sprintf("%s must be %s, not %s", field, jsonKind(typ.Type.Kind().String()), typ.Value)}
	case errors.Is(err, io.EOF):
		return &DecodeError{Code: "invalid_json", Detail: "the body is empty"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &DecodeError{Code: "invalid_json", Detail: "the JSON document is truncated"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return &DecodeError{Code: "unknown_field", Detail: "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")}
	}
	return &DecodeError{Code: "invalid_json", Detail: err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice":
		return "an array"
	case "struct", "ptr":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	}
	return goKind
}

// Normalize puts every text field in Unicode NFC, drops control and
// bidirectional-override characters (keeping newlines and tabs in the
// source text), and trims surrounding space. Lengths are checked after it.
func (r *Request) Normalize() {
	r.Topic = CleanLine(r.Topic)
	r.SourceText = CleanText(r.SourceText)
	r.Audience = CleanLine(r.Audience)
	r.Level = strings.ToLower(CleanLine(r.Level))
	r.Language = CleanLine(r.Language)
	r.CallbackURL = CleanLine(r.CallbackURL)
	for i := range r.Sources {
		r.Sources[i].normalize()
	}
	if r.Podcast != nil {
		r.Podcast.Style = strings.ToLower(CleanLine(r.Podcast.Style))
		for i := range r.Podcast.Speakers {
			r.Podcast.Speakers[i].Name = CleanLine(r.Podcast.Speakers[i].Name)
			r.Podcast.Speakers[i].Role = CleanLine(r.Podcast.Speakers[i].Role)
		}
	}
	if r.Image != nil {
		r.Image.Style = CleanLine(r.Image.Style)
		r.Image.AspectRatio = CleanLine(r.Image.AspectRatio)
	}
	for i, f := range r.Formats {
		r.Formats[i] = Format(strings.ToLower(CleanLine(string(f))))
	}
	for i, e := range r.Exports {
		r.Exports[i] = Export(strings.ToLower(CleanLine(string(e))))
	}
}

// CleanLine normalizes one line of text: NFC, control and bidi-override
// characters removed, runs of white space collapsed, trimmed.
func CleanLine(s string) string {
	return strings.Join(strings.Fields(clean(s, false)), " ")
}

// CleanText normalizes multi-line text: NFC, control and bidi-override
// characters removed except newline and tab, CRLF turned into LF, trimmed.
func CleanText(s string) string {
	return strings.TrimSpace(clean(strings.ReplaceAll(s, "\r\n", "\n"), true))
}

// clean drops what must go, then normalizes: removing a character can
// leave a sequence that composes differently, so NFC comes last.
func clean(s string, keepLines bool) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return norm.NFC.String(strings.Map(func(r rune) rune {
		switch {
		case keepLines && (r == '\n' || r == '\t'):
			return r
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case unicode.IsControl(r), isBidiControl(r), r == '\uFEFF':
			return -1
		}
		return r
	}, s))
}

// isBidiControl reports the explicit directional formatting characters
// (embeddings, overrides, isolates and marks) used to disguise text.
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') ||
		r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// Validate reports every invalid field of a normalized request.
func (r *Request) Validate() error {
	var list fieldErrors
	add := list.add
	length := func(field, s string, lo, hi int) {
		n := utf8.RuneCountInString(s)
		switch {
		case n == 0 && lo > 0:
			add(field, "required", "is required")
		case n < lo:
			add(field, "too_short", "must be at least %d characters, is %d", lo, n)
		case n > hi:
			add(field, "too_long", "must be at most %d characters, is %d", hi, n)
		}
	}
	length("topic", r.Topic, MinTopicLen, MaxTopicLen)
	length("source_text", r.SourceText, 0, MaxSourceLen)
	list = append(list, r.validateSources()...)
	if r.Audience != "" {
		length("audience", r.Audience, 2, MaxAudienceLen)
	}
	if r.Level != "" && !slices.Contains(Levels, r.Level) {
		add("level", "invalid_value", "must be one of %s", strings.Join(Levels, ", "))
	}
	if r.Language != "" {
		if _, err := language.Parse(r.Language); err != nil || len(r.Language) > 35 {
			add("language", "invalid_value", "must be a BCP 47 language tag such as en-US")
		}
	}
	if r.Review != "" && !slices.Contains(Reviews, r.Review) {
		add("review", "invalid_value", "must be one of %s, or absent", strings.Join(Reviews, ", "))
	}
	seen := map[Format]bool{}
	content := 0
	for i, f := range r.Formats {
		field := fmt.Sprintf("formats[%d]", i)
		if _, ok := Lookup(f); !ok {
			add(field, "unknown_format", "unknown format %q; formats are %s", f, formatList())
			continue
		}
		if seen[f] {
			add(field, "duplicate", "format %q is listed twice", f)
		}
		if f == FormatSources && !r.HasSources() {
			add(field, "no_sources", "format %q is the request's sources read and split into passages; the request has none", f)
		}
		seen[f] = true
		if f != FormatPackage {
			content++
		}
	}
	if r.Formats != nil && content == 0 && len(list) == 0 {
		add("formats", "required", "must name at least one format besides package")
	}
	r.validateExports(add)
	if p := r.Podcast; p != nil {
		if p.Style != "" && !validPodcastStyle(p.Style) {
			add("podcast.style", "invalid_value", "must be one of %s", strings.Join(PodcastStyles, ", "))
		}
		if p.Speakers != nil && (len(p.Speakers) < MinSpeakers || len(p.Speakers) > MaxSpeakers) {
			add("podcast.speakers", "invalid_count", "must have %d to %d speakers, has %d", MinSpeakers, MaxSpeakers, len(p.Speakers))
		}
		names := map[string]bool{}
		for i, s := range p.Speakers {
			length(fmt.Sprintf("podcast.speakers[%d].name", i), s.Name, 1, MaxSpeakerName)
			length(fmt.Sprintf("podcast.speakers[%d].role", i), s.Role, 1, MaxSpeakerRole)
			key := strings.ToLower(s.Name)
			if s.Name != "" && names[key] {
				add(fmt.Sprintf("podcast.speakers[%d].name", i), "duplicate", "speaker %q is listed twice", s.Name)
			}
			names[key] = true
		}
		if p.TargetMinutes != 0 && (p.TargetMinutes < MinTargetMinutes || p.TargetMinutes > MaxTargetMinutes) {
			add("podcast.target_minutes", "out_of_range", "must be between %d and %d", MinTargetMinutes, MaxTargetMinutes)
		}
	}
	if r.CallbackURL != "" {
		if err := CheckCallbackURL(r.CallbackURL); err != nil {
			add("callback_url", "invalid_url", "%s", err.Error())
		}
	}
	if im := r.Image; im != nil {
		length("image.style", im.Style, 0, MaxStyleLen)
		if im.AspectRatio != "" && !slices.Contains(AspectRatios, im.AspectRatio) {
			add("image.aspect_ratio", "invalid_value", "must be one of %s", strings.Join(AspectRatios, ", "))
		}
	}
	if len(list) > 0 {
		return &InvalidError{Errors: list}
	}
	return nil
}

// fieldErrors gathers the problems of a document's fields.
type fieldErrors []FieldError

func (l *fieldErrors) add(field, code, format string, args ...any) {
	*l = append(*l, FieldError{Field: field, Code: code, Message: fmt.Sprintf(format, args...)})
}

// MaxCallbackURLLen bounds a callback URL.
const MaxCallbackURLLen = 2048

// CheckCallbackURL checks the form of a callback URL: absolute https, a
// host name or address, no credentials, no fragment. Where the host
// resolves to is checked separately, at submission and at delivery.
func CheckCallbackURL(raw string) error {
	if len(raw) > MaxCallbackURLLen {
		return fmt.Errorf("must be at most %d characters", MaxCallbackURLLen)
	}
	u, err := parseHTTPS(raw)
	if err != nil {
		return err
	}
	if u.Fragment != "" {
		return errors.New("must not have a fragment")
	}
	return nil
}

func formatList() string {
	names := make([]string, 0, len(specs))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// Default values of optional request fields.
var (
	DefaultAudience = "general audience"
	DefaultLevel    = "intermediate"
	DefaultLanguage = "en-US"
	DefaultSpeakers = []Speaker{{Name: "Alex", Role: "host"}, {Name: "Sam", Role: "expert guest"}}
	DefaultMinutes  = 5
	DefaultStyle    = "clean modern illustration"
	DefaultAspect   = "16:9"
)

// ApplyDefaults fills every optional field left empty and canonicalizes
// the language tag. Formats become the full list of steps the job runs.
func (r *Request) ApplyDefaults() {
	if len(r.Formats) == 0 {
		r.Formats = DefaultFormats()
	}
	if r.HasSources() && !r.Wants(FormatSources) {
		r.Formats = append(r.Formats, FormatSources)
	}
	r.Formats = Closure(r.Formats)
	if len(r.Exports) == 0 {
		r.Exports = DefaultExports(r.Formats)
	}
	if r.Audience == "" {
		r.Audience = DefaultAudience
	}
	if r.Level == "" {
		r.Level = DefaultLevel
	}
	if r.Language == "" {
		r.Language = DefaultLanguage
	}
	if tag, err := language.Parse(r.Language); err == nil {
		r.Language = tag.String()
	}
	if r.Podcast == nil {
		r.Podcast = &PodcastOptions{}
	}
	if len(r.Podcast.Speakers) == 0 {
		r.Podcast.Speakers = slices.Clone(DefaultSpeakers)
	}
	if r.Podcast.Style == "" {
		r.Podcast.Style = DefaultPodcastStyle
	}
	if r.Podcast.TargetMinutes == 0 {
		r.Podcast.TargetMinutes = DefaultMinutes
	}
	if r.Podcast.Style == StyleBrief {
		// A brief is one to two minutes, whatever length was asked.
		r.Podcast.TargetMinutes = min(r.Podcast.TargetMinutes, BriefMaxMinutes)
	}
	if r.Image == nil {
		r.Image = &ImageOptions{}
	}
	if r.Image.Style == "" {
		r.Image.Style = DefaultStyle
	}
	if r.Image.AspectRatio == "" {
		r.Image.AspectRatio = DefaultAspect
	}
}

// Wants reports whether the job runs the step of a format.
func (r *Request) Wants(f Format) bool { return slices.Contains(r.Formats, f) }

// Fingerprint is a stable hash of a complete request, used to tell a
// repeated submission from a different one.
func (r *Request) Fingerprint() string {
	b, _ := json.Marshal(r)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
