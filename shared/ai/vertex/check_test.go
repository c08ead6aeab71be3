package vertex_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/vertex"
	"contentfactory.dev/factory/shared/content"
)

// checkRequest is a grounding check of two claims citing the first
// passage of the photosynthesis fixture.
func checkRequest(t *testing.T) (ai.CheckRequest, content.Passage) {
	t.Helper()
	req := aitest.FixtureNamed(t, "photosynthesis").Request
	set := content.TextSources(&req)
	require.Greater(t, len(set.Passages), 1, "the fixture must have more than one passage")
	first := set.Passages[0]
	return ai.CheckRequest{JobID: "job-1", Version: 1, Attempt: 1, Format: content.FormatFAQs, Language: "en", Canary: testCanary, Sources: set,
		Claims: []content.Claim{
			{ID: "c1", Path: "/faqs/0", Text: first.Text, Citations: []string{first.ID}},
			{ID: "c2", Path: "/faqs/1", Text: "The Moon is made of green cheese.", Citations: []string{first.ID}},
		}}, first
}

// TestTheGroundingCheckIsAModelCallWithAVerdictPerClaim sends a check to
// the fake: one generate call whose response schema pins a verdict per
// claim (its id among the claims'), the cited passage and the claims
// fenced as data, the canary in the system instruction; the answer comes
// back as one verdict per claim in order, and the call is priced.
func TestTheGroundingCheckIsAModelCallWithAVerdictPerClaim(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{Seed: 9})
	c := newClient(t, srv, nil, nil)
	req, first := checkRequest(t)

	res, err := c.CheckClaims(t.Context(), req)
	require.NoError(t, err)
	require.Len(t, res.Verdicts, len(req.Claims))
	for i, v := range res.Verdicts {
		assert.Equal(t, req.Claims[i].ID, v.Claim)
		assert.Contains(t, []string{content.Supported, content.Partial, content.Unsupported}, v.Verdict)
	}
	assert.True(t, strings.HasPrefix(res.Checker, vertex.CheckerName+":"), res.Checker)
	assert.Equal(t, "check.v1", res.PromptVersion)
	require.Len(t, res.Calls, 1, "one call, counted like any other")
	assert.Equal(t, "vertex", res.Calls[0].Backend)
	assert.Positive(t, res.Calls[0].CostUSD)

	bodies := srv.Bodies("")
	require.Len(t, bodies, 1)
	body := bodies[0]
	var schema struct {
		Properties struct {
			Verdicts struct {
				MinItems, MaxItems int
				Items              struct {
					Properties map[string]struct {
						Enum []string `json:"enum"`
					} `json:"properties"`
				} `json:"items"`
			} `json:"verdicts"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(body.GenerationConfig.ResponseJSONSchema, &schema))
	v := schema.Properties.Verdicts
	assert.Equal(t, 2, v.MinItems)
	assert.Equal(t, 2, v.MaxItems)
	assert.Equal(t, []string{"c1", "c2"}, v.Items.Properties["claim"].Enum)
	assert.Equal(t, []string{content.Supported, content.Partial, content.Unsupported}, v.Items.Properties["verdict"].Enum)

	sys := body.SystemInstruction.Text()
	assert.Contains(t, sys, "Leak marker: "+testCanary+".")
	tok := tokenOf(t, sys)
	user := body.Text()
	assert.NotContains(t, user, testCanary)
	assert.Contains(t, user, "<<<DATA-"+tok+" passages\n"+`{"id":"`+first.ID+`"`)
	assert.NotContains(t, user, `{"id":"`+req.Sources.Passages[1].ID+`"`, "only the passages the claims cite")
	assert.Contains(t, user, "<<<DATA-"+tok+" claims\n"+`{"id":"c1"`)
	assert.Contains(t, user, "The Moon is made of green cheese.")
}

func TestAGroundingCheckAnswerThatIsNotItsJSONFails(t *testing.T) {
	t.Parallel()
	srv := newServer(t, vertextest.Options{Seed: 9, Faults: []vertextest.Fault{{Kind: vertextest.Malformed, Times: 1}}})
	c := newClient(t, srv, nil, nil)
	req, _ := checkRequest(t)
	res, err := c.CheckClaims(t.Context(), req)
	require.Error(t, err)
	e, ok := ai.AsError(err)
	require.True(t, ok, "%v", err)
	assert.Equal(t, vertex.CodeInvalidCheck, e.Code)
	assert.Len(t, res.Calls, 1, "the call is paid for all the same")
}
