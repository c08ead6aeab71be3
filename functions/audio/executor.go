package audio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/export/chapters"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
)

// Artifact names of the narration.
const (
	// Podcast is the narration: an MP3 whose ID3 tag holds the chapters
	// when they are asked for.
	Podcast       = "podcast.mp3"
	AudioInfo     = "audio.json"
	TranscriptVTT = "transcript.vtt"
	// ChaptersJSON is the chapters export (Podcasting 2.0); the MP3
	// carries the same chapters as ID3 frames.
	ChaptersJSON = "chapters.json"
)

// Executor narrates the podcast script and stores the audio (streamed to
// storage as the speech backend writes it, so it is never held whole), its
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
	if res.MIMEType != "audio/mpeg" {
		return out, ai.Permanentf("invalid_output", "the audio is %q, not audio/mpeg", res.MIMEType)
	}
	if res.Audio == nil || res.Duration <= 0 {
		return out, ai.Permanentf("invalid_output", "the audio is empty")
	}
	length := req.Podcast.Length()
	measured := math.Round(res.Duration.Minutes()*100) / 100
	if !length.Contains(res.Duration.Minutes()) {
		logging.From(ctx).WarnContext(ctx, "the narration is not as long as asked",
			"measured_minutes", measured, "min_minutes", length.Min, "max_minutes", length.Max)
	}
	info, _ := json.MarshalIndent(map[string]any{
		"file": Podcast, "mime_type": res.MIMEType, "duration_seconds": res.Duration.Seconds(),
		"voices": res.Voices, "turns": len(res.Cues),
		"style": req.Podcast.StyleOrDefault(), "target_minutes": req.Podcast.TargetMinutes,
		"min_minutes": length.Min, "max_minutes": length.Max, "measured_minutes": measured,
	}, "", "  ")
	var tag []byte
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
			// The chapter frames go before the first audio frame: the
			// cues are timed before a byte of audio is written.
			tag = chapters.ID3(chs)
		}
	}
	// The podcast is written to storage as it is read from the speech
	// backend, after the tag: never held whole.
	write := func(ctx context.Context, w io.Writer) error {
		if _, err := w.Write(tag); err != nil {
			return fmt.Errorf("write the chapters: %w", err)
		}
		return res.Audio(ctx, w)
	}
	out.Files = append([]pipeline.File{
		{Name: Podcast, ContentType: res.MIMEType, Write: write},
		{Name: TranscriptVTT, ContentType: "text/vtt; charset=utf-8", Data: export.WebVTT(res.Cues)},
		{Name: AudioInfo, ContentType: "application/json", Data: info},
	}, extra...)
	return out, nil
}
