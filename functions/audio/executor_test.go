package audio_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/audio"
	"contentfactory.dev/factory/functions/sources"
	"contentfactory.dev/factory/functions/text"
	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/offline/extract"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/ingest"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
)

// readSources reads a job's text sources into passages, as ReadSources
// does (no uploads or links here).
var readSources = sources.Executor{Reader: &ingest.Reader{Limits: content.DefaultSourceLimits}}

// withScript is a job asking for audio, its podcast script already made.
func withScript(t *testing.T) (*pipelinetest.Memory, *pipeline.Job) {
	t.Helper()
	m := pipelinetest.NewMemory()
	job, err := m.Submit(t.Context(), content.Request{Topic: "Tides and the Moon", SourceText: "The Moon pulls the oceans. Tides rise twice a day.",
		Formats: []content.Format{content.FormatAudio}, Podcast: &content.PodcastOptions{TargetMinutes: 1}})
	require.NoError(t, err)
	s, err := m.Run(t.Context(), job.ID, content.FormatSources, readSources)
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "the source text is read first")
	for _, f := range []content.Format{content.FormatOutline, content.FormatPodcastScript} {
		s, err := m.Run(t.Context(), job.ID, f, text.Executor{Gen: &extract.Text{}, MaxRepairs: 2})
		require.NoError(t, err)
		require.Equal(t, pipeline.StepSucceeded, s.Status)
	}
	return m, job
}

// voice answers fixed audio for every turn of the script it is given.
type voice struct {
	mime string
	seen ai.SpeechRequest
}

func (v *voice) Synthesize(_ context.Context, req ai.SpeechRequest) (ai.SpeechResult, error) {
	v.seen = req
	res := ai.SpeechResult{Audio: []byte("ID3 fake audio"), MIMEType: v.mime, Duration: 42 * time.Second, Voices: map[string]string{}}
	at := time.Duration(0)
	for _, turn := range req.Script.Turns {
		res.Cues = append(res.Cues, ai.Cue{Speaker: turn.Speaker, Text: turn.Text, Start: at, End: at + time.Second})
		res.Voices[turn.Speaker] = "en-US-Voice-" + turn.Speaker
		at += time.Second
	}
	return res, nil
}

func TestTheNarrationIsStoredWithItsTranscript(t *testing.T) {
	m, job := withScript(t)
	v := &voice{mime: "audio/mpeg"}
	s, err := m.Run(t.Context(), job.ID, content.FormatAudio, audio.Executor{Synth: v})
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	names := map[string]string{}
	for _, a := range s.Artifacts {
		names[a.Name] = a.ContentType
	}
	assert.Equal(t, map[string]string{"podcast.mp3": "audio/mpeg", audio.TranscriptVTT: "text/vtt; charset=utf-8", audio.AudioInfo: "application/json"}, names)
	vtt, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatAudio, audio.TranscriptVTT))
	require.NoError(t, err)
	assert.Contains(t, string(vtt), "WEBVTT")
	assert.Contains(t, string(vtt), v.seen.Script.Turns[0].Text)
	raw, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatAudio, audio.AudioInfo))
	require.NoError(t, err)
	var info map[string]any
	require.NoError(t, json.Unmarshal(raw, &info))
	assert.InDelta(t, 42, info["duration_seconds"], 0.01)
	assert.NotNil(t, v.seen.Parts, "the narration keeps its parts for a retry")
}

func TestAudioOfAnUnknownTypeFailsTheStep(t *testing.T) {
	m, job := withScript(t)
	s, err := m.Run(t.Context(), job.ID, content.FormatAudio, audio.Executor{Synth: &voice{mime: "audio/ogg"}})
	require.NoError(t, err, "a permanent failure is acknowledged")
	assert.Equal(t, pipeline.StepFailed, s.Status)
	assert.Equal(t, "invalid_output", s.Error.Code)
	assert.Empty(t, s.Artifacts)
}
