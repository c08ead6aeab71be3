// Package e2e runs the whole factory as `make run` does, one process per
// function behind real Pub/Sub push, and checks what comes out.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"contentfactory.dev/factory/functions/assemble"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/intake"
	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/shared/ai/aitest"
	"contentfactory.dev/factory/shared/ai/tts/mp3"
	"contentfactory.dev/factory/shared/analytics"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/store"
	"contentfactory.dev/factory/test/e2e/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// TestWholePipeline runs twice: on the offline backends, and on the Vertex
// AI and Text-to-Speech backends (the real client libraries) against their
// wire-level fakes.
func TestWholePipeline(t *testing.T) {
	for _, mode := range []struct {
		name string
		opts devstack.Options
	}{
		{"offline", devstack.Options{}},
		{"vertex", devstack.Options{AI: "vertex", FakeAI: true}},
	} {
		t.Run(mode.name, func(t *testing.T) { wholePipeline(t, mode.name, mode.opts) })
	}
}

func wholePipeline(t *testing.T, backend string, opts devstack.Options) {
	links := newLinkSite(t)
	opts.TestLinks = links.spec
	s := stacktest.Start(t, opts)
	ctx := context.Background()

	// One job over HTTPS with a one-page source, one shorter job, one from
	// an uploaded PDF and a link, and one request from another system on
	// content-requests.
	long := stacktest.Fixture(t, "photosynthesis.json")
	short := map[string]any{
		"topic":       "Why the sky is blue",
		"source_text": "Sunlight is scattered by the molecules of the air. Blue light is scattered more than red light because it has a shorter wavelength. This effect is called Rayleigh scattering.",
		"podcast":     map[string]any{"target_minutes": 1},
	}
	started := time.Now()
	longID := s.Submit(t, long)
	shortID := s.Submit(t, short)
	filesID := submitFromFiles(t, s)
	_, err := s.Stack.Publish(ctx, queue.TopicRequests, stacktest.JSON(t, map[string]any{"topic": "Volcanoes of Iceland", "formats": []string{"faqs", "image"}}),
		map[string]string{"owner": devstack.DevOwner, "request_id": "e2e-request-1"})
	require.NoError(t, err)
	intakeID := intake.JobID(devstack.DevOwner, "e2e-request-1")

	jobs := map[string]*client.Job{}
	for _, id := range []string{longID, shortID, filesID, intakeID} {
		jobs[id] = s.Wait(t, id, 3*time.Minute)
	}
	t.Logf("four jobs ended in %s", time.Since(started).Round(time.Millisecond))

	for id, j := range jobs {
		assert.Equal(t, client.JobSucceeded, j.Status, "job %s: %s", id, stacktest.Describe(j))
		assert.Equal(t, 1.0, j.Progress)
		for _, st := range j.Steps {
			if st.Name == content.FormatTimeline && st.Status == client.StepNotApplicable {
				continue // its sources hold no dates: checked below
			}
			assert.Equal(t, client.StepSucceeded, st.Status, "job %s step %s", id, st.Name)
		}
		stored, err := store.New(s.Stack.Firestore).Job(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, pipeline.JobSucceeded, stored.Status, "the job document")
		assert.Equal(t, 1.0, stored.Progress, "the job document")
		assert.Equal(t, devstack.DevOwner, stored.Owner)
	}
	assert.Len(t, jobs[longID].Steps, len(content.Formats()), "the source text is read into passages, then every format is made")
	// The photosynthesis source holds no dates: no timeline, and the job
	// succeeded all the same.
	tl, ok := jobs[longID].Step(content.FormatTimeline)
	require.True(t, ok)
	assert.Equal(t, client.StepNotApplicable, tl.Status)
	require.NotNil(t, tl.Error)
	assert.Equal(t, "not_applicable", tl.Error.Code)
	assert.Contains(t, tl.Error.Message, "no dates")
	assert.Equal(t, "api", mustJob(t, s, longID).Origin)
	assert.Equal(t, "pubsub", mustJob(t, s, intakeID).Origin)
	assert.Equal(t, []string{"outline", "faqs", "image", "package"}, stacktest.StepNames(jobs[intakeID]))

	longAudio := checkArtifacts(t, s, longID, true)
	shortAudio := checkArtifacts(t, s, shortID, false)
	checkArtifacts(t, s, intakeID, false)
	checkArtifacts(t, s, filesID, false)
	t.Run("a job from an uploaded PDF and a link", func(t *testing.T) { checkFromFiles(t, s, backend, jobs[filesID]) })
	t.Run("a job without sources says its documents are ungrounded", func(t *testing.T) {
		for _, f := range []content.Format{content.FormatOutline, content.FormatFAQs} {
			st, ok := jobs[intakeID].Step(f)
			require.True(t, ok, f)
			if assert.NotNil(t, st.Quality, "%s is scored", f) {
				assert.Nil(t, st.Quality.Grounding, "%s: nothing to check its claims against", f)
			}
			codes := []string{}
			for _, w := range st.Warnings {
				codes = append(codes, w.Code)
			}
			assert.Contains(t, codes, pipeline.WarnUngrounded, f)
		}
	})
	if backend == "offline" {
		assert.Greater(t, longAudio.words, shortAudio.words, "the longer source makes a longer script")
	}
	assert.Equal(t, longAudio.words > shortAudio.words, longAudio.duration > shortAudio.duration, "the longer script makes the longer audio")
	t.Logf("audio: %d words → %s; %d words → %s", longAudio.words, longAudio.duration, shortAudio.words, shortAudio.duration)

	t.Run("one trace follows a job through every function", func(t *testing.T) {
		traces := map[string]bool{}
		for _, fn := range []string{"API", "ReadSources", "GenerateText", "GenerateImage", "SynthesizeAudio", "AssembleJob"} {
			lines := s.Logged(t, fn, func(l map[string]any) bool { return l["job_id"] == longID })
			require.NotEmpty(t, lines, fn)
			for _, l := range lines {
				tr, _ := l["logging.googleapis.com/trace"].(string)
				assert.NotEmpty(t, tr, "%s: %v", fn, l["message"])
				traces[tr] = true
			}
		}
		assert.Len(t, traces, 1, "every line of the job carries the same trace")
	})

	t.Run("every model call is logged with its usage", func(t *testing.T) {
		calls := s.Logged(t, "GenerateText", func(l map[string]any) bool { return l["job_id"] == longID && l["message"] == "model call" })
		var paid int64
		for _, f := range content.TextFormats() {
			st, ok := jobs[longID].Step(f)
			require.True(t, ok, f)
			if f == content.FormatTimeline {
				assert.Equal(t, client.StepNotApplicable, st.Status, "the long job's sources hold too few dates")
				assert.Zero(t, st.Usage.Calls, "a timeline that did not apply called no model")
				continue
			}
			assert.Positive(t, st.Usage.Calls, "%s made its document with a call", f)
			paid += st.Usage.Calls
		}
		assert.Len(t, calls, int(paid), "every call a text step paid for (its documents, repairs and grounding checks) is logged")
		for _, c := range calls {
			assert.Equal(t, backend, c["backend"])
			assert.NotEmpty(t, c["model"])
			assert.Contains(t, c, "output_tokens")
			assert.Contains(t, c, "duration_ms")
			assert.Contains(t, c, "step")
		}
	})

	if backend == "vertex" {
		t.Run("a long source is cached once for its job and dropped when the job ends", func(t *testing.T) {
			before := len(s.Stack.Vertex.Requests())
			var src strings.Builder
			for i := 0; src.Len() < 40_000; i++ {
				fmt.Fprintf(&src, "Paragraph %d explains how glaciers carve valleys, move sediment and leave moraines behind. ", i)
			}
			id := s.Submit(t, map[string]any{"topic": "Glaciers", "source_text": src.String(), "formats": []string{"faqs", "flashcards", "study_guide"}})
			j := s.Wait(t, id, 2*time.Minute)
			require.Equal(t, client.JobSucceeded, j.Status, stacktest.Describe(j))
			kinds := map[string]int{}
			written := map[string]int{}
			for _, r := range s.Stack.Vertex.Requests()[before:] {
				kinds[r.Kind]++
				g, err := r.Generate()
				if err != nil || r.Kind != "generate" {
					continue
				}
				var body struct {
					Labels map[string]string `json:"labels"`
				}
				require.NoError(t, json.Unmarshal(r.Body, &body))
				if step := body.Labels["step"]; !strings.HasSuffix(step, "-check") {
					written[step]++
					assert.NotEmpty(t, g.CachedContent, "every call writing a document uses the cache")
				}
			}
			assert.Equal(t, 1, kinds["cache.create"], "one cache per job")
			assert.Equal(t, 1, kinds["cache.delete"], "deleted when the job ended")
			for _, f := range []string{"outline", "faqs", "flashcards", "study_guide"} {
				assert.Positive(t, written[f], "%s was written", f)
			}
			assert.Len(t, written, 4, "outline and three formats")
		})
	}

	t.Run("artifact links download through signed URLs", func(t *testing.T) {
		j := jobs[shortID]
		for _, a := range j.Artifacts {
			got := s.Artifact(t, shortID, a.Name)
			want := s.Object(t, shortID, string(a.Step), a.Name)
			assert.Equal(t, want, got, a.Name)
		}
	})

	t.Run("redelivering a finished step's message changes nothing", func(t *testing.T) {
		before := snapshot(t, s, longID)
		for _, step := range []string{"outline", "faqs", "image", "audio", "package"} {
			kind := content.MustLookup(content.Format(step)).Kind
			env := queue.Envelope{V: queue.Version, JobID: longID, Step: step}
			_, err := s.Stack.Publish(ctx, queue.TopicFor(kind), env.Encode(), nil)
			require.NoError(t, err)
		}
		s.WaitLogged(t, "GenerateText", "step already ended", 2, 30*time.Second)
		s.WaitLogged(t, "AssembleJob", "step already ended", 1, 30*time.Second)
		assert.Equal(t, before, snapshot(t, s, longID))
	})

	t.Run("a duplicate request from another system makes no second job", func(t *testing.T) {
		_, err := s.Stack.Publish(ctx, queue.TopicRequests, stacktest.JSON(t, map[string]any{"topic": "Volcanoes of Iceland", "formats": []string{"faqs", "image"}}),
			map[string]string{"owner": devstack.DevOwner, "request_id": "e2e-request-1"})
		require.NoError(t, err)
		s.WaitLogged(t, "Intake", "request already has its job", 1, 30*time.Second)
	})

	t.Run("an invalid request from another system is recorded and acknowledged", func(t *testing.T) {
		id, err := s.Stack.Publish(ctx, queue.TopicRequests, []byte(`{"topic": "no", "formats": ["essay"]}`), nil)
		require.NoError(t, err)
		var rej *store.Rejection
		require.Eventually(t, func() bool {
			rej, err = store.New(s.Stack.Firestore).Rejection(ctx, id)
			return err == nil
		}, 30*time.Second, 200*time.Millisecond)
		assert.Equal(t, "invalid_request", rej.Code)
		assert.Contains(t, rej.Reason, "topic")
		assert.Len(t, rej.Errors, 2)
		time.Sleep(3 * time.Second) // a nack would be redelivered within about a second
		assert.Equal(t, 1, s.CountLogged(t, "Intake", "content request rejected"), "delivered once: acknowledged")
	})
}

func mustJob(t *testing.T, s *stacktest.Stack, id string) *pipeline.Job {
	t.Helper()
	j, err := store.New(s.Stack.Firestore).Job(context.Background(), id)
	require.NoError(t, err)
	return j
}

type audioFacts struct {
	words    int
	duration time.Duration
}

// checkArtifacts checks that every artifact of a job is stored with the
// right content type and is valid, and returns facts about its audio.
func checkArtifacts(t *testing.T, s *stacktest.Stack, id string, epubcheck bool) audioFacts {
	t.Helper()
	ctx := context.Background()
	st := store.New(s.Stack.Firestore)
	req, err := st.Request(ctx, id)
	require.NoError(t, err)
	steps, err := st.Steps(ctx, id)
	require.NoError(t, err)
	m := made{epubcheck: epubcheck}
	var facts audioFacts
	succeeded := map[content.Format]bool{}
	for _, step := range steps {
		succeeded[step.Name] = step.Status == pipeline.StepSucceeded
	}
	for _, step := range steps {
		if step.Status == pipeline.StepNotApplicable {
			assert.Empty(t, step.Artifacts, "%s did not apply and made nothing", step.Name)
			continue
		}
		require.NotEmpty(t, step.Artifacts, step.Name)
		for _, a := range step.Artifacts {
			data := s.Object(t, id, string(step.Name), a.Name)
			obj := s.Stack.Storage
			o, err := obj.GetObject(s.Stack.Bucket, a.Path)
			require.NoError(t, err)
			assert.Equal(t, a.ContentType, o.ContentType, a.Name)
			assert.Equal(t, int64(len(data)), a.Size, a.Name)
			switch {
			case a.Name == pipeline.DocName(step.Name) && step.Kind == content.KindText:
				assert.Equal(t, "application/json", a.ContentType)
				doc, err := content.ValidateText(step.Name, data, content.Expect{Request: req, Outline: m.outline})
				require.NoError(t, err, "%s passes its validator", step.Name)
				switch d := doc.(type) {
				case *content.Outline:
					m.outline = d
				case *content.Flashcards:
					m.cards = d
				case *content.Quiz:
					m.quiz = d
				case *content.PodcastScript:
					facts.words = d.Words()
				}
			case strings.HasSuffix(a.Name, ".png"):
				assert.Equal(t, "image/png", a.ContentType)
				img, err := png.Decode(bytes.NewReader(data))
				require.NoError(t, err, "the cover decodes")
				b := img.Bounds()
				assert.InDelta(t, 16.0/9, float64(b.Dx())/float64(b.Dy()), 0.02, "the requested aspect ratio")
			case strings.HasSuffix(a.Name, ".mp3"):
				assert.Equal(t, "audio/mpeg", a.ContentType)
				audio, err := mp3.Parse(data)
				require.NoError(t, err, "the audio's frames are whole")
				facts.duration = audio.Duration()
				assert.Greater(t, facts.duration, 5*time.Second)
				decoded, err := aitest.AudioDuration(a.ContentType, data)
				require.NoError(t, err, "the audio decodes")
				assert.InDelta(t, facts.duration.Seconds(), decoded.Seconds(), 0.1, "a decoder plays what the frames say")
				assert.Equal(t, a.Size, int64(len(data)), "the step records the stored size")
			case strings.HasSuffix(a.Name, ".vtt"):
				assert.True(t, strings.HasPrefix(string(data), "WEBVTT\n"))
			case a.Name == assemble.ManifestName:
				var m assemble.Manifest
				require.NoError(t, json.Unmarshal(data, &m))
				assert.Equal(t, id, m.JobID)
				assert.Len(t, m.Steps, len(steps)-1)
			case a.Name == assemble.BundleHTML:
				assert.Equal(t, "text/html; charset=utf-8", a.ContentType)
				page := string(data)
				assert.Contains(t, page, "<!DOCTYPE html>")
				assert.Contains(t, page, "default-src 'none'")
				assert.NotContains(t, strings.ToLower(page), "<script")
			case a.Name == assemble.BundleMarkdown:
				assert.True(t, strings.HasPrefix(string(data), "# "+m.outline.Title), "the bundle is titled")
				for _, f := range req.Formats {
					if content.MustLookup(f).Kind == content.KindText && succeeded[f] {
						assert.Contains(t, string(data), "## "+export.FormatTitle(req.Language, f))
					}
				}
			case checkExport(t, a.Name, data, m):
			default:
				assert.True(t, json.Valid(data), "%s is JSON", a.Name)
			}
		}
	}
	return facts
}

// snapshot is what must not change when a finished step is redelivered:
// every step document and every object generation.
func snapshot(t *testing.T, s *stacktest.Stack, id string) string {
	t.Helper()
	steps, err := store.New(s.Stack.Firestore).Steps(context.Background(), id)
	require.NoError(t, err)
	var b strings.Builder
	for _, st := range steps {
		j, _ := json.Marshal(st)
		b.Write(j)
		for _, a := range st.Artifacts {
			o, err := s.Stack.Storage.GetObject(s.Stack.Bucket, a.Path)
			require.NoError(t, err)
			fmt.Fprintf(&b, "\n%s gen %d", a.Path, o.Generation)
		}
	}
	return b.String()
}

func TestCommandLineClient(t *testing.T) {
	s := stacktest.Start(t, devstack.Options{Env: []string{"FACTORY_KEY_CACHE_TTL=1s"}})
	dir := t.TempDir()
	src := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(src, []byte("Glaciers are rivers of ice. A glacier forms where snow accumulates faster than it melts. Moraines are ridges of debris left by glaciers."), 0o644))
	run := func(args ...string) string {
		t.Helper()
		args = append(args, "--api", s.Stack.APIURL, "--key", s.Stack.DevKey)
		cmd := exec.Command(stacktest.Binary(), args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		return string(out)
	}
	out := run("submit", "--topic", "Glaciers", "--source", src, "--formats", "faqs,flashcards", "--watch")
	assert.Contains(t, out, "succeeded")
	var id string
	_, err := fmt.Sscanf(out, "job %s", &id)
	require.NoError(t, err)

	out = run("status", id)
	assert.Contains(t, out, "succeeded, 100%")
	req, err := http.NewRequest(http.MethodGet, s.Stack.APIURL+"/v1/jobs/"+id, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+s.Stack.DevKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, string(doc), run("status", id, "--json"), "--json prints the API's document as it was answered")
	out = run("fetch", id, "--out", "got")
	assert.Contains(t, out, "bundle.md")
	for _, name := range []string{"outline.json", "faqs.json", "flashcards.json", "manifest.json", "bundle.md", "bundle.html"} {
		b, err := os.ReadFile(filepath.Join(dir, "got", name))
		require.NoError(t, err, name)
		assert.NotEmpty(t, b)
	}
	assert.Contains(t, run("status"), id, "the list shows the job")

	// The analytics of the job events the stack kept, as BigQuery's views
	// compute them.
	var api client.Job
	require.NoError(t, json.Unmarshal(doc, &api))
	analyticsArgs := []string{"analytics", "--json", "--pubsub", s.Stack.PubSubHost, "--project", s.Stack.Project}
	var rep analytics.Report
	var report []byte
	require.Eventually(t, func() bool { // the job's event is published just after it ends
		report, err = cmd2(dir, analyticsArgs...)
		require.NoError(t, err, string(report))
		require.NoError(t, json.Unmarshal(report, &rep))
		return rep.Jobs == 1
	}, 30*time.Second, 500*time.Millisecond)
	day := api.CreatedAt.UTC().Format(time.DateOnly)
	require.Len(t, rep.CostByOwner, 1)
	assert.Equal(t, devstack.DevOwner, rep.CostByOwner[0].Owner)
	assert.Equal(t, day, rep.CostByOwner[0].Day)
	assert.InDelta(t, api.Usage.CostUSD, rep.CostByOwner[0].CostUSD, 1e-9)
	var formats []string
	for _, r := range rep.SuccessByFormat {
		formats = append(formats, r.Format)
		assert.Equal(t, 1.0, r.Rate, r.Format)
	}
	assert.ElementsMatch(t, []string{"sources", "outline", "faqs", "flashcards", "package"}, formats)
	require.Len(t, rep.JobTime, 1)
	assert.InDelta(t, api.FinishedAt.Sub(api.CreatedAt).Seconds(), rep.JobTime[0].P95Seconds, 1e-3, "one job: its own time")
	var prompted []string
	for _, p := range rep.PromptVersions {
		prompted = append(prompted, p.Step)
	}
	assert.Subset(t, prompted, []string{"faqs", "flashcards"}, "the text steps name their prompt versions")
	again, err := cmd2(dir, analyticsArgs...)
	require.NoError(t, err)
	assert.JSONEq(t, string(report), string(again), "reading the events does not consume them")

	// A file is uploaded (a signed PUT) and read as a source.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lecture.pdf"), glacierPDF(), 0o644))
	out = run("submit", "--topic", "Glaciers", "--upload", "lecture.pdf", "--formats", "faqs", "--watch")
	assert.Contains(t, out, "uploaded lecture.pdf as up_")
	assert.Contains(t, out, "succeeded")

	keys := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(stacktest.Binary(), append([]string{"keys"}, args...)...)
		cmd.Env = append(os.Environ(), "FIRESTORE_EMULATOR_HOST="+s.Stack.FirestoreHost, "GOOGLE_CLOUD_PROJECT="+s.Stack.Project)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, string(out))
		return string(out)
	}
	out = keys("create", "--owner", "eve", "--name", "ci")
	var keyID, plain string
	_, err = fmt.Sscanf(out[strings.Index(out, "(id "):], "(id %12s", &keyID)
	require.NoError(t, err, out)
	plain = strings.TrimSpace(out[strings.Index(out, "cfk_"):])
	status := func(key string) int {
		req, _ := http.NewRequest(http.MethodGet, s.Stack.APIURL+"/v1/jobs", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, status(plain), "the new key works")
	assert.Contains(t, keys("list", "--owner", "eve"), keyID)
	assert.Contains(t, keys("revoke", keyID), "revoked")
	time.Sleep(2 * time.Second) // instances trust a looked-up key FACTORY_KEY_CACHE_TTL long
	assert.Equal(t, http.StatusUnauthorized, status(plain), "a revoked key stops working")
}

// cmd2 runs the factory command in dir and returns its standard output.
func cmd2(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command(stacktest.Binary(), args...)
	cmd.Dir = dir
	return cmd.Output()
}
