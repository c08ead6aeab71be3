package audio_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
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

// voice answers fixed audio for every turn of the script it is given;
// its audio fails to write, after writing some, while failWrites > 0.
type voice struct {
	mime       string
	seen       ai.SpeechRequest
	failWrites int
}

// errLostPart is the failure of a voice's audio.
var errLostPart = errors.New("a part is gone")

func (v *voice) Synthesize(_ context.Context, req ai.SpeechRequest) (ai.SpeechResult, error) {
	v.seen = req
	write := func(_ context.Context, w io.Writer) error {
		if _, err := io.WriteString(w, "ID3 fake"); err != nil {
			return err
		}
		if v.failWrites > 0 {
			v.failWrites--
			return errLostPart
		}
		_, err := io.WriteString(w, " audio")
		return err
	}
	res := ai.SpeechResult{Audio: write, MIMEType: v.mime, Duration: 42 * time.Second, Voices: map[string]string{}}
	at := time.Duration(0)
	host := req.Script.Speakers[0].Name
	parts := append(append([]content.Turn{{Speaker: host, Text: req.Script.Intro}}, req.Script.Turns...), content.Turn{Speaker: host, Text: req.Script.Outro})
	for _, turn := range parts {
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
	assert.Equal(t, map[string]string{"podcast.mp3": "audio/mpeg", audio.TranscriptVTT: "text/vtt; charset=utf-8", audio.AudioInfo: "application/json",
		audio.ChaptersJSON: "application/json+chapters"}, names)
	mp3, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatAudio, audio.Podcast))
	require.NoError(t, err)
	raw, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatAudio, audio.ChaptersJSON))
	require.NoError(t, err)
	var chs struct {
		Chapters []struct {
			Title     string  `json:"title"`
			StartTime float64 `json:"startTime"`
		} `json:"chapters"`
	}
	require.NoError(t, json.Unmarshal(raw, &chs))
	require.NotEmpty(t, chs.Chapters)
	assert.Equal(t, v.seen.Script.Title, chs.Chapters[0].Title)
	assert.True(t, bytes.HasPrefix(mp3, []byte("ID3\x03")), "the MP3 opens with its chapter frames")
	assert.Equal(t, len(chs.Chapters), bytes.Count(mp3, []byte("CHAP")))
	assert.True(t, bytes.HasSuffix(mp3, []byte("ID3 fake audio")), "the audio follows unchanged")
	vtt, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatAudio, audio.TranscriptVTT))
	require.NoError(t, err)
	assert.Contains(t, string(vtt), "WEBVTT")
	assert.Contains(t, string(vtt), v.seen.Script.Turns[0].Text)
	raw, err = m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatAudio, audio.AudioInfo))
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

func TestNoChaptersUnlessAsked(t *testing.T) {
	m := pipelinetest.NewMemory()
	job, err := m.Submit(t.Context(), content.Request{Topic: "Tides and the Moon", SourceText: "The Moon pulls the oceans. Tides rise twice a day.",
		Formats: []content.Format{content.FormatAudio}, Exports: []content.Export{content.ExportPDF}, Podcast: &content.PodcastOptions{TargetMinutes: 1}})
	require.NoError(t, err)
	s, err := m.Run(t.Context(), job.ID, content.FormatSources, readSources)
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	for _, f := range []content.Format{content.FormatOutline, content.FormatPodcastScript} {
		_, err := m.Run(t.Context(), job.ID, f, text.Executor{Gen: &extract.Text{}, MaxRepairs: 2})
		require.NoError(t, err)
	}
	s, err = m.Run(t.Context(), job.ID, content.FormatAudio, audio.Executor{Synth: &voice{mime: "audio/mpeg"}})
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	for _, a := range s.Artifacts {
		assert.NotEqual(t, audio.ChaptersJSON, a.Name)
	}
	mp3, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatAudio, audio.Podcast))
	require.NoError(t, err)
	assert.Equal(t, []byte("ID3 fake audio"), mp3, "no chapter tag")
}

// A podcast whose writing fails part way stores nothing under its name
// and retries the step; the retry stores the whole podcast, and the step
// records its size and MD5.
func TestAFailedPodcastWriteLeavesNoHalfPodcast(t *testing.T) {
	m, job := withScript(t)
	v := &voice{mime: "audio/mpeg", failWrites: 1}
	s, err := m.Run(t.Context(), job.ID, content.FormatAudio, audio.Executor{Synth: v})
	require.ErrorIs(t, err, errLostPart, "the delivery is retried")
	assert.Equal(t, pipeline.StepQueued, s.Status)
	assert.Equal(t, "storage_unavailable", s.Error.Code)
	_, err = m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatAudio, audio.Podcast))
	require.ErrorIs(t, err, pipeline.ErrNotFound, "no half podcast under the final name")

	s, err = m.Run(t.Context(), job.ID, content.FormatAudio, audio.Executor{Synth: v})
	require.NoError(t, err)
	require.Equal(t, pipeline.StepSucceeded, s.Status, "%+v", s.Error)
	mp3, err := m.Blobs.Read(t.Context(), pipeline.ArtifactPath(job.ID, content.FormatAudio, audio.Podcast))
	require.NoError(t, err)
	require.True(t, bytes.HasSuffix(mp3, []byte("ID3 fake audio")))
	a, ok := pipeline.Find([]*pipeline.Step{s}, audio.Podcast)
	require.True(t, ok)
	sum := md5.Sum(mp3)
	assert.Equal(t, int64(len(mp3)), a.Size)
	assert.Equal(t, base64.StdEncoding.EncodeToString(sum[:]), a.MD5)
}
