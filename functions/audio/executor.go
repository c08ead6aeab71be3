package audio

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/export/chapters"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
)

// Artifact names of the narration besides the audio itself.
const (
	AudioInfo     = "audio.json"
	TranscriptVTT = "transcript.vtt"
	// ChaptersJSON is the chapters export (Podcasting 2.0); the MP3
	// carries the same chapters as ID3 frames.
	ChaptersJSON = "chapters.json"
)

// Executor narrates the podcast script and stores the audio, its
// WebVTT transcript and a description (audio.json: the file, its voices,
// the style, the requested target_minutes and the bounds the narration
// must land within, and the measured_minutes of the audio; a narration
// outside its bounds is logged).
type Executor struct {
	Synth ai.Synthesizer
}

// Execute implements pipeline.Executor.
func (e Executor) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
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
	out := &pipeline.Output{Calls: res.Calls}
	if err != nil {
		return out, err
	}
	var name string
	switch res.MIMEType {
	case "audio/flac":
		name = "podcast.flac"
	case "audio/mpeg":
		name = "podcast.mp3"
	default:
		return out, ai.Permanentf("invalid_output", "the audio is %q, not audio/flac or audio/mpeg", res.MIMEType)
	}
	if len(res.Audio) == 0 || res.Duration <= 0 {
		return out, ai.Permanentf("invalid_output", "the audio is empty")
	}
	length := req.Podcast.Length()
	measured := math.Round(res.Duration.Minutes()*100) / 100
	if !length.Contains(res.Duration.Minutes()) {
		logging.From(ctx).WarnContext(ctx, "the narration is not as long as asked",
			"measured_minutes", measured, "min_minutes", length.Min, "max_minutes", length.Max)
	}
	info, _ := json.MarshalIndent(map[string]any{
		"file": name, "mime_type": res.MIMEType, "duration_seconds": res.Duration.Seconds(),
		"voices": res.Voices, "turns": len(res.Cues),
		"style": req.Podcast.StyleOrDefault(), "target_minutes": req.Podcast.TargetMinutes,
		"min_minutes": length.Min, "max_minutes": length.Max, "measured_minutes": measured,
	}, "", "  ")
	audio := res.Audio
	var extra []pipeline.File
	if req.WantsExport(content.ExportChapters) {
		// The outline names the chapters; without it the chapters are the
		// intro and the conversation.
		outline, err := t.Outline(ctx)
		if err != nil {
			outline = nil
		}
		chs, err := chapters.Make(script, outline, res.Cues)
		var js []byte
		if err == nil {
			js, err = chapters.JSON(chs)
		}
		if err != nil {
			// The narration is good without its chapters.
			logging.From(ctx).WarnContext(ctx, "the podcast's chapters were not made", "error", err.Error())
		} else {
			extra = append(extra, pipeline.File{Name: ChaptersJSON, ContentType: chapters.ContentType, Data: js})
		}
		if err == nil && res.MIMEType == "audio/mpeg" {
			// The chapter frames go before the first audio frame; FLAC
			// players read no ID3 chapters.
			audio = append(chapters.ID3(chs), res.Audio...)
		}
	}
	out.Files = append([]pipeline.File{
		{Name: name, ContentType: res.MIMEType, Data: audio},
		{Name: TranscriptVTT, ContentType: "text/vtt; charset=utf-8", Data: export.WebVTT(res.Cues)},
		{Name: AudioInfo, ContentType: "application/json", Data: info},
	}, extra...)
	return out, nil
}
