package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/ingest"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
)

// Executor reads a job's sources into sources.json. A source that cannot
// be read fails the step with its stable code (the first one, when
// several cannot), naming every such source in the message; a link that
// may answer later (a timeout, a 5xx) is retried. No model is called.
type Executor struct {
	Reader *ingest.Reader
}

// Execute implements pipeline.Executor.
func (e Executor) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	set, err := e.Reader.Read(ctx, t.Job.Owner, req)
	var re *ingest.ReadError
	switch {
	case errors.As(err, &re) && re.Transient():
		return nil, failure.Transient(re.Code(), err)
	case errors.As(err, &re):
		return nil, failure.Permanent(re.Code(), err)
	case err != nil:
		return nil, err
	}
	log := logging.From(ctx)
	for _, d := range set.Sources {
		if d.InputRisk.Score >= guard.Threshold {
			log.WarnContext(ctx, "source looks like a prompt-injection attempt; it stays data", "source", d.ID, "field", d.Field,
				"score", d.InputRisk.Score, "signals", d.InputRisk.Signals)
		}
	}
	data, err := json.MarshalIndent(set, "", "  ")
	if err != nil {
		return nil, failure.Permanent("internal", fmt.Errorf("encode sources: %w", err))
	}
	log.InfoContext(ctx, "sources read", "sources", len(set.Sources), "passages", len(set.Passages))
	return &pipeline.Output{
		Files:   []pipeline.File{{Name: pipeline.DocName(content.FormatSources), ContentType: "application/json", Data: data}},
		Sources: set.Summary(),
	}, nil
}
