package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/ratelimit"
)

// versioned makes every step's document from what it is given: its
// version, its instructions and the version of the document it is made
// from, so a test can see which versions fed which. It counts its runs.
type versioned struct {
	mu   sync.Mutex
	runs map[string]int // "step@version" → runs
}

func (v *versioned) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	v.mu.Lock()
	if v.runs == nil {
		v.runs = map[string]int{}
	}
	v.runs[fmt.Sprintf("%s@%d", t.Step.Name, t.Step.CurrentVersion())]++
	v.mu.Unlock()
	doc := map[string]any{"step": t.Step.Name, "version": t.Step.CurrentVersion(), "instructions": t.Instructions()}
	if t.Step.Name != content.FormatOutline {
		raw, err := t.Doc(ctx, content.FormatOutline)
		if err != nil {
			return nil, err
		}
		var from map[string]any
		if err := json.Unmarshal(raw, &from); err != nil {
			return nil, err
		}
		doc["outline"] = from["version"]
	}
	data, _ := json.Marshal(doc)
	return &pipeline.Output{
		Files: []pipeline.File{{Name: pipeline.DocName(t.Step.Name), ContentType: "application/json", Data: data}},
		Calls: []ai.Call{{Backend: "fake", Model: "m", CostUSD: 0.25}},
	}, nil
}

func (v *versioned) count(key string) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.runs[key]
}

type steering struct {
	t    *testing.T
	m    *pipelinetest.Memory
	exec *versioned
	jobs *pipeline.Jobs
	r    *pipeline.Runner
}

func newSteering(t *testing.T, cfg pipeline.JobsConfig) *steering {
	m := pipelinetest.NewMemory()
	exec := &versioned{}
	cfg.Region = "local"
	return &steering{t: t, m: m, exec: exec, jobs: pipeline.NewJobs(m.Ports, cfg),
		r: pipeline.NewRunner(m.Ports, exec, pipeline.RunnerConfig{Region: "local", Limits: cfg.Limits, ReviewTTL: cfg.ReviewTTL})}
}

func (s *steering) submit(req content.Request) *pipeline.Job {
	s.t.Helper()
	req.ApplyDefaults()
	job, err := s.jobs.Submit(context.Background(), "owner", req, "api")
	require.NoError(s.t, err)
	return job
}

// drain delivers every published message until none is left.
func (s *steering) drain() {
	s.t.Helper()
	for msgs := s.m.Pub.Take(); len(msgs) > 0; msgs = s.m.Pub.Take() {
		for _, msg := range msgs {
			require.NoError(s.t, s.r.Run(context.Background(), msg))
		}
	}
}

func (s *steering) job(id string) *pipeline.Job {
	s.t.Helper()
	j, err := s.m.Store.Job(context.Background(), id)
	require.NoError(s.t, err)
	return j
}

func (s *steering) steps(id string) map[content.Format]*pipeline.Step {
	s.t.Helper()
	steps, err := s.m.Store.Steps(context.Background(), id)
	require.NoError(s.t, err)
	out := map[content.Format]*pipeline.Step{}
	for _, st := range steps {
		out[st.Name] = st
	}
	return out
}

func (s *steering) doc(id string, f content.Format) map[string]any {
	s.t.Helper()
	a, ok := pipeline.Find([]*pipeline.Step{s.steps(id)[f]}, pipeline.DocName(f))
	require.True(s.t, ok, "%s has its document", f)
	raw, err := s.m.Blobs.Read(context.Background(), a.Path)
	require.NoError(s.t, err)
	var d map[string]any
	require.NoError(s.t, json.Unmarshal(raw, &d))
	return d
}

func (s *steering) storeDoc(id string, f content.Format, version int, doc string) []pipeline.Artifact {
	s.t.Helper()
	o, err := s.m.Blobs.Create(context.Background(), pipeline.VersionPath(id, f, version, pipeline.DocName(f)), []byte(doc), "application/json")
	require.NoError(s.t, err)
	return []pipeline.Artifact{{Name: pipeline.DocName(f), Path: o.Path, ContentType: o.ContentType, Size: o.Size, Generation: o.Generation, MD5: o.MD5}}
}

func TestReviewPausesAfterTheOutlineUntilApproved(t *testing.T) {
	s := newSteering(t, pipeline.JobsConfig{})
	job := s.submit(content.Request{Topic: "Review me", Formats: []content.Format{content.FormatFAQs}, Review: "outline"})
	s.drain()

	j := s.job(job.ID)
	assert.Equal(t, pipeline.JobAwaitingReview, j.Status)
	steps := s.steps(job.ID)
	assert.Equal(t, pipeline.StepSucceeded, steps[content.FormatOutline].Status)
	assert.Equal(t, pipeline.StepPending, steps[content.FormatFAQs].Status, "nothing made from the outline runs before the approval")
	evs := s.m.Events.List()
	require.Len(t, evs, 1)
	assert.Equal(t, pipeline.EventAwaitingReview, evs[0].Type)
	assert.Equal(t, job.ID+":awaiting_review:1", evs[0].ID)

	// The reviewer edits the outline: a new version, still awaiting.
	arts := s.storeDoc(job.ID, content.FormatOutline, 2, `{"step": "outline", "version": 2, "edited": true}`)
	_, st, created, err := s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatOutline, Made: pipeline.MadeEdited, Artifacts: arts})
	require.NoError(t, err)
	assert.True(t, created)
	assert.Equal(t, 2, st.Version)
	assert.Equal(t, pipeline.JobAwaitingReview, s.job(job.ID).Status)
	assert.Empty(t, s.m.Pub.Take(), "nothing runs yet")

	// Other steps cannot change while it awaits review.
	_, _, _, err = s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatFAQs, Made: pipeline.MadeRegenerated})
	assert.ErrorIs(t, err, pipeline.ErrNotRevisable)

	_, err = s.jobs.Approve(context.Background(), job.ID)
	require.NoError(t, err)
	s.drain()
	assert.Equal(t, pipeline.JobSucceeded, s.job(job.ID).Status)
	assert.EqualValues(t, 2, s.doc(job.ID, content.FormatFAQs)["outline"], "the FAQs were made from the edited outline")
	assert.Equal(t, 1, s.exec.count("outline@1"))
	assert.Zero(t, s.exec.count("outline@2"), "an edit calls no model")

	_, err = s.jobs.Approve(context.Background(), job.ID)
	assert.NoError(t, err, "approving twice is harmless")
}

func TestAReviewNotApprovedInTimeExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSteering(t, pipeline.JobsConfig{ReviewTTL: time.Hour, Limits: ratelimit.Policy{Rate: 1, Burst: 5, MaxRunning: 1}})
		job := s.submit(content.Request{Topic: "Forgotten", Formats: []content.Format{content.FormatFAQs}, Review: "outline"})
		s.drain()
		require.Equal(t, pipeline.JobAwaitingReview, s.job(job.ID).Status)

		time.Sleep(time.Hour - time.Second)
		ended, err := s.jobs.ExpireReview(context.Background(), job.ID)
		require.NoError(t, err)
		assert.False(t, ended, "not before its review deadline")
		time.Sleep(time.Second)
		ended, err = s.jobs.ExpireReview(context.Background(), job.ID)
		require.NoError(t, err)
		assert.True(t, ended)
		assert.Equal(t, pipeline.JobExpired, s.job(job.ID).Status)
		assert.Equal(t, "review_expired", s.steps(job.ID)[content.FormatFAQs].Error.Code)
		assert.Zero(t, s.m.Store.Ledger("owner").Running, "the expired job no longer counts as running")
		_, err = s.jobs.Approve(context.Background(), job.ID)
		assert.ErrorIs(t, err, pipeline.ErrEnded)
		_, _, _, err = s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatOutline, Made: pipeline.MadeRegenerated})
		assert.ErrorIs(t, err, pipeline.ErrEnded)
	})
}

func TestRegenerateMakesANewVersionAndRerunsWhatIsMadeFromIt(t *testing.T) {
	s := newSteering(t, pipeline.JobsConfig{})
	job := s.submit(content.Request{Topic: "Regenerate", Formats: []content.Format{content.FormatFAQs, content.FormatFlashcards}})
	s.drain()
	require.Equal(t, pipeline.JobSucceeded, s.job(job.ID).Status)
	before := s.steps(job.ID)
	costBefore := s.job(job.ID).Usage.CostUSD

	_, st, created, err := s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatFAQs,
		Made: pipeline.MadeRegenerated, Instructions: "More about neap tides.", Key: "k1", Fingerprint: "f1"})
	require.NoError(t, err)
	require.True(t, created)
	assert.Equal(t, 2, st.Version)
	j := s.job(job.ID)
	assert.Equal(t, pipeline.JobRunning, j.Status)
	assert.Equal(t, 2, j.Run)
	s.drain()

	j = s.job(job.ID)
	assert.Equal(t, pipeline.JobSucceeded, j.Status)
	after := s.steps(job.ID)
	assert.Equal(t, 2, after[content.FormatFAQs].Version)
	assert.Equal(t, 2, after[content.FormatPackage].Version, "the package is made again")
	assert.Equal(t, before[content.FormatFlashcards].Version, after[content.FormatFlashcards].Version, "the flashcards are not made from the FAQs")
	assert.Equal(t, before[content.FormatOutline].Artifacts, after[content.FormatOutline].Artifacts)
	assert.Equal(t, "More about neap tides.", s.doc(job.ID, content.FormatFAQs)["instructions"], "the executor saw the instructions")
	assert.Equal(t, pipeline.VersionPath(job.ID, content.FormatFAQs, 2, "faqs.json"), after[content.FormatFAQs].Artifacts[0].Path)
	_, err = s.m.Blobs.Read(context.Background(), pipeline.ArtifactPath(job.ID, content.FormatFAQs, "faqs.json"))
	assert.NoError(t, err, "the first version is kept")

	faqs := after[content.FormatFAQs]
	require.Len(t, faqs.Versions, 2)
	assert.Equal(t, pipeline.MadeGenerated, faqs.Versions[0].Made)
	assert.Equal(t, pipeline.MadeRegenerated, faqs.Versions[1].Made)
	assert.Equal(t, pipeline.StepSucceeded, faqs.Versions[1].Status)
	assert.Equal(t, 0.25, faqs.Versions[1].Usage.CostUSD, "each version records what it cost")
	assert.InDelta(t, costBefore+0.5, j.Usage.CostUSD, 1e-9, "the job's cost adds the run's: the FAQs and the package")

	evs := s.m.Events.List()
	require.Len(t, evs, 2)
	assert.Equal(t, job.ID+":succeeded", evs[0].ID)
	assert.Equal(t, job.ID+":succeeded:2", evs[1].ID, "the second end has an event of its own")

	// The same call again answers the same version; another body under
	// the same key is refused.
	_, again, created, err := s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatFAQs,
		Made: pipeline.MadeRegenerated, Instructions: "More about neap tides.", Key: "k1", Fingerprint: "f1"})
	require.NoError(t, err)
	assert.False(t, created)
	assert.Equal(t, 2, again.Version)
	_, _, _, err = s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatFAQs,
		Made: pipeline.MadeRegenerated, Instructions: "Something else.", Key: "k1", Fingerprint: "f2"})
	assert.ErrorIs(t, err, pipeline.ErrMismatch)
}

func TestEditingAScriptRerunsOnlyTheAudioAndThePackage(t *testing.T) {
	s := newSteering(t, pipeline.JobsConfig{})
	job := s.submit(content.Request{Topic: "Edit the script", Formats: []content.Format{content.FormatAudio, content.FormatFAQs}})
	s.drain()
	require.Equal(t, pipeline.JobSucceeded, s.job(job.ID).Status)

	arts := s.storeDoc(job.ID, content.FormatPodcastScript, 2, `{"step": "podcast_script", "version": 2}`)
	_, _, _, err := s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatPodcastScript, Made: pipeline.MadeEdited, Artifacts: arts})
	require.NoError(t, err)
	msgs := s.m.Pub.Published()
	require.Len(t, msgs, 1, "the audio is queued at once: what it is made from is there")
	assert.Equal(t, content.FormatAudio, msgs[0].Step)
	assert.Equal(t, 2, msgs[0].Version)
	s.drain()

	steps := s.steps(job.ID)
	assert.Equal(t, pipeline.JobSucceeded, s.job(job.ID).Status)
	for f, want := range map[content.Format]int{content.FormatOutline: 1, content.FormatFAQs: 1, content.FormatPodcastScript: 2, content.FormatAudio: 2, content.FormatPackage: 2} {
		assert.Equal(t, want, steps[f].Version, "%s", f)
	}
	assert.Equal(t, 1, s.exec.count("audio@2"))
	assert.Zero(t, s.exec.count("podcast_script@2"), "the edit called no model")
	assert.Zero(t, s.exec.count("faqs@2"))
}

func TestAStepCannotChangeWhileItsJobRuns(t *testing.T) {
	s := newSteering(t, pipeline.JobsConfig{})
	job := s.submit(content.Request{Topic: "Busy", Formats: []content.Format{content.FormatFAQs}})
	_, _, _, err := s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatFAQs, Made: pipeline.MadeRegenerated})
	assert.ErrorIs(t, err, pipeline.ErrJobBusy)
	_, _, _, err = s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatPackage, Made: pipeline.MadeRegenerated})
	assert.ErrorIs(t, err, pipeline.ErrNotRevisable)
	_, _, _, err = s.jobs.Revise(context.Background(), pipeline.Change{JobID: "nosuchjob000", Step: content.FormatFAQs, Made: pipeline.MadeRegenerated})
	assert.ErrorIs(t, err, pipeline.ErrNotFound)
	_, err = s.jobs.Approve(context.Background(), job.ID)
	assert.ErrorIs(t, err, pipeline.ErrNoReview)
}

// A late message for an old version of a step, or a late finish of it,
// changes nothing.
func TestAnOldVersionsMessageChangesNothing(t *testing.T) {
	s := newSteering(t, pipeline.JobsConfig{})
	job := s.submit(content.Request{Topic: "Old messages", Formats: []content.Format{content.FormatFAQs}})
	s.drain()
	_, _, _, err := s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatFAQs, Made: pipeline.MadeRegenerated})
	require.NoError(t, err)
	s.m.Pub.Take()
	require.NoError(t, s.r.Run(context.Background(), pipeline.StepMessage{JobID: job.ID, Step: content.FormatFAQs, Version: 1}))
	assert.Zero(t, s.exec.count("faqs@2"), "a message for version 1 does not run version 2")
	assert.Equal(t, pipeline.StepQueued, s.steps(job.ID)[content.FormatFAQs].Status)
	require.NoError(t, s.r.Run(context.Background(), pipeline.StepMessage{JobID: job.ID, Step: content.FormatFAQs, Version: 2}))
	assert.Equal(t, 1, s.exec.count("faqs@2"))
}

// A regeneration is a run: it is admitted against the owner's budget and
// settled with what it spent.
func TestARegenerationIsAdmittedAndSettled(t *testing.T) {
	s := newSteering(t, pipeline.JobsConfig{
		Limits:   ratelimit.Policy{Rate: 100, Burst: 100, DailyBudgetUSD: 1.5},
		Estimate: func(r *content.Request) float64 { return float64(len(r.Formats)) * 0.25 },
	})
	job := s.submit(content.Request{Topic: "Budget", Formats: []content.Format{content.FormatFAQs}})
	s.drain()
	spent := s.m.Store.Ledger("owner").Spent
	assert.InDelta(t, 0.75, spent, 1e-9, "outline, FAQs and package at $0.25")
	_, _, _, err := s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatFAQs, Made: pipeline.MadeRegenerated})
	require.NoError(t, err)
	l := s.m.Store.Ledger("owner")
	assert.Equal(t, 1, l.Running)
	assert.InDelta(t, 0.5, l.Reserved, 1e-9, "the FAQs and the package are reserved")
	s.drain()
	l = s.m.Store.Ledger("owner")
	assert.Zero(t, l.Running)
	assert.Zero(t, l.Reserved)
	assert.InDelta(t, 1.25, l.Spent, 1e-9, "the run spent $0.50")

	_, _, _, err = s.jobs.Revise(context.Background(), pipeline.Change{JobID: job.ID, Step: content.FormatOutline, Made: pipeline.MadeRegenerated})
	var ex *ratelimit.Exceeded
	require.ErrorAs(t, err, &ex, "regenerating the outline re-runs $0.75 of steps: over the $1.50 budget")
	assert.Equal(t, "budget_exceeded", ex.Code)
	assert.Equal(t, pipeline.JobSucceeded, s.job(job.ID).Status, "a refused change changes nothing")
	assert.Equal(t, 2, s.steps(job.ID)[content.FormatFAQs].Version)
}

func TestTheSameRequestIsAnsweredFromTheResultCache(t *testing.T) {
	s := newSteering(t, pipeline.JobsConfig{CacheKey: func(r *content.Request) string { return r.Fingerprint() }, CacheTTL: time.Hour})
	req := content.Request{Topic: "Cache me", Formats: []content.Format{content.FormatFAQs}}
	first := s.submit(req)
	s.drain()
	require.Equal(t, pipeline.JobSucceeded, s.job(first.ID).Status)
	runs := s.exec.count("faqs@1") + s.exec.count("outline@1")

	second := s.submit(req)
	j := s.job(second.ID)
	assert.Equal(t, first.ID, j.CachedFrom)
	steps := s.steps(second.ID)
	for _, f := range []content.Format{content.FormatOutline, content.FormatFAQs} {
		st := steps[f]
		assert.Equal(t, pipeline.StepSucceeded, st.Status, "%s", f)
		assert.Equal(t, pipeline.MadeCached, st.Versions[0].Made)
		require.Len(t, st.Artifacts, 1)
		assert.Equal(t, pipeline.ArtifactPath(second.ID, f, pipeline.DocName(f)), st.Artifacts[0].Path, "a copy of its own")
		assert.Zero(t, st.Usage.CostUSD)
	}
	s.drain()
	assert.Equal(t, pipeline.JobSucceeded, s.job(second.ID).Status, "the package was made for the new job")
	assert.Equal(t, runs, s.exec.count("faqs@1")+s.exec.count("outline@1"), "no model call for the cached steps")
	assert.Equal(t, s.doc(first.ID, content.FormatFAQs), s.doc(second.ID, content.FormatFAQs))

	// Erasing the first leaves the second whole.
	require.NoError(t, s.jobs.Erase(context.Background(), first.ID))
	_, err := s.m.Blobs.Read(context.Background(), pipeline.ArtifactPath(second.ID, content.FormatFAQs, "faqs.json"))
	assert.NoError(t, err)

	// Opting out, or another owner, runs the job.
	off := false
	req.Cache = &off
	third := s.submit(req)
	assert.Empty(t, s.job(third.ID).CachedFrom)
	other, err := s.jobs.Submit(context.Background(), "someone-else", content.Request{Topic: "Cache me", Formats: []content.Format{content.FormatFAQs}, Level: "intermediate", Audience: "general audience", Language: "en-US"}, "api")
	require.NoError(t, err)
	assert.Empty(t, s.job(other.ID).CachedFrom, "never across owners")

	// A job whose step was changed no longer answers from the cache.
	s.drain()
	_, _, _, err = s.jobs.Revise(context.Background(), pipeline.Change{JobID: second.ID, Step: content.FormatFAQs, Made: pipeline.MadeRegenerated})
	require.NoError(t, err)
	s.drain()
	req.Cache = nil
	fourth := s.submit(req)
	assert.Empty(t, s.job(fourth.ID).CachedFrom, "the changed job is not a cached answer, and the first is erased")
}
