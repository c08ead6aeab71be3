package vertextest_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/genai"

	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/content"
)

func request(t *testing.T, speakers int) *content.Request {
	t.Helper()
	names := []string{"Ada", "Ben", "Cy", "Dee"}
	var sp []string
	for _, n := range names[:speakers] {
		sp = append(sp, fmt.Sprintf(`{"name":%q,"role":"voice of %s"}`, n, n))
	}
	r, err := content.ParseRequest([]byte(`{"topic":"Tides","level":"advanced","podcast":{"target_minutes":12,"speakers":[` + strings.Join(sp, ",") + `]}}`))
	require.NoError(t, err)
	return &r
}

func schemaOf(t *testing.T, f content.Format, exp content.Expect) *vertextest.Schema {
	t.Helper()
	raw, err := json.Marshal(content.MustLookup(f).SchemaFor(exp))
	require.NoError(t, err)
	var s vertextest.Schema
	require.NoError(t, json.Unmarshal(raw, &s))
	return &s
}

// TestGeneratedDocumentsPassTheValidator answers every format for many
// seeds against its pinned schema: the fake's answers must pass the same
// validator the pipeline runs, repeated-value and order rules included.
func TestGeneratedDocumentsPassTheValidator(t *testing.T) {
	t.Parallel()
	for speakers := 2; speakers <= 4; speakers++ {
		req := request(t, speakers)
		for seed := range uint64(40) {
			rng := rand.New(rand.NewPCG(seed, 1))
			exp := content.Expect{Request: req, Passages: content.PassagesOf(nil)} // as the backend asks for a job without sources
			raw, err := vertextest.Generate(schemaOf(t, content.FormatOutline, exp), rng)
			require.NoError(t, err)
			doc, err := content.ValidateText(content.FormatOutline, raw, exp)
			require.NoError(t, err, "seed %d: %s", seed, raw)
			exp.Outline = doc.(*content.Outline)
			for _, f := range content.TextFormats()[1:] {
				raw, err := vertextest.Answer(schemaOf(t, f, exp), "", rng)
				require.NoError(t, err)
				_, err = content.ValidateText(f, raw, exp)
				require.NoError(t, err, "%s seed %d speakers %d: %s", f, seed, speakers, raw)
			}
		}
	}
}

func TestGeneratedTextLooksLikeWords(t *testing.T) {
	t.Parallel()
	raw, err := vertextest.Generate(schemaOf(t, content.FormatFAQs, content.Expect{}), rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	var faqs content.FAQs
	require.NoError(t, json.Unmarshal(raw, &faqs))
	for _, q := range faqs.FAQs {
		assert.True(t, strings.HasSuffix(q.Question, "?"))
		for _, w := range strings.Fields(strings.Trim(q.Answer, ".?")) {
			assert.Regexp(t, `^[A-Za-z]+[.,]?$`, w)
		}
	}
}

func client(t *testing.T, srv *vertextest.Server) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(t.Context(), &genai.ClientConfig{
		Backend: genai.BackendVertexAI, Project: "p", Location: "us-central1",
		HTTPClient: srv.Client(), HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL},
	})
	require.NoError(t, err)
	return c
}

func TestStreamingAnswersServerSentEvents(t *testing.T) {
	t.Parallel()
	srv := vertextest.NewServer(vertextest.Options{Seed: 4})
	defer srv.Close()
	c := client(t, srv)
	exp := content.Expect{Request: request(t, 2), Passages: content.PassagesOf(nil)}
	cfg := &genai.GenerateContentConfig{ResponseMIMEType: "application/json", ResponseJsonSchema: content.MustLookup(content.FormatOutline).SchemaFor(exp)}
	var b strings.Builder
	chunks := 0
	var usage *genai.GenerateContentResponseUsageMetadata
	for resp, err := range c.Models.GenerateContentStream(t.Context(), "gemini-3.8-flash", genai.Text("outline please"), cfg) {
		require.NoError(t, err)
		chunks++
		b.WriteString(resp.Text())
		if resp.UsageMetadata != nil && resp.UsageMetadata.TotalTokenCount > 0 {
			usage = resp.UsageMetadata
		}
	}
	assert.Equal(t, 2, chunks)
	_, err := content.ValidateText(content.FormatOutline, []byte(b.String()), exp)
	require.NoError(t, err)
	require.NotNil(t, usage)
	assert.Positive(t, usage.CandidatesTokenCount)
	assert.Equal(t, "stream", srv.Requests()[0].Kind)
	assert.Equal(t, "alt=sse", srv.Requests()[0].Query)
}

func TestCachesCanBeListedPageByPageAndExpire(t *testing.T) {
	t.Parallel()
	srv := vertextest.NewServer(vertextest.Options{CacheMinTokens: 1})
	defer srv.Close()
	c := client(t, srv)
	for i := range 5 {
		_, err := c.Caches.Create(t.Context(), "gemini-3.8-flash", &genai.CreateCachedContentConfig{
			TTL: time.Hour, DisplayName: fmt.Sprintf("job-%d", i), Contents: genai.Text("some cached text")})
		require.NoError(t, err)
	}
	short, err := c.Caches.Create(t.Context(), "gemini-3.8-flash", &genai.CreateCachedContentConfig{
		TTL: time.Second, DisplayName: "short", Contents: genai.Text("x")})
	require.NoError(t, err)
	var names []string
	for cc, err := range c.Caches.All(t.Context()) {
		require.NoError(t, err)
		names = append(names, cc.DisplayName)
	}
	assert.ElementsMatch(t, []string{"job-0", "job-1", "job-2", "job-3", "job-4", "short"}, names)
	assert.Greater(t, srv.Count("cache.list"), 1, "the list came in pages")
	time.Sleep(1100 * time.Millisecond)
	_, err = c.Caches.Get(t.Context(), short.Name, nil)
	var api genai.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, 404, api.Code, "expired")
}

func TestCacheRulesAreEnforced(t *testing.T) {
	t.Parallel()
	srv := vertextest.NewServer(vertextest.Options{})
	defer srv.Close()
	c := client(t, srv)
	_, err := c.Caches.Create(t.Context(), "gemini-3.8-flash", &genai.CreateCachedContentConfig{TTL: time.Hour, Contents: genai.Text("too small")})
	var api genai.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, 400, api.Code, "below the minimum size")

	cc, err := c.Caches.Create(t.Context(), "gemini-3.8-flash", &genai.CreateCachedContentConfig{TTL: time.Hour, Contents: genai.Text(strings.Repeat("word ", 2000))})
	require.NoError(t, err)
	_, err = c.Models.GenerateContent(t.Context(), "gemini-3.8-flash", genai.Text("hi"), &genai.GenerateContentConfig{
		CachedContent: cc.Name, SystemInstruction: genai.NewContentFromText("sys", genai.RoleUser)})
	require.ErrorAs(t, err, &api)
	assert.Equal(t, 400, api.Code, "no system instruction with a cache")
	_, err = c.Models.GenerateContent(t.Context(), "gemini-3.5-flash", genai.Text("hi"), &genai.GenerateContentConfig{CachedContent: cc.Name})
	require.ErrorAs(t, err, &api)
	assert.Equal(t, 400, api.Code, "another model cannot use the cache")
	resp, err := c.Models.GenerateContent(t.Context(), "gemini-3.8-flash", genai.Text("hi"), &genai.GenerateContentConfig{CachedContent: cc.Name})
	require.NoError(t, err)
	assert.Equal(t, int32(2500), resp.UsageMetadata.CachedContentTokenCount)
}

func TestOptionsFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		vertextest.EnvSeed:        "42",
		vertextest.EnvFaults:      "rate_limit,times=2,retry_after=3s;slow,delay=2s,p=0.1;not_found,model=gemini-2.5-flash;safety,reason=RECITATION",
		vertextest.EnvRetired:     "gemini-2.0-flash, gemini-1.5-pro",
		vertextest.EnvCompromised: "pwned",
		vertextest.EnvLatency:     "150ms",
	}
	o, err := vertextest.OptionsFrom(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, int64(42), o.Seed)
	assert.Equal(t, []vertextest.Fault{
		{Kind: vertextest.RateLimit, Times: 2, RetryAfter: 3 * time.Second},
		{Kind: vertextest.Slow, Delay: 2 * time.Second, Probability: 0.1},
		{Kind: vertextest.NotFound, Model: "gemini-2.5-flash"},
		{Kind: vertextest.SafetyFinish, Reason: "RECITATION"},
	}, o.Faults)
	assert.Equal(t, []string{"gemini-2.0-flash", "gemini-1.5-pro"}, o.Retired)
	assert.Equal(t, "pwned", o.Compromised)
	assert.Equal(t, 150*time.Millisecond, o.Latency)

	_, err = vertextest.ParseFaults("meltdown")
	assert.Error(t, err)
	_, err = vertextest.ParseFaults("slow,delay=soon")
	assert.Error(t, err)
}

func TestFaultSpecsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{
		// docs/models.md and the chaos soak
		"rate_limit,times=2,retry_after=3s;slow,delay=2s,p=0.1;safety,reason=RECITATION",
		"rate_limit,times=1;server_error,times=1;slow,delay=12s,times=1;rate_limit,p=0.2,retry_after=1s;server_error,p=0.05;slow,delay=12s,p=0.02",
		"not_found,model=gemini-2.5-flash;rate_limit,retry_after=-1s;no_image,reason=IMAGE_SAFETY,p=0.5",
	} {
		faults, err := vertextest.ParseFaults(spec)
		require.NoError(t, err, spec)
		written, err := vertextest.FormatFaults(faults)
		require.NoError(t, err)
		again, err := vertextest.ParseFaults(written)
		require.NoError(t, err, written)
		assert.Equal(t, faults, again, "%s written as %s", spec, written)
	}
	written, err := vertextest.FormatFaults([]vertextest.Fault{{Kind: vertextest.Slow, Delay: 1500 * time.Millisecond, Times: 3, Model: "m"}})
	require.NoError(t, err)
	assert.Equal(t, "slow,times=3,model=m,delay=1.5s", written)
	_, err = vertextest.FormatFaults([]vertextest.Fault{{Kind: vertextest.SafetyFinish, Reason: "A;B"}})
	assert.Error(t, err, "a reason the spec cannot carry")
}

func TestProbabilityFaultsAreSeeded(t *testing.T) {
	t.Parallel()
	run := func() []int {
		srv := vertextest.NewServer(vertextest.Options{Seed: 8, Faults: []vertextest.Fault{{Kind: vertextest.ServerError, Probability: 0.5}}})
		defer srv.Close()
		c := client(t, srv)
		var got []int
		for range 20 {
			_, err := c.Models.GenerateContent(t.Context(), "gemini-3.8-flash", genai.Text("hi"), nil)
			code := 200
			var api genai.APIError
			if err != nil && assert.ErrorAs(t, err, &api) {
				code = api.Code
			}
			got = append(got, code)
		}
		return got
	}
	a, b := run(), run()
	assert.Equal(t, a, b, "the same seed injects the same faults")
	assert.Contains(t, a, 500)
	assert.Contains(t, a, 200)
}

// TestAnswerIsAsLongAsThePromptAsks: a podcast script answers the length
// in words its prompt says is right, whatever the schema allows, and
// without the prompt's words it is left as generated.
func TestAnswerIsAsLongAsThePromptAsks(t *testing.T) {
	t.Parallel()
	req := request(t, 3)
	exp := content.Expect{Request: req, Passages: content.PassagesOf(nil)} // as the backend asks for a job without sources
	raw, err := vertextest.Generate(schemaOf(t, content.FormatOutline, exp), rand.New(rand.NewPCG(4, 1)))
	require.NoError(t, err)
	doc, err := content.ValidateText(content.FormatOutline, raw, exp)
	require.NoError(t, err)
	exp.Outline = doc.(*content.Outline)
	words := func(raw []byte) int {
		var s content.PodcastScript
		require.NoError(t, json.Unmarshal(raw, &s))
		n := len(strings.Fields(s.Intro)) + len(strings.Fields(s.Outro))
		for _, turn := range s.Turns {
			n += len(strings.Fields(turn.Text))
		}
		return n
	}
	for _, want := range []int{220, 800, 2400} {
		raw, err := vertextest.Answer(schemaOf(t, content.FormatPodcastScript, exp), fmt.Sprintf("Write between 1 and 9999 words (about %d is right).", want), rand.New(rand.NewPCG(uint64(want), 1)))
		require.NoError(t, err)
		assert.InDelta(t, want, words(raw), float64(want)/20, "asked for %d words", want)
	}
}
