package aitest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
)

// Document returns the document of format f that gen writes for req; for
// a derived format, gen writes the outline first. It fails the test on
// any error but one: a timeline that does not apply to the request's
// sources (failure.NotApplicable) is an empty result.
func Document(t testing.TB, gen ai.TextGenerator, req content.Request, f content.Format) ai.TextResult {
	t.Helper()
	tr := ai.TextRequest{JobID: "job", Format: f, Request: &req}
	if f != content.FormatOutline {
		tr.Outline = Outline(t, gen, req)
	}
	res, err := gen.GenerateText(context.Background(), tr)
	if NotApplicable(f, err) {
		return ai.TextResult{}
	}
	require.NoError(t, err, "generate %s", f)
	return res
}

// NotApplicable reports a timeline refused because it does not apply to
// its sources: the one error a backend answers a valid request with.
func NotApplicable(f content.Format, err error) bool {
	_, ok := failure.AsNotApplicable(err)
	return ok && f == content.FormatTimeline
}

// Outline returns the outline gen writes for req, decoded.
func Outline(t testing.TB, gen ai.TextGenerator, req content.Request) *content.Outline {
	t.Helper()
	res, err := gen.GenerateText(context.Background(), ai.TextRequest{Format: content.FormatOutline, Request: &req})
	require.NoError(t, err, "generate the outline")
	var o content.Outline
	require.NoError(t, json.Unmarshal(res.JSON, &o), "decode the outline")
	return &o
}
