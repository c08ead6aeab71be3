package ttstest_test

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	texttospeech "cloud.google.com/go/texttospeech/apiv1"
	"cloud.google.com/go/texttospeech/apiv1/texttospeechpb"
	gomp3 "github.com/hajimehoshi/go-mp3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/shared/ai/tts/mp3"
)

func client(t *testing.T, srv *ttstest.Server) *texttospeech.Client {
	t.Helper()
	c, err := texttospeech.NewClient(t.Context(), option.WithEndpoint(srv.Addr), option.WithoutAuthentication(),
		option.WithGRPCDialOption(grpc.WithTransportCredentials(insecure.NewCredentials())))
	require.NoError(t, err)
	c.CallOptions.SynthesizeSpeech = nil
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func say(t *testing.T, c *texttospeech.Client, text string, rate int32) (*texttospeechpb.SynthesizeSpeechResponse, error) {
	t.Helper()
	return c.SynthesizeSpeech(t.Context(), &texttospeechpb.SynthesizeSpeechRequest{
		Input:       &texttospeechpb.SynthesisInput{InputSource: &texttospeechpb.SynthesisInput_Text{Text: text}},
		Voice:       &texttospeechpb.VoiceSelectionParams{LanguageCode: "en-US", Name: "en-US-Chirp3-HD-Kore"},
		AudioConfig: &texttospeechpb.AudioConfig{AudioEncoding: texttospeechpb.AudioEncoding_MP3, SampleRateHertz: rate},
	})
}

func TestAnswersDecodableMP3ThatGrowsWithTheText(t *testing.T) {
	t.Parallel()
	srv := ttstest.NewServer(ttstest.Options{})
	defer srv.Close()
	c := client(t, srv)
	for _, rate := range []int32{0, 24000, 48000, 44100} {
		var last time.Duration
		for _, words := range []int{1, 10, 100} {
			resp, err := say(t, c, strings.Repeat("word ", words), rate)
			require.NoError(t, err)
			a, err := mp3.Parse(resp.GetAudioContent())
			require.NoError(t, err)
			assert.Greater(t, a.Duration(), last, "longer text, longer audio")
			assert.InDelta(t, float64(words)*0.04, a.Duration().Seconds(), 0.05, "0.4 s per 10 words")
			last = a.Duration()
			dec, err := gomp3.NewDecoder(bytes.NewReader(resp.GetAudioContent()))
			require.NoError(t, err)
			pcm, err := io.ReadAll(dec)
			require.NoError(t, err)
			assert.GreaterOrEqual(t, int64(len(pcm)), a.Samples*4, "decodes to at least its frames")
		}
	}
	reqs := srv.Requests()
	require.Len(t, reqs, 12)
	assert.Equal(t, "en-US-Chirp3-HD-Kore", reqs[0].Voice)
	assert.Equal(t, ttstest.Marker("word "), reqs[0].Marker)
}

func TestRejectsInputOverTheLimitLikeTheService(t *testing.T) {
	t.Parallel()
	srv := ttstest.NewServer(ttstest.Options{})
	defer srv.Close()
	c := client(t, srv)
	_, err := say(t, c, strings.Repeat("é", 2500), 0) // 5,000 bytes
	require.NoError(t, err)
	_, err = say(t, c, strings.Repeat("é", 2500)+"a", 0)
	assert.Equal(t, codes.InvalidArgument, status.Code(err))
	assert.Contains(t, err.Error(), "5000 bytes")
}

func TestInjectsFaultsAndLatency(t *testing.T) {
	t.Parallel()
	opts, err := ttstest.OptionsFrom(func(k string) string {
		return map[string]string{
			ttstest.EnvFaults:  "resource_exhausted,times=2,retry_after=2s;unavailable,times=1",
			ttstest.EnvLatency: "50ms",
		}[k]
	})
	require.NoError(t, err)
	srv := ttstest.NewServer(opts)
	defer srv.Close()
	c := client(t, srv)
	start := time.Now()
	var got []codes.Code
	for range 4 {
		_, err := say(t, c, "hello", 0)
		got = append(got, status.Code(err))
	}
	assert.Equal(t, []codes.Code{codes.ResourceExhausted, codes.ResourceExhausted, codes.Unavailable, codes.OK}, got)
	assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)

	_, err = ttstest.ParseFaults("exploded")
	assert.Error(t, err)
}

func TestFaultSpecsRoundTrip(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{
		// docs/models.md, the package doc and the chaos soak
		"resource_exhausted,times=2,retry_after=1s;unavailable,p=0.05",
		"resource_exhausted,times=2,retry_after=1s;unavailable,p=0.1,voice=V",
		"resource_exhausted,times=1;unavailable,times=1;resource_exhausted,p=0.2,retry_after=1s;unavailable,p=0.05",
		"RESOURCE_EXHAUSTED;deadline_exceeded,voice=en-US-Chirp3-HD-Kore",
	} {
		faults, err := ttstest.ParseFaults(spec)
		require.NoError(t, err, spec)
		written, err := ttstest.FormatFaults(faults)
		require.NoError(t, err)
		again, err := ttstest.ParseFaults(written)
		require.NoError(t, err, written)
		assert.Equal(t, faults, again, "%s written as %s", spec, written)
	}
	faults, err := ttstest.ParseFaults("Resource_Exhausted,times=2")
	require.NoError(t, err)
	assert.Equal(t, []ttstest.Fault{{Code: codes.ResourceExhausted, Times: 2}}, faults, "a code is named in any case")
	written, err := ttstest.FormatFaults(faults)
	require.NoError(t, err)
	assert.Equal(t, "resource_exhausted,times=2", written)
	_, err = ttstest.ParseFaults("unavailable,voice")
	assert.Error(t, err)
}
