package image

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"slices"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/pipeline"
)

// Artifact names of the cover.
const (
	CoverImage = "cover.png"
	CoverInfo  = "cover.json"
)

// imageTypes are the image types a cover may be stored as.
var imageTypes = []string{"image/png", "image/jpeg"}

// Executor draws the cover image and stores it with its description.
// Alt text that contains the job's canary fails the step
// "output_rejected".
type Executor struct {
	Gen ai.ImageGenerator
	// Canary derives each job's canary; the zero value uses the local
	// default secret.
	Canary guard.Canary
}

// Execute implements pipeline.Executor.
func (e Executor) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	outline, err := t.Outline(ctx)
	if err != nil {
		return nil, err
	}
	canary := e.Canary.For(t.Job.ID)
	res, err := e.Gen.GenerateImage(ctx, ai.ImageRequest{JobID: t.Job.ID, Version: t.Step.CurrentVersion(), Attempt: t.Step.Attempt, Request: req, Outline: outline, Canary: canary})
	out := &pipeline.Output{Calls: res.Calls}
	if err != nil {
		return out, err
	}
	if guard.LeakedText(res.AltText, canary) {
		return out, guard.Reject(ctx, "alt text")
	}
	if !slices.Contains(imageTypes, res.MIMEType) {
		return out, ai.Permanentf("invalid_output", "the image is %q, not one of %v", res.MIMEType, imageTypes)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(res.Data))
	if err != nil {
		return out, ai.Permanentf("invalid_output", "the image does not decode: %v", err)
	}
	name := CoverImage
	if res.MIMEType == "image/jpeg" {
		name = "cover.jpg"
	}
	info, _ := json.MarshalIndent(map[string]any{
		"file": name, "mime_type": res.MIMEType, "width": cfg.Width, "height": cfg.Height,
		"alt_text": res.AltText, "aspect_ratio": req.Image.AspectRatio,
	}, "", "  ")
	out.Files = []pipeline.File{
		{Name: name, ContentType: res.MIMEType, Data: res.Data},
		{Name: CoverInfo, ContentType: "application/json", Data: info},
	}
	return out, nil
}
