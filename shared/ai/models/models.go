// Package models is the configuration of the Google AI backends: which
// model writes each text step and how hard it thinks, which model draws
// covers, which voices speak in each language, where the services are
// reached, how calls are retried, and what every model costs.
//
// Nothing here is hard-coded in the backends, because models retire (the
// Gemini 2.5 models were retired on Vertex on 2026-10-16 and Imagen is
// being shut down). The defaults are the embedded defaults.json; a JSON
// file named by FACTORY_MODELS is merged over them (objects merge key by
// key, lists are replaced), and a few environment variables override
// single settings last. docs/models.md documents every setting.
package models

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/content"
)

//go:embed defaults.json
var defaultsJSON []byte

// Environment variables that override single settings.
const (
	EnvFile           = "FACTORY_MODELS"
	EnvJSON           = "FACTORY_MODELS_JSON"
	EnvTextModel      = "FACTORY_TEXT_MODEL"
	EnvImageModel     = "FACTORY_IMAGE_MODEL"
	EnvVertexProject  = "FACTORY_VERTEX_PROJECT"
	EnvVertexLocation = "FACTORY_VERTEX_LOCATION"
	EnvVertexBaseURL  = "FACTORY_VERTEX_BASE_URL"
	EnvTTSEndpoint    = "FACTORY_TTS_ENDPOINT"
	EnvTTSInsecure    = "FACTORY_TTS_INSECURE"
	EnvClaudeBaseURL  = "FACTORY_CLAUDE_BASE_URL"
	EnvOpenAIBaseURL  = "FACTORY_OPENAI_BASE_URL"
)

// Text backends a step can name (Step.Backend).
const (
	// TextGemini is Gemini through google.golang.org/genai: the default.
	TextGemini = "gemini"
	// TextClaude is Claude on Vertex AI through the Anthropic SDK.
	TextClaude = "claude"
	// TextOpenAI is a model served by Vertex AI's OpenAI-compatible
	// chat completions endpoint (open models), through the OpenAI SDK.
	TextOpenAI = "openai"
)

// TextBackends lists the text backends, Gemini first.
var TextBackends = []string{TextGemini, TextClaude, TextOpenAI}

// TTSInputLimit is Cloud Text-to-Speech's limit on one request's input,
// in UTF-8 bytes; it cannot be raised.
const TTSInputLimit = 5000

// Config is the whole AI configuration.
type Config struct {
	Vertex Vertex `json:"vertex"`
	// Claude and OpenAI say where the Claude and the OpenAI-compatible
	// text backends are reached; both are served by Vertex AI in the
	// Vertex project.
	Claude Endpoint         `json:"claude"`
	OpenAI Endpoint         `json:"openai"`
	Text   Text             `json:"text"`
	Image  Image            `json:"image"`
	TTS    TTS              `json:"tts"`
	Retry  Retry            `json:"retry"`
	Prices map[string]Price `json:"prices"`
}

// Vertex says where Gemini is reached.
type Vertex struct {
	// Project is the Google Cloud project billed for model calls; empty
	// means the function's GOOGLE_CLOUD_PROJECT.
	Project string `json:"project"`
	// Location is "global" (the default, and the only one for preview
	// models), a multi-region ("us", "eu") or a region.
	Location string `json:"location"`
	// BaseURL replaces the endpoint derived from Location: a proxy, or a
	// local fake. An http:// URL is never sent credentials.
	BaseURL string `json:"base_url"`
	// Timeout bounds one text call.
	Timeout Duration `json:"timeout"`
}

// Plaintext reports whether the Vertex endpoint is plain HTTP, such as
// a local fake; credentials are never sent there.
func (v Vertex) Plaintext() bool { return strings.HasPrefix(v.BaseURL, "http://") }

// Endpoint says where a text backend other than Gemini is reached.
type Endpoint struct {
	// Location is the Vertex AI location serving the models; empty means
	// vertex.location.
	Location string `json:"location"`
	// BaseURL replaces the endpoint derived from the location: a proxy,
	// or a local fake. An http:// URL is never sent credentials.
	BaseURL string `json:"base_url"`
}

// Plaintext reports whether the endpoint is plain HTTP, such as a local
// fake; credentials are never sent there.
func (e Endpoint) Plaintext() bool { return strings.HasPrefix(e.BaseURL, "http://") }

// LocationOr returns the endpoint's location, or fallback when it has
// none.
func (e Endpoint) LocationOr(fallback string) string {
	if e.Location != "" {
		return e.Location
	}
	return fallback
}

// Step is how one text step calls its model. Zero fields inherit the
// text default.
type Step struct {
	// Backend is the text backend serving Model: gemini (empty means
	// gemini), claude or openai.
	Backend string `json:"backend,omitempty"`
	Model   string `json:"model,omitempty"`
	// ThinkingLevel is MINIMAL, LOW, MEDIUM or HIGH (Gemini 3 models).
	ThinkingLevel string `json:"thinking_level,omitempty"`
	// ThinkingBudget is a token budget for models that take one instead
	// of a level; when set it replaces the level.
	ThinkingBudget *int32 `json:"thinking_budget,omitempty"`
	// MaxOutputTokens bounds the answer, thinking included.
	MaxOutputTokens int32 `json:"max_output_tokens,omitempty"`
	// Temperature; nil keeps the model's default.
	Temperature *float32 `json:"temperature,omitempty"`
	// Fallback is tried in order when the model is retired, stays
	// unavailable after its retries, or filters the content; each entry
	// inherits what it leaves unset from the step (but not its fallback).
	Fallback []Step `json:"fallback,omitempty"`
}

// BackendName is the step's backend: gemini when none is set.
func (s Step) BackendName() string {
	if s.Backend == "" {
		return TextGemini
	}
	return s.Backend
}

// over returns s with what o sets; a set Backend or Model replaces both,
// so an override naming only a model of another backend is not sent to
// the inherited one.
func (s Step) over(o Step) Step {
	if o.Model != "" || o.Backend != "" {
		s.Backend, s.Model = o.Backend, o.Model
	}
	if o.ThinkingLevel != "" {
		s.ThinkingLevel = o.ThinkingLevel
	}
	if o.ThinkingBudget != nil {
		s.ThinkingBudget = o.ThinkingBudget
	}
	if o.MaxOutputTokens != 0 {
		s.MaxOutputTokens = o.MaxOutputTokens
	}
	if o.Temperature != nil {
		s.Temperature = o.Temperature
	}
	if o.Fallback != nil {
		s.Fallback = o.Fallback
	}
	return s
}

// Text configures the text steps.
type Text struct {
	Default Step `json:"default"`
	// Steps holds per-format overrides, keyed by format name.
	Steps map[string]Step `json:"steps"`
	// MaxOutputTokensLimit bounds the raised output limit a repair of a
	// truncated answer may use.
	MaxOutputTokensLimit int32 `json:"max_output_tokens_limit"`
	// CacheMinTokens: a source text estimated (characters/4) above this
	// many tokens is put in a Vertex context cache once per job.
	CacheMinTokens int `json:"cache_min_tokens"`
	// CacheTTL is how long such a cache lives if nobody deletes it.
	CacheTTL Duration `json:"cache_ttl"`
}

// For returns the step settings of a format: its overrides over the
// default.
func (t Text) For(f content.Format) Step {
	s := t.Default
	if o, ok := t.Steps[string(f)]; ok {
		s = s.over(o)
	}
	return s
}

// Chain returns the models a format is written with, in the order they
// are tried: its step, then each of its fallbacks with what it leaves
// unset taken from the step. No entry has a fallback of its own.
func (t Text) Chain(f content.Format) []Step {
	s := t.For(f)
	fallbacks := s.Fallback
	s.Fallback = nil
	out := []Step{s}
	for _, fb := range fallbacks {
		fb.Fallback = nil
		out = append(out, s.over(fb))
	}
	return out
}

// ModelSetting names the settings that choose the model of a format, for
// messages that tell an operator what to change.
func (t Text) ModelSetting(f content.Format) string {
	if o, ok := t.Steps[string(f)]; ok && o.Model != "" {
		return "the models file entry text.steps." + string(f) + ".model"
	}
	return EnvTextModel + " or the models file entry text.default.model"
}

// Image configures the cover image.
type Image struct {
	Model string `json:"model"`
	// ImageSize is "1K", "2K" or "4K".
	ImageSize string `json:"image_size"`
	// ThinkingLevel, if set, is sent to the image model.
	ThinkingLevel string   `json:"thinking_level,omitempty"`
	Timeout       Duration `json:"timeout"`
}

// ModelSetting names the settings that choose the image model.
func (Image) ModelSetting() string {
	return EnvImageModel + " or the models file entry image.model"
}

// TTS configures Cloud Text-to-Speech.
type TTS struct {
	// Endpoint is host:port; empty means texttospeech.googleapis.com:443.
	Endpoint string `json:"endpoint"`
	// Insecure dials the endpoint in plaintext without credentials (local
	// fakes only).
	Insecure bool `json:"insecure"`
	// VoiceModel and VoiceNames make the voices of a locale the Voices
	// table lacks: <locale>-<VoiceModel>-<name>.
	VoiceModel string   `json:"voice_model"`
	VoiceNames []string `json:"voice_names"`
	// Voices lists the voices of a locale, in the order speakers get them.
	Voices map[string][]string `json:"voices"`
	// Locales maps a language ("de") or a regional tag ("en-gb"), lower
	// case, to the locale to speak it in; a regional tag it does not list
	// is spoken in its language's locale ("es-MX" in "es-ES"), and a
	// language it does not list has no voice.
	Locales         map[string]string `json:"locales"`
	SampleRateHertz int32             `json:"sample_rate_hertz"`
	SpeakingRate    float64           `json:"speaking_rate"`
	// WordsPerMinute is how many words a minute voices speak at speaking
	// rate 1, keyed by voice name ("en-US-Chirp3-HD-Kore"), by voice model
	// ("Chirp3-HD", for every voice of it) or "default". Podcast scripts
	// are sized by it: calibrate a voice by timing its audio of a script.
	WordsPerMinute    map[string]float64 `json:"words_per_minute"`
	MaxRequestBytes   int                `json:"max_request_bytes"`
	Concurrency       int                `json:"concurrency"`
	RequestsPerMinute int                `json:"requests_per_minute"`
	Timeout           Duration           `json:"timeout"`
}

// Retry is the in-process retry policy of every model call.
type Retry struct {
	Attempts int      `json:"attempts"`
	Base     Duration `json:"base"`
	Cap      Duration `json:"cap"`
	// Margin is kept free before a step's deadline.
	Margin Duration `json:"margin"`
}

// Policy is the retry policy these settings describe.
func (r Retry) Policy() retry.Policy {
	return retry.Policy{Attempts: r.Attempts, Base: r.Base.D(), Cap: r.Cap.D(), Margin: r.Margin.D()}
}

// Price is what a model costs, in US dollars.
type Price struct {
	InputPerMTok  float64 `json:"input_per_mtok,omitempty"`
	OutputPerMTok float64 `json:"output_per_mtok,omitempty"`
	CachedPerMTok float64 `json:"cached_per_mtok,omitempty"`
	PerImage      float64 `json:"per_image,omitempty"`
	PerMChar      float64 `json:"per_mchar,omitempty"`
}

// Duration is a time.Duration written as "90s" or "1h" in JSON.
type Duration time.Duration

// D returns the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads "90s"-style strings (or a number of seconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil {
			return fmt.Errorf("duration must be a string such as \"90s\": %w", err)
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}

// Defaults returns the embedded default configuration.
func Defaults() *Config {
	var c Config
	if err := decodeStrict(defaultsJSON, &c); err != nil {
		// The file is embedded and tested; this cannot happen in a build
		// that passed its tests.
		return &Config{}
	}
	return &c
}

// FromEnv loads the configuration from the process environment, with
// fallbackProject (the function's GOOGLE_CLOUD_PROJECT) used when no
// Vertex project is configured.
func FromEnv(fallbackProject string) (*Config, error) {
	return Load(os.Getenv, fallbackProject)
}

// Load builds the configuration: defaults, then the file named by
// FACTORY_MODELS, then the JSON in FACTORY_MODELS_JSON (merged the same
// way), then the single-setting variables, and validates it.
func Load(getenv func(string) string, fallbackProject string) (*Config, error) {
	c := Defaults()
	if path := getenv(EnvFile); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read %s=%s: %w", EnvFile, path, err)
		}
		if err := decodeStrict(raw, c); err != nil {
			return nil, fmt.Errorf("%s=%s: %w", EnvFile, path, err)
		}
	}
	if raw := strings.TrimSpace(getenv(EnvJSON)); raw != "" {
		if err := decodeStrict([]byte(raw), c); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvJSON, err)
		}
	}
	set := func(dst *string, name string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	set(&c.Text.Default.Model, EnvTextModel)
	set(&c.Image.Model, EnvImageModel)
	set(&c.Vertex.Project, EnvVertexProject)
	set(&c.Vertex.Location, EnvVertexLocation)
	set(&c.Vertex.BaseURL, EnvVertexBaseURL)
	set(&c.Claude.BaseURL, EnvClaudeBaseURL)
	set(&c.OpenAI.BaseURL, EnvOpenAIBaseURL)
	set(&c.TTS.Endpoint, EnvTTSEndpoint)
	if v := getenv(EnvTTSInsecure); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%s must be true or false, not %q", EnvTTSInsecure, v)
		}
		c.TTS.Insecure = b
	}
	if c.Vertex.Project == "" {
		c.Vertex.Project = fallbackProject
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func decodeStrict(raw []byte, into *Config) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("models configuration: %w", err)
	}
	return nil
}

var thinkingLevels = []string{"MINIMAL", "LOW", "MEDIUM", "HIGH"}

// Validate reports every problem with the configuration at once, naming
// the setting to change.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.Vertex.Project == "" {
		bad("vertex.project is empty: set %s or GOOGLE_CLOUD_PROJECT", EnvVertexProject)
	}
	if c.Vertex.Location == "" {
		bad("vertex.location is empty: set %s (global is the default)", EnvVertexLocation)
	}
	if u := c.Vertex.BaseURL; u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		bad("vertex.base_url %q must start with https:// or http://", u)
	}
	if c.Vertex.Timeout <= 0 {
		bad("vertex.timeout must be positive")
	}
	for name, e := range map[string]Endpoint{"claude": c.Claude, "openai": c.OpenAI} {
		if u := e.BaseURL; u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
			bad("%s.base_url %q must start with https:// or http://", name, u)
		}
	}
	var checkStep func(name string, s Step)
	checkStep = func(name string, s Step) {
		if s.Backend != "" && !slices.Contains(TextBackends, s.Backend) {
			bad("%s.backend %q must be one of %s", name, s.Backend, strings.Join(TextBackends, ", "))
		}
		for i, fb := range s.Fallback {
			fname := fmt.Sprintf("%s.fallback[%d]", name, i)
			if fb.Model == "" {
				bad("%s.model is empty: a fallback names its model", fname)
			}
			if len(fb.Fallback) > 0 {
				bad("%s.fallback: a fallback has no fallback of its own; list them all in %s.fallback", fname, name)
			}
			checkStep(fname, fb)
		}
		if s.ThinkingLevel != "" && !slices.Contains(thinkingLevels, s.ThinkingLevel) {
			bad("%s.thinking_level %q must be one of %s", name, s.ThinkingLevel, strings.Join(thinkingLevels, ", "))
		}
		if s.MaxOutputTokens < 0 || (c.Text.MaxOutputTokensLimit > 0 && s.MaxOutputTokens > c.Text.MaxOutputTokensLimit) {
			bad("%s.max_output_tokens must be between 1 and text.max_output_tokens_limit", name)
		}
		if s.Temperature != nil && (*s.Temperature < 0 || *s.Temperature > 2) {
			bad("%s.temperature must be between 0 and 2", name)
		}
	}
	if c.Text.Default.Model == "" {
		bad("text.default.model is empty: set %s", EnvTextModel)
	}
	if c.Text.Default.MaxOutputTokens <= 0 {
		bad("text.default.max_output_tokens must be positive")
	}
	checkStep("text.default", c.Text.Default)
	for name, s := range c.Text.Steps {
		spec, ok := content.Lookup(content.Format(name))
		if !ok || spec.Kind != content.KindText {
			bad("text.steps.%s: not a text format", name)
		}
		checkStep("text.steps."+name, s)
	}
	for _, f := range content.TextFormats() {
		for i, s := range c.Text.Chain(f) {
			if s.Model == "" && (i > 0 || c.Text.Default.Model != "") {
				bad("text.steps.%s names a backend but no model", f)
			}
		}
	}
	if c.Text.CacheMinTokens < 0 {
		bad("text.cache_min_tokens must not be negative (0 turns caching off)")
	}
	if c.Text.CacheTTL < Duration(time.Minute) {
		bad("text.cache_ttl must be at least 1m")
	}
	if c.Image.Model == "" {
		bad("image.model is empty: set %s", EnvImageModel)
	}
	if c.Image.ThinkingLevel != "" && !slices.Contains(thinkingLevels, c.Image.ThinkingLevel) {
		bad("image.thinking_level %q must be one of %s", c.Image.ThinkingLevel, strings.Join(thinkingLevels, ", "))
	}
	if c.Image.Timeout <= 0 {
		bad("image.timeout must be positive")
	}
	t := c.TTS
	if t.MaxRequestBytes < 200 || t.MaxRequestBytes > TTSInputLimit {
		bad("tts.max_request_bytes must be between 200 and %d", TTSInputLimit)
	}
	if t.Concurrency < 1 {
		bad("tts.concurrency must be at least 1")
	}
	if t.RequestsPerMinute < 0 {
		bad("tts.requests_per_minute must not be negative (0 means no limit)")
	}
	if t.SpeakingRate < 0.25 || t.SpeakingRate > 2 {
		bad("tts.speaking_rate must be between 0.25 and 2")
	}
	if t.Timeout <= 0 {
		bad("tts.timeout must be positive")
	}
	if t.WordsPerMinute["default"] == 0 {
		bad("tts.words_per_minute.default must be set: the words a minute of a voice with no figure of its own")
	}
	for k, v := range t.WordsPerMinute {
		if v < 60 || v > 400 {
			bad("tts.words_per_minute.%s must be between 60 and 400", k)
		}
	}
	if len(distinct(t.VoiceNames)) < content.MaxSpeakers {
		bad("tts.voice_names needs at least %d distinct names", content.MaxSpeakers)
	}
	for loc, vs := range t.Voices {
		if len(distinct(vs)) < content.MaxSpeakers {
			bad("tts.voices.%s needs at least %d distinct voices, one per speaker", loc, content.MaxSpeakers)
		}
	}
	if c.Retry.Attempts < 1 || c.Retry.Attempts > 10 {
		bad("retry.attempts must be between 1 and 10")
	}
	if c.Retry.Base <= 0 || c.Retry.Cap < c.Retry.Base || c.Retry.Margin < 0 {
		bad("retry.base must be positive, retry.cap at least retry.base and retry.margin not negative")
	}
	return errors.Join(errs...)
}

func distinct(vs []string) []string {
	var out []string
	for _, v := range vs {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Locale is the locale a language is spoken in and whether any voice
// speaks it: the tag itself when the Voices table lists it, else the
// Locales entry of the full tag ("en-gb") or, failing that, of its base
// language ("de", and "es-MX" is spoken in the locale of "es"). A
// language neither table names has no voice.
func (t TTS) Locale(language string) (locale string, ok bool) {
	if _, ok := t.Voices[language]; ok {
		return language, true
	}
	lower := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(language), "_", "-"))
	if l, ok := t.Locales[lower]; ok {
		return l, true
	}
	base, _, _ := strings.Cut(lower, "-")
	if l, ok := t.Locales[base]; ok {
		return l, true
	}
	return language, false
}

// VoicesFor returns the voices of a language, one per speaker in order:
// the Voices table's entry for its locale (Locale), otherwise voices made
// from VoiceNames. A language no voice speaks has none.
func (t TTS) VoicesFor(language string) (locale string, voices []string) {
	locale, ok := t.Locale(language)
	if !ok {
		return locale, nil
	}
	if vs, ok := t.Voices[locale]; ok {
		return locale, distinct(vs)
	}
	for _, n := range distinct(t.VoiceNames) {
		voices = append(voices, locale+"-"+t.VoiceModel+"-"+n)
	}
	return locale, voices
}

// Speaks reports whether a language has a distinct voice for each of
// that many speakers, and the locale it is spoken in.
func (t TTS) Speaks(language string, speakers int) (locale string, ok bool) {
	locale, voices := t.VoicesFor(language)
	return locale, len(voices) > 0 && len(voices) >= speakers
}

// AllLocales lists every locale with voices: the Voices table's and the
// Locales table's, sorted.
func (t TTS) AllLocales() []string {
	var out []string
	for l := range t.Voices {
		out = append(out, l)
	}
	for _, l := range t.Locales {
		out = append(out, l)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Pace is how fast the voices that narrate a podcast of that many
// speakers in a language talk: the words per minute of each speaker's
// voice (its own figure, its model's, or the default) at the configured
// speaking rate. Cloud TTS parts are joined with no silence between them.
func (c *Config) Pace(language string, speakers int) content.Pace {
	_, voices := c.TTS.VoicesFor(language)
	rate := c.TTS.SpeakingRate
	if rate == 0 {
		rate = 1
	}
	p := content.Pace{}
	for i := range max(speakers, 1) {
		wpm := c.TTS.WordsPerMinute["default"]
		if len(voices) > 0 {
			v := voices[i%len(voices)]
			if w, ok := c.TTS.WordsPerMinute[v]; ok {
				wpm = w
			} else if w, ok := c.TTS.WordsPerMinute[voiceModel(v)]; ok {
				wpm = w
			}
		}
		if wpm == 0 {
			wpm = content.DefaultWordsPerMinute
		}
		p.WordsPerMinute = append(p.WordsPerMinute, wpm*rate)
	}
	return p
}

// voiceModel is the model part of a voice name: "Chirp3-HD" of
// "en-US-Chirp3-HD-Kore".
func voiceModel(voice string) string {
	parts := strings.Split(voice, "-")
	if len(parts) < 4 {
		return ""
	}
	return strings.Join(parts[2:len(parts)-1], "-")
}

// Models returns every model ID the configuration uses: the text models
// (default first, then step overrides and fallbacks) and the image model.
func (c *Config) Models() (text []string, image string) {
	for _, s := range c.TextModels() {
		text = append(text, s.Model)
	}
	return text, c.Image.Model
}

// TextModel is a text model the configuration uses, with its backend and
// the settings that name it.
type TextModel struct {
	Backend, Model string
	// Used lists the settings naming it: "text.default",
	// "text.steps.outline", "text.steps.quiz.fallback[0]", …
	Used []string
}

// TextModels returns every text model of the configuration once, the
// default first, each with the settings that use it.
func (c *Config) TextModels() []TextModel {
	var out []TextModel
	add := func(s Step, where string) {
		for i := range out {
			if out[i].Model == s.Model && out[i].Backend == s.BackendName() {
				if !slices.Contains(out[i].Used, where) {
					out[i].Used = append(out[i].Used, where)
				}
				return
			}
		}
		out = append(out, TextModel{Backend: s.BackendName(), Model: s.Model, Used: []string{where}})
	}
	for _, f := range content.TextFormats() {
		for i, s := range c.Text.Chain(f) {
			where := c.Text.setting(f, i)
			add(s, where)
		}
	}
	return out
}

// ChainSetting names the settings that choose entry i of a format's
// chain (Chain), for messages that tell an operator what to change.
func (t Text) ChainSetting(f content.Format, i int) string {
	if i == 0 {
		return t.ModelSetting(f)
	}
	return "the models file entry " + t.setting(f, i) + ".model"
}

// CheckStep is the step a format's grounding check is made with: the
// first Gemini model of its chain, else the default if it is Gemini; ok
// is false when neither is (the check is then the offline support
// score).
func (t Text) CheckStep(f content.Format) (step Step, ok bool) {
	for _, s := range t.Chain(f) {
		if s.BackendName() == TextGemini {
			return s, true
		}
	}
	if t.Default.BackendName() == TextGemini {
		d := t.Default
		d.Fallback = nil
		return d, true
	}
	return Step{}, false
}

// setting names the entry of the models file that chooses entry i of a
// format's chain (0: its model).
func (t Text) setting(f content.Format, i int) string {
	o, own := t.Steps[string(f)]
	if i == 0 {
		if own && (o.Model != "" || o.Backend != "") {
			return "text.steps." + string(f)
		}
		return "text.default"
	}
	if own && o.Fallback != nil {
		return fmt.Sprintf("text.steps.%s.fallback[%d]", f, i-1)
	}
	return fmt.Sprintf("text.default.fallback[%d]", i-1)
}
