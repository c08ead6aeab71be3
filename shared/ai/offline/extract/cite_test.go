package extract_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/quality"
)

// threeSources is a request written from three sources: passages of all
// three are numbered across them.
const threeSources = `{"topic":"Change in history, biology and markets","level":"intermediate","sources":[
{"title":"The Tennis Court Oath","text":"In June 1789 the deputies of the Third Estate declared themselves the National Assembly. When they found their meeting hall locked, they gathered in a nearby indoor tennis court.\n\nThere they swore not to separate until France had a written constitution. The pledge became known as the Tennis Court Oath and marked the start of the French Revolution."},
{"title":"Natural selection","text":"Natural selection is the process by which organisms with useful traits survive and reproduce more often than others. Over many generations those traits become common in a population.\n\nCharles Darwin described natural selection in 1859. Finches on the Galapagos Islands show beaks shaped by the seeds they eat."},
{"title":"Supply and demand","text":"Demand is the amount of a good that buyers want at each price. When the price of a good rises, buyers usually want less of it.\n\nSupply is the amount that sellers offer at each price. The market price settles where the amount supplied equals the amount demanded."}]}`

// TestOfflineCitesThePassagesItTookItsSentencesFrom writes every format
// from three sources and requires every item that cites to cite
// passages that hold its claims (the support score finds each claim
// supported by its own citations), and most claims to be cited.
func TestOfflineCitesThePassagesItTookItsSentencesFrom(t *testing.T) {
	t.Parallel()
	req, err := content.ParseRequest([]byte(threeSources))
	require.NoError(t, err)
	set := content.TextSources(&req)
	require.Len(t, set.Sources, 3)
	outline := outlineOf(t, req)
	sourceOf := map[string]string{}
	for _, p := range set.Passages {
		sourceOf[p.ID] = p.Source
	}
	cites := map[string]bool{}
	for _, f := range content.TextFormats() {
		if (ai.TextRequest{Format: f, Request: &req}).Applicable() != nil {
			continue // a timeline of sources without dates
		}
		res := generate(t, req, f)
		exp := content.Expect{Request: &req, Passages: content.PassagesOf(set)}
		if f != content.FormatOutline {
			exp.Outline = outline
		}
		doc, err := content.ValidateText(f, res.JSON, exp)
		require.NoError(t, err, "%s", f)
		claims := quality.Claims(doc, "en")
		var cited []content.Claim
		for _, c := range claims {
			if len(c.Citations) > 0 {
				cited = append(cited, c)
			}
			for _, id := range c.Citations {
				cites[sourceOf[id]] = true
			}
		}
		if len(claims) == 0 {
			continue
		}
		assert.GreaterOrEqual(t, 2*len(cited), len(claims), "%s cites %d of its %d claims", f, len(cited), len(claims))
		for i, v := range quality.CheckLexically(cited, set) {
			assert.NotEqual(t, content.Unsupported, v.Verdict, "%s: %q cites %v: %s", f, cited[i].Text, cited[i].Citations, v.Reason)
		}
	}
	assert.Len(t, cites, 3, "the documents cite passages of every source")
}
