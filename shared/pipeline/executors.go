package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // decode model images to check them
	_ "image/png"
	"slices"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/guard"
	"contentfactory.dev/factory/shared/logging"
)

// Artifact names of the non-text steps.
const (
	CoverImage     = "cover.png"
	CoverInfo      = "cover.json"
	AudioInfo      = "audio.json"
	TranscriptVTT  = "transcript.vtt"
	ManifestName   = "manifest.json"
	BundleMarkdown = "bundle.md"
	BundleHTML     = "bundle.html"
)

// TextExecutor writes a text format with a generator. Each answer is
// validated; a failing one is sent back with the validator's findings, at
// most MaxRepairs times, before the step fails "invalid_output". Every
// answer is first checked for the job's canary, planted in the system
// instruction: an answer that contains it fails the step
// "output_rejected" at once, and is neither repaired nor stored.
type TextExecutor struct {
	Gen        ai.TextGenerator
	MaxRepairs int
	// Canary derives each job's canary; the zero value uses the local
	// default secret.
	Canary guard.Canary
}

// CodeOutputRejected fails a step whose answer repeated the instructions
// (it contained the job's canary); the answer is discarded.
const CodeOutputRejected = "output_rejected"

// rejectLeak fails a step whose answer carried the canary; neither the
// answer nor the canary goes into the error or the log.
func rejectLeak(ctx context.Context, what string) error {
	// The runner's logger already carries job_id and step.
	logging.From(ctx).WarnContext(ctx, "model answer repeated the instructions; rejected", "output", what)
	return ai.Permanentf(CodeOutputRejected, "the model's %s repeated its instructions (it contained the job's canary) and was discarded", what)
}

// Execute implements Executor.
func (e TextExecutor) Execute(ctx context.Context, t *Task) (*Output, error) {
	f := t.Step.Name
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	var outline *content.Outline
	if f != content.FormatOutline {
		if outline, err = t.Outline(ctx); err != nil {
			return nil, err
		}
	}
	exp := content.Expect{Request: req, Outline: outline}
	canary := e.Canary.For(t.Job.ID)
	treq := ai.TextRequest{JobID: t.Job.ID, Attempt: t.Step.Attempt, Format: f, Request: req, Outline: outline, Canary: canary}
	out := &Output{}
	for repair := 0; ; repair++ {
		res, err := e.Gen.GenerateText(ctx, treq)
		out.Calls = append(out.Calls, res.Calls...)
		if err != nil {
			return out, err
		}
		out.PromptVersion = res.PromptVersion
		if guard.Leaked(res.JSON, canary) {
			return out, rejectLeak(ctx, "answer")
		}
		doc, verr := content.ValidateText(f, res.JSON, exp)
		if verr == nil {
			data, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				return out, ai.Permanent("internal", err)
			}
			out.Files = []File{{Name: DocName(f), ContentType: "application/json", Data: data}}
			return out, nil
		}
		if repair >= e.MaxRepairs {
			return out, ai.Permanent("invalid_output", fmt.Errorf("%s failed validation after %d repairs: %w", f, repair, verr))
		}
		treq.Repair = &ai.Repair{Previous: res.JSON, Problems: problems(verr)}
	}
}

func problems(err error) []string {
	var vs content.Violations
	if !errors.As(err, &vs) {
		return []string{err.Error()}
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

// imageTypes are the image types a cover may be stored as.
var imageTypes = []string{"image/png", "image/jpeg"}

// ImageExecutor draws the cover image and stores it with its description.
// Alt text that contains the job's canary fails the step
// "output_rejected".
type ImageExecutor struct {
	Gen ai.ImageGenerator
	// Canary derives each job's canary; the zero value uses the local
	// default secret.
	Canary guard.Canary
}

// Execute implements Executor.
func (e ImageExecutor) Execute(ctx context.Context, t *Task) (*Output, error) {
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	outline, err := t.Outline(ctx)
	if err != nil {
		return nil, err
	}
	canary := e.Canary.For(t.Job.ID)
	res, err := e.Gen.GenerateImage(ctx, ai.ImageRequest{JobID: t.Job.ID, Attempt: t.Step.Attempt, Request: req, Outline: outline, Canary: canary})
	out := &Output{Calls: res.Calls}
	if err != nil {
		return out, err
	}
	if guard.LeakedText(res.AltText, canary) {
		return out, rejectLeak(ctx, "alt text")
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
	out.Files = []File{
		{Name: name, ContentType: res.MIMEType, Data: res.Data},
		{Name: CoverInfo, ContentType: "application/json", Data: info},
	}
	return out, nil
}

// AudioExecutor narrates the podcast script and stores the audio, its
// WebVTT transcript and a description.
type AudioExecutor struct {
	Synth ai.Synthesizer
}

// Execute implements Executor.
func (e AudioExecutor) Execute(ctx context.Context, t *Task) (*Output, error) {
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	raw, err := t.Doc(ctx, content.FormatPodcastScript)
	if err != nil {
		return nil, err
	}
	script, err := content.Decode[content.PodcastScript](content.FormatPodcastScript, raw, content.Expect{Request: req})
	if err != nil {
		return nil, ai.Permanent("invalid_input", fmt.Errorf("stored podcast script: %w", err))
	}
	res, err := e.Synth.Synthesize(ctx, ai.SpeechRequest{JobID: t.Job.ID, Script: script, Language: req.Language, Parts: t.Parts()})
	out := &Output{Calls: res.Calls}
	if err != nil {
		return out, err
	}
	var name string
	switch res.MIMEType {
	case "audio/wav":
		name = "podcast.wav"
	case "audio/mpeg":
		name = "podcast.mp3"
	default:
		return out, ai.Permanentf("invalid_output", "the audio is %q, not audio/wav or audio/mpeg", res.MIMEType)
	}
	if len(res.Audio) == 0 || res.Duration <= 0 {
		return out, ai.Permanentf("invalid_output", "the audio is empty")
	}
	info, _ := json.MarshalIndent(map[string]any{
		"file": name, "mime_type": res.MIMEType, "duration_seconds": res.Duration.Seconds(),
		"voices": res.Voices, "turns": len(res.Cues),
	}, "", "  ")
	out.Files = []File{
		{Name: name, ContentType: res.MIMEType, Data: res.Audio},
		{Name: TranscriptVTT, ContentType: "text/vtt; charset=utf-8", Data: export.WebVTT(res.Cues)},
		{Name: AudioInfo, ContentType: "application/json", Data: info},
	}
	return out, nil
}

// AssembleExecutor writes the package: a manifest of every step and its
// artifacts, and the bundle of every text format. Every other step has
// ended by then, so it also drops the job's model context cache, if any.
type AssembleExecutor struct {
	Caches CacheCleaner
}

// CacheCleaner deletes what a job cached with the model provider.
type CacheCleaner interface {
	DeleteJobCache(ctx context.Context, jobID string) error
}

// Manifest is the package's table of contents.
type Manifest struct {
	JobID     string             `json:"job_id"`
	Title     string             `json:"title"`
	Topic     string             `json:"topic"`
	Language  string             `json:"language"`
	CreatedAt time.Time          `json:"created_at"`
	Steps     []ManifestStep     `json:"steps"`
	Exports   []ManifestArtifact `json:"exports"`
}

// ManifestStep is one step in the manifest.
type ManifestStep struct {
	Name      content.Format     `json:"name"`
	Status    StepStatus         `json:"status"`
	Error     *StepError         `json:"error,omitempty"`
	Artifacts []ManifestArtifact `json:"artifacts"`
}

// ManifestArtifact is one file in the manifest.
type ManifestArtifact struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size,omitempty"`
	MD5         string `json:"md5,omitempty"`
}

// Execute implements Executor.
func (e AssembleExecutor) Execute(ctx context.Context, t *Task) (*Output, error) {
	if e.Caches != nil {
		if err := e.Caches.DeleteJobCache(ctx, t.Job.ID); err != nil {
			// It expires by itself; a failure here costs storage, not the job.
			logging.From(ctx).WarnContext(ctx, "delete the job's context cache failed", "error", err.Error())
		}
	}
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	steps, err := t.Steps(ctx)
	if err != nil {
		return nil, err
	}
	bundle := export.Bundle{Topic: req.Topic, Title: req.Topic}
	m := Manifest{JobID: t.Job.ID, Title: req.Topic, Topic: req.Topic, Language: req.Language, CreatedAt: t.Job.CreatedAt}
	for _, f := range t.Job.Formats {
		i := slices.IndexFunc(steps, func(s *Step) bool { return s.Name == f })
		if f == content.FormatPackage || i < 0 {
			continue
		}
		s := steps[i]
		ms := ManifestStep{Name: s.Name, Status: s.Status, Error: s.Error, Artifacts: []ManifestArtifact{}}
		for _, a := range s.Artifacts {
			ms.Artifacts = append(ms.Artifacts, ManifestArtifact{Name: a.Name, ContentType: a.ContentType, Size: a.Size, MD5: a.MD5})
		}
		m.Steps = append(m.Steps, ms)
		if s.Status != StepSucceeded || s.Kind != content.KindText {
			continue
		}
		raw, err := t.Doc(ctx, f)
		if err != nil {
			return nil, err
		}
		doc, err := content.ValidateText(f, raw, content.Expect{})
		if err != nil {
			return nil, ai.Permanent("invalid_input", fmt.Errorf("stored %s: %w", f, err))
		}
		if o, ok := doc.(*content.Outline); ok {
			bundle.Title, m.Title = o.Title, o.Title
		}
		bundle.Docs = append(bundle.Docs, export.Doc{Format: f, Value: doc})
	}
	md := export.Markdown(bundle)
	page := export.HTML(bundle) // sanitized: model output is never trusted as HTML
	m.Exports = []ManifestArtifact{
		{Name: BundleMarkdown, ContentType: "text/markdown; charset=utf-8", Size: int64(len(md))},
		{Name: BundleHTML, ContentType: "text/html; charset=utf-8", Size: int64(len(page))},
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, ai.Permanent("internal", err)
	}
	return &Output{Files: []File{
		{Name: BundleMarkdown, ContentType: "text/markdown; charset=utf-8", Data: md},
		{Name: BundleHTML, ContentType: "text/html; charset=utf-8", Data: page},
		{Name: ManifestName, ContentType: "application/json", Data: manifest},
	}}, nil
}
