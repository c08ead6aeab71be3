package aitest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
)

// Document returns the document of format f that gen writes for req; for
// a derived format, gen writes the outline first. It fails the test on
// any error.
func Document(t testing.TB, gen ai.TextGenerator, req content.Request, f content.Format) ai.TextResult {
	t.Helper()
	tr := ai.TextRequest{JobID: "job", Format: f, Request: &req}
	if f != content.FormatOutline {
		tr.Outline = Outline(t, gen, req)
	}
	res, err := gen.GenerateText(context.Background(), tr)
	require.NoError(t, err, "generate %s", f)
	return res
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
