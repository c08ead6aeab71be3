// Package chaos soaks the whole local stack under the faults production
// sees (rate limits, server errors and slow answers from the models,
// duplicate deliveries, workers killed mid-step, crashes after a model call
// and before the write) and checks that nothing is lost and nothing is done
// twice: every job succeeds (every injected fault is transient), every
// fault fired, no object is written twice, and each step paid for exactly
// one model answer plus one per attempt that died between its answer and
// storing it. `make test` runs 30 jobs; `make chaos` runs 200 (CHAOS_JOBS).
package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"cloud.google.com/go/firestore"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/store"
	"contentfactory.dev/factory/test/e2e/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// The faults of the soak, in the fakes' own terms: each fires once for
// certain (on the first requests), then at random. The slow answer takes
// longer than a step may run, so its call is abandoned.
var (
	vertexFaults = []vertextest.FaultKind{vertextest.RateLimit, vertextest.ServerError, vertextest.Slow}
	vertexSpec   = fmt.Sprintf("%[1]s,times=1;%[2]s,times=1;%[3]s,delay=12s,times=1;%[1]s,p=0.2,retry_after=1s;%[2]s,p=0.05;%[3]s,delay=12s,p=0.02",
		vertexFaults[0], vertexFaults[1], vertexFaults[2])
	ttsFaults = []codes.Code{codes.ResourceExhausted, codes.Unavailable}
	ttsSpec   = fmt.Sprintf("%[1]s,times=1;%[2]s,times=1;%[1]s,p=0.2,retry_after=1s;%[2]s,p=0.05",
		ttstest.FaultName(ttsFaults[0]), ttstest.FaultName(ttsFaults[1]))
)

const (
	duplicateShare = 0.30            // of step messages, published again 1–3 times
	killShare      = 0.05            // of step messages, whose worker is killed mid-step
	killCooldown   = 5 * time.Second // a local worker process serves many steps at once: give it time to come back
	crashShare     = 0.05            // of steps, whose worker exits after the model call
	stepTimeout    = 6 * time.Second
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// counters of what the soak injected.
type injected struct {
	duplicates atomic.Int64
	kills      atomic.Int64
}

func TestChaosSoak(t *testing.T) {
	jobs := envInt("CHAOS_JOBS", 30)
	// The hard bound only stops a soak that moves forever; a stuck one is
	// caught by waitAll's stall check long before.
	bound := time.Duration(envInt("CHAOS_BOUND_SECONDS", 600+10*jobs)) * time.Second
	t.Setenv(vertextest.EnvFaults, vertexSpec)
	t.Setenv(vertextest.EnvSeed, "11")
	t.Setenv(ttstest.EnvFaults, ttsSpec)
	s := stacktest.Start(t, devstack.Options{
		AI: "vertex", FakeAI: true, StorageEvents: true,
		MinBackoff: time.Second, MaxBackoff: 4 * time.Second, MaxDeliveryAttempts: 50,
		SweepEvery: 3 * time.Second, SweepStale: 15 * time.Second,
		Env: []string{
			"FACTORY_STEP_TIMEOUT=" + stepTimeout.String(), "FACTORY_LEASE_MARGIN=2s",
			"FACTORY_CHAOS_CRASH_AFTER_CALL=" + strconv.FormatFloat(crashShare, 'f', -1, 64),
			"FACTORY_MAX_ATTEMPTS=40",
			"FACTORY_RATE_PER_MINUTE=100000", "FACTORY_BURST=10000", "FACTORY_MAX_RUNNING=0", "FACTORY_DAILY_BUDGET_USD=0",
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := time.Now()

	w := watchJobs(ctx, t, s)
	st := &steering{planned: map[string]int{}}
	var inj injected
	tapSteps(ctx, t, s, &inj)

	// Submit the jobs, a few at a time, with a mix of formats.
	ids := make([]string, jobs)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ids[i] = s.Submit(t, request(i))
		}()
	}
	wg.Wait()
	for i, id := range ids {
		if i%steerEvery == steerEvery-1 {
			st.planned[id] = i
		}
	}
	go st.run(ctx, t, s, w)

	// Every job must end, and the soak must not stall: it fails when no
	// step of any job has moved (a claim, an end) for stallLimit, however
	// slow the machine is, or when it runs past the hard bound.
	var v violations
	ended := waitAll(t, s, ids, w, st, started.Add(bound), &v)
	wall := time.Since(started)
	time.Sleep(3 * time.Second) // let duplicates still in flight land
	cancel()

	writes := countWrites(t, s)
	attempts := readAttempts(t, s)
	checkWrites(t, s, ids, writes, &v)
	paid := checkBilling(t, s, ids, attempts, &v)
	checkStatuses(w, st, ids, &v)
	if n := st.done.Load(); n != int64(len(st.planned)) {
		v.add("%d of %d planned changes were made", n, len(st.planned))
	}
	for _, id := range ids {
		if j := s.Get(t, id); j.Status != client.JobSucceeded {
			v.add("job %s ended %s, not succeeded (every injected fault is transient): %s", id, j.Status, stacktest.Describe(j))
		}
	}
	fired := checkFaultsFired(s, &inj, attempts, &v)

	report(t, ended, fired, paid, attempts, st, wall, &v)
	require.Empty(t, v.list, "violations")
}

// request is the i-th job of the soak: every format, or a lighter mix.
func request(i int) map[string]any {
	req := map[string]any{
		"topic":       fmt.Sprintf("Chaos topic number %d", i),
		"source_text": "Glaciers are rivers of ice. A moraine is a ridge of debris a glacier leaves behind. Cirques are bowl-shaped hollows carved at a glacier's head.",
		"podcast":     map[string]any{"target_minutes": 1},
	}
	switch i % 3 {
	case 1:
		req["formats"] = []string{"faqs", "flashcards", "image"}
	case 2:
		req["formats"] = []string{"study_guide", "audio"}
	}
	return req
}

// stallLimit is how long the soak may see no step of any job move before
// it calls the system stuck: longer than a lease (8s), the sweep's stale
// period (15s) and Pub/Sub's longest backoff (4s) together, many times
// over.
const stallLimit = 2 * time.Minute

// waitAll waits until each job has ended, as the job documents' listener
// sees them, and reports those that had not when the soak stalled (no
// step document of any job changed for stallLimit, as the steps' listener
// sees them) or reached its hard bound. It reads each job once, at the
// end, so the wait puts no load on the API.
func waitAll(t *testing.T, s *stacktest.Stack, ids []string, w *watch, st *steering, hard time.Time, v *violations) map[string]*client.Job {
	var why string
	for {
		open := 0
		for _, id := range ids {
			want := 1
			if _, ok := st.planned[id]; ok && !st.skipped(id) {
				want = 2 // it ends, is changed, and its second run ends
			}
			if !client.JobStatus(w.status(id)).Terminal() || w.run(id) < want {
				open++
			}
		}
		if open == 0 {
			break
		}
		if quiet := time.Since(w.lastMove()); quiet > stallLimit {
			// Before calling the system stuck, ask the store itself when
			// a step last changed: the listener may only have fallen
			// behind.
			if at, err := lastStepChange(t.Context(), s); err == nil && time.Since(at) < stallLimit {
				t.Logf("chaos: the steps listener saw nothing for %s, the store shows a step changed %s ago", quiet.Round(time.Second), time.Since(at).Round(time.Second))
				w.touch(at)
				continue
			}
			why = fmt.Sprintf("no step moved for %s", quiet.Round(time.Second))
			break
		}
		if time.Now().After(hard) {
			why = "the hard bound was reached"
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	ended := map[string]*client.Job{}
	for _, id := range ids {
		j := s.Get(t, id)
		ended[id] = j
		if !j.Status.Terminal() {
			v.add("job %s not terminal (%s): %s; %s", id, why, j.Status, stacktest.Describe(j))
		}
	}
	return ended
}

// steerEvery: one job in steerEvery is changed once it has ended: a step
// regenerated, or the podcast script edited (then only its audio and the
// package are made again), each asked twice at once with one
// Idempotency-Key, while the other jobs run.
const steerEvery = 4

// steering changes the planned jobs as they end.
type steering struct {
	planned map[string]int // job id → its index in the soak
	done    atomic.Int64
	regens  atomic.Int64
	edits   atomic.Int64
	mu      sync.Mutex
	skip    map[string]bool // planned jobs not changed (they did not succeed, or the change failed)
}

func (st *steering) skipped(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.skip[id]
}

func (st *steering) giveUp(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.skip == nil {
		st.skip = map[string]bool{}
	}
	st.skip[id] = true
}

func (st *steering) run(ctx context.Context, t *testing.T, s *stacktest.Stack, w *watch) {
	pending := maps.Clone(st.planned)
	for len(pending) > 0 && ctx.Err() == nil {
		for id, i := range pending {
			switch w.status(id) {
			case "succeeded":
			case "partial", "failed", "cancelled", "expired":
				delete(pending, id) // not changed: the soak reports the job itself
				st.giveUp(id)
				continue
			default:
				continue
			}
			delete(pending, id)
			if st.change(ctx, t, s, id, i) {
				st.done.Add(1)
			} else {
				st.giveUp(id)
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// change regenerates a step of a job, or edits its podcast script, asking
// twice at once with one key; it reports whether both calls answered the
// one new version.
func (st *steering) change(ctx context.Context, t *testing.T, s *stacktest.Stack, id string, i int) bool {
	key := "chaos-change-" + id
	var ask func() (*client.Job, error)
	switch i % 3 {
	case 2: // study guide and audio: edit the script
		raw, err := s.API.Document(ctx, id, content.FormatPodcastScript, 0)
		if err != nil {
			t.Logf("chaos: read the script of %s: %v", id, err)
			return false
		}
		var script content.PodcastScript
		if err := json.Unmarshal(raw, &script); err != nil || len(script.Turns) == 0 {
			t.Logf("chaos: decode the script of %s: %v", id, err)
			return false
		}
		script.Turns[0].Text = "An edited opening line for the soak: glaciers carve the valleys they leave."
		doc, _ := json.Marshal(script)
		ask = func() (*client.Job, error) { return s.API.PutDocument(ctx, id, content.FormatPodcastScript, doc, key) }
		st.edits.Add(1)
	case 1: // FAQs, flashcards, image
		ask = func() (*client.Job, error) {
			return s.API.Regenerate(ctx, id, content.FormatFAQs, "More questions about moraines.", key)
		}
		st.regens.Add(1)
	default: // every format
		ask = func() (*client.Job, error) {
			return s.API.Regenerate(ctx, id, content.FormatOnePager, "Shorter takeaways.", key)
		}
		st.regens.Add(1)
	}
	var wg sync.WaitGroup
	versions := make([]int, 2)
	errs := make([]error, 2)
	for k := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := ask()
			errs[k] = err
			if err == nil {
				changed := content.FormatOnePager
				switch i % 3 {
				case 2:
					changed = content.FormatPodcastScript
				case 1:
					changed = content.FormatFAQs
				}
				step, _ := j.Step(changed)
				versions[k] = step.Version
			}
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Logf("chaos: change of job %s: %v, %v", id, errs[0], errs[1])
		return false
	}
	return versions[0] == 2 && versions[1] == 2
}

type violations struct {
	mu   sync.Mutex
	list []string
}

func (v *violations) add(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.list = append(v.list, fmt.Sprintf(format, args...))
}

// tapSteps subscribes to every step topic: a share of the messages is
// published again one to three times, concurrently, and for a share the
// worker serving that topic is killed a moment later, mid-step.
func tapSteps(ctx context.Context, t *testing.T, s *stacktest.Stack, inj *injected) {
	t.Helper()
	workers := s.Stack.StepTopics()
	workers[queue.TopicEvents] = "NotifyJob"
	for topic, fn := range workers {
		sub := topic + "-chaos-tap"
		require.NoError(t, s.Stack.CreatePullSubscription(ctx, sub, topic))
		pub := s.Stack.PubSub.Publisher(topic)
		t.Cleanup(pub.Stop)
		rng := rand.New(rand.NewPCG(uint64(len(topic)), 7))
		var mu sync.Mutex
		var lastKill time.Time
		go func() {
			_ = s.Stack.PubSub.Subscriber(sub).Receive(ctx, func(ctx context.Context, m *pubsub.Message) {
				m.Ack()
				if m.Attributes["chaos_copy"] != "" {
					return
				}
				mu.Lock()
				dup, kill, n, delay := rng.Float64() < duplicateShare, rng.Float64() < killShare, 1+rng.IntN(3), time.Duration(rng.IntN(400))*time.Millisecond
				if kill && time.Since(lastKill) < killCooldown {
					kill = false
				}
				if kill {
					lastKill = time.Now()
				}
				mu.Unlock()
				if dup {
					attrs := map[string]string{"chaos_copy": "1"}
					for k, v := range m.Attributes {
						attrs[k] = v
					}
					for range n {
						inj.duplicates.Add(1)
						go pub.Publish(context.WithoutCancel(ctx), &pubsub.Message{Data: m.Data, Attributes: attrs})
					}
				}
				if kill {
					inj.kills.Add(1)
					go func() {
						time.Sleep(delay)
						s.Stack.Kill(fn)
					}()
				}
			})
		}()
	}
}

// watch follows the soak's job and step documents in Firestore.
type watch struct {
	mu       sync.Mutex
	statuses map[string][]string // job id → every status it went through
	runs     map[string]int64    // job id → its run, as last seen
	moved    time.Time           // when a step document last changed
}

func (w *watch) status(id string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if l := w.statuses[id]; len(l) > 0 {
		return l[len(l)-1]
	}
	return ""
}

// run is a job's run, as last seen with its status.
func (w *watch) run(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return int(w.runs[id])
}

func (w *watch) lastMove() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.moved
}

// watchJobs records every status each job document goes through, and
// when any step document last changed.
func watchJobs(ctx context.Context, t *testing.T, s *stacktest.Stack) *watch {
	t.Helper()
	w := &watch{statuses: map[string][]string{}, runs: map[string]int64{}, moved: time.Now()}
	go listen(ctx, t, "jobs", s.Stack.Firestore.Collection(store.Jobs).Query,
		func(snap *firestore.QuerySnapshot, _ bool) {
			w.mu.Lock()
			defer w.mu.Unlock()
			for _, ch := range snap.Changes {
				if run, err := ch.Doc.DataAt("run"); err == nil {
					if n, ok := run.(int64); ok {
						w.runs[ch.Doc.Ref.ID] = n
					}
				}
				st, _ := ch.Doc.DataAt("status")
				list := w.statuses[ch.Doc.Ref.ID]
				if s, ok := st.(string); ok && (len(list) == 0 || list[len(list)-1] != s) {
					w.statuses[ch.Doc.Ref.ID] = append(list, s)
				}
			}
		})
	go listen(ctx, t, "steps", s.Stack.Firestore.CollectionGroup(store.Steps).Query,
		func(snap *firestore.QuerySnapshot, first bool) {
			// The first snapshot of a listener that listens again is the
			// steps as they are, not a move.
			if len(snap.Changes) > 0 && !first {
				w.touch(time.Now())
			}
		})
	return w
}

// listen hands every snapshot of a listener to use until ctx ends, and
// listens again, saying why, when the stream fails: the soak's view of
// the jobs must not go quiet while they move.
func listen(ctx context.Context, t *testing.T, name string, q firestore.Query, use func(*firestore.QuerySnapshot, bool)) {
	for again := false; ; again = true {
		it := q.Snapshots(ctx)
		for first := again; ; first = false {
			snap, err := it.Next()
			if err != nil {
				it.Stop()
				if ctx.Err() != nil {
					return
				}
				t.Logf("chaos: the %s listener failed (%v); listening again", name, err)
				break
			}
			use(snap, first)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// touch records that a step moved at (if later than the last move seen).
func (w *watch) touch(at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if at.After(w.moved) {
		w.moved = at
	}
}

// lastStepChange is when any step of any job last changed, as stored.
func lastStepChange(ctx context.Context, s *stacktest.Stack) (time.Time, error) {
	docs, err := s.Stack.Firestore.CollectionGroup(store.Steps).OrderBy("updated_at", firestore.Desc).Limit(1).Documents(ctx).GetAll()
	if err != nil {
		return time.Time{}, fmt.Errorf("the latest step: %w", err)
	}
	if len(docs) == 0 {
		return time.Time{}, errors.New("no step is stored")
	}
	return docs[0].UpdateTime, nil
}

var rank = map[string]int{"queued": 0, "running": 1, "awaiting_review": 1, "succeeded": 2, "partial": 2, "failed": 2, "cancelled": 2, "expired": 2}

// checkStatuses: a job's status never goes back, except once for a job
// the soak changed after it ended (succeeded → running → succeeded).
func checkStatuses(w *watch, st *steering, ids []string, v *violations) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range ids {
		list, ok := w.statuses[id]
		if !ok {
			v.add("job %s: no status was observed", id)
			continue
		}
		if _, changed := st.planned[id]; changed {
			if i := slices.Index(list, "succeeded"); i >= 0 && i+1 < len(list) && list[i+1] == "running" {
				list = append(slices.Clone(list[:i+1]), list[i+2:]...)
			}
		}
		for i := 1; i < len(list); i++ {
			if rank[list[i]] < rank[list[i-1]] || (rank[list[i-1]] == 2 && list[i] != list[i-1]) {
				v.add("job %s: status went %s → %s (%v)", id, list[i-1], list[i], list)
			}
		}
	}
}

// countWrites counts the objects fake-gcs-server stored, by name.
func countWrites(t *testing.T, s *stacktest.Stack) map[string]int {
	t.Helper()
	c := s.Stack.PubSub.SubscriptionAdminClient
	sub := "projects/" + s.Stack.Project + "/subscriptions/" + queue.HoldSubscription(devstack.StorageEventsTopic)
	counts := map[string]int{}
	for {
		// An empty pull waits for messages; a short deadline ends the drain.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := c.Pull(ctx, &pubsubpb.PullRequest{Subscription: sub, MaxMessages: 1000})
		cancel()
		if status.Code(err) == codes.DeadlineExceeded {
			return counts
		}
		require.NoError(t, err)
		if len(resp.ReceivedMessages) == 0 {
			return counts
		}
		var ackIDs []string
		for _, m := range resp.ReceivedMessages {
			if m.Message.Attributes["eventType"] == "OBJECT_FINALIZE" {
				counts[m.Message.Attributes["objectId"]]++
			}
			ackIDs = append(ackIDs, m.AckId)
		}
		require.NoError(t, c.Acknowledge(context.Background(), &pubsubpb.AcknowledgeRequest{Subscription: sub, AckIds: ackIDs}))
	}
}

// checkWrites: every artifact a step records exists, and no object was
// written twice.
func checkWrites(t *testing.T, s *stacktest.Stack, ids []string, writes map[string]int, v *violations) {
	st := store.New(s.Stack.Firestore)
	for name, n := range writes {
		if n > 1 {
			v.add("object %s written %d times", name, n)
		}
	}
	for _, id := range ids {
		steps, err := st.Steps(context.Background(), id)
		require.NoError(t, err)
		for _, step := range steps {
			for _, a := range step.Artifacts {
				o, err := s.Stack.Storage.GetObject(s.Stack.Bucket, a.Path)
				switch {
				case err != nil:
					v.add("artifact %s is recorded but not stored", a.Path)
				case o.Generation != a.Generation:
					v.add("artifact %s: recorded generation %d, stored %d", a.Path, a.Generation, o.Generation)
				case writes[a.Path] != 1:
					v.add("artifact %s: %d writes seen", a.Path, writes[a.Path])
				}
			}
		}
	}
}

type stepKey struct {
	job, step string
	version   int
}

type attemptKey struct {
	stepKey
	n int
}

// attemptLog is what one attempt of a step logged.
type attemptLog struct {
	started, stored, crashed, resumed, ended bool
}

// outcomes are the log lines by which an attempt shows it lived on after
// its model calls: it stored a result, ended the step, or put it back.
var outcomes = []string{
	"step result stored", "step succeeded", "step failed", "step result dropped", "step failure dropped",
	"step stopped", "end the step failed", "end the failed step failed",
}

// attempts reads, from the workers' logs, what every attempt of every
// step did, and counts the lines that show contention and lost claims.
type attempts struct {
	by          map[attemptKey]*attemptLog
	contended   int // transactions retried after contention or out of time
	renewFailed int
	claimsLost  int
}

func readAttempts(t *testing.T, s *stacktest.Stack) *attempts {
	a := &attempts{by: map[attemptKey]*attemptLog{}}
	for _, f := range queue.Functions {
		if f.Topic == "" {
			continue
		}
		for _, l := range s.Logged(t, f.Name, func(map[string]any) bool { return true }) {
			job, _ := l["job_id"].(string)
			step, _ := l["step"].(string)
			n, _ := l["attempt"].(float64)
			ver, _ := l["version"].(float64)
			msg, _ := l["message"].(string)
			switch {
			case msg == "transaction retried after contention" || msg == "transaction ran out of time":
				a.contended++
			case strings.HasPrefix(msg, "renew the step's lease failed"):
				a.renewFailed++
			case msg == "step stopped: its claim was lost":
				a.claimsLost++
			}
			if job == "" || n == 0 {
				continue
			}
			k := attemptKey{stepKey{job, step, max(int(ver), 1)}, int(n)}
			al := a.by[k]
			if al == nil {
				al = &attemptLog{}
				a.by[k] = al
			}
			switch {
			case msg == "step started":
				al.started = true
			case msg == "step result stored":
				al.stored, al.ended = true, true
			case strings.HasPrefix(msg, "chaos: crashing"):
				al.crashed = true
			case strings.HasPrefix(msg, "step resumed"):
				al.resumed = true
			}
			for _, o := range outcomes {
				if strings.HasPrefix(msg, o) {
					al.ended = true
				}
			}
		}
	}
	return a
}

// call names what a billable answer paid for: a step's version, and for
// a text step the round of its document (0, then one per repair) and
// whether it was the document or its grounding check; an image step's
// calls have no round (-1).
type call struct {
	stepKey
	check bool
	round int
}

// kind is what the call paid for, as the text step's parts name it:
// "answer" (a document) or "check" (its grounding check).
func (c call) kind() string {
	if c.check {
		return "check"
	}
	return "answer"
}

// answered returns, per call, the attempts the model fake answered with
// status 200 (a billable answer), from the labels every call carries.
func answered(s *stacktest.Stack) map[call]map[int]int {
	out := map[call]map[int]int{}
	for _, r := range s.Stack.Vertex.Requests() {
		if (r.Kind != "generate" && r.Kind != "stream") || r.Status != 200 {
			continue
		}
		var body struct {
			Labels map[string]string `json:"labels"`
		}
		if json.Unmarshal(r.Body, &body) != nil || body.Labels["job"] == "" {
			continue
		}
		ver, _ := strconv.Atoi(body.Labels["version"])
		step, check := strings.CutSuffix(body.Labels["step"], "-check")
		c := call{stepKey: stepKey{body.Labels["job"], step, max(ver, 1)}, check: check, round: -1}
		if r, ok := body.Labels["round"]; ok {
			c.round, _ = strconv.Atoi(r)
		}
		n, _ := strconv.Atoi(body.Labels["attempt"])
		if out[c] == nil {
			out[c] = map[int]int{}
		}
		out[c][n]++
	}
	return out
}

// billing is what the billing check found.
type billing struct {
	steps, needed, answers, crashedAfterAnswer, resumed int
}

// checkBilling: every answer a step needs was paid for exactly once, plus
// once for each attempt that died between the answer and keeping it. A
// text step keeps each round's answer and check verdicts as parts, which
// name the attempt that paid; an image step's answer is kept in its
// result record. Every other attempt that paid for the same answer must
// have died (it logged no outcome after its calls), and no attempt paid
// twice for one.
func checkBilling(t *testing.T, s *stacktest.Stack, ids []string, a *attempts, v *violations) billing {
	var b billing
	paid := answered(s)
	byStep := map[stepKey][]call{}
	for c := range paid {
		byStep[c.stepKey] = append(byStep[c.stepKey], c)
	}
	for _, id := range ids {
		j := s.Get(t, id)
		for _, st := range j.Steps {
			for _, sv := range st.Versions {
				k := stepKey{id, string(st.Name), sv.Version}
				if len(byStep[k]) == 0 {
					continue // no model call (audio, package, an edit) or never answered
				}
				b.steps++
				for _, c := range byStep[k] {
					keeper, ok := keptBy(s, c, v)
					if !ok {
						continue
					}
					what := fmt.Sprintf("step %s v%d of job %s", st.Name, sv.Version, id)
					if c.round >= 0 {
						what += fmt.Sprintf(", %s of round %d", c.kind(), c.round)
					}
					total, crashed := 0, 0
					for n, answers := range paid[c] {
						total += answers
						if answers > 1 {
							v.add("%s: attempt %d paid for %d answers", what, n, answers)
						}
						if n == keeper {
							continue
						}
						al := a.by[attemptKey{k, n}]
						if al != nil && al.ended {
							v.add("%s: attempt %d paid for an answer and lived on, but attempt %d's was kept", what, n, keeper)
							continue
						}
						crashed++
					}
					if _, ok := paid[c][keeper]; !ok {
						v.add("%s: attempt %d kept an answer it did not pay for", what, keeper)
					}
					if total != 1+crashed {
						v.add("%s: %d billable model calls, expected 1 + %d crashes between answer and keeping it", what, total, crashed)
					}
					b.needed++
					b.answers += total
					b.crashedAfterAnswer += crashed
				}
			}
		}
	}
	for _, al := range a.by {
		if al.resumed {
			b.resumed++
		}
	}
	return b
}

// keptBy returns the attempt whose answer a call's step kept: the one
// named in the round's part (text steps) or in the result record.
func keptBy(s *stacktest.Stack, c call, v *violations) (int, bool) {
	path := pipeline.VersionPath(c.job, content.Format(c.step), c.version, pipeline.ResultRecord)
	if c.round >= 0 {
		path = pipeline.ArtifactPath(c.job, content.Format(c.step), fmt.Sprintf("parts/v%d/%s-%d.json", c.version, c.kind(), c.round))
	}
	raw, err := s.Stack.Storage.GetObject(s.Stack.Bucket, path)
	if err != nil {
		v.add("step %s v%d of job %s: %s was paid for but not kept: %v", c.step, c.version, c.job, path, err)
		return 0, false
	}
	var rec struct {
		Attempt int `json:"attempt"`
	}
	if err := json.Unmarshal(raw.Content, &rec); err != nil || rec.Attempt == 0 {
		v.add("step %s v%d of job %s: %s names no attempt (%v)", c.step, c.version, c.job, path, err)
		return 0, false
	}
	return rec.Attempt, true
}

// fired counts each injected fault.
type fired struct {
	vertex     map[vertextest.FaultKind]int
	tts        map[codes.Code]int
	duplicates int64
	kills      int64
	crashes    int
}

// checkFaultsFired: every fault the soak injects fired at least once, or
// the soak proved nothing about it.
func checkFaultsFired(s *stacktest.Stack, inj *injected, a *attempts, v *violations) fired {
	f := fired{vertex: map[vertextest.FaultKind]int{}, tts: map[codes.Code]int{},
		duplicates: inj.duplicates.Load(), kills: inj.kills.Load()}
	for _, r := range s.Stack.Vertex.Requests() {
		if r.Fault != "" {
			f.vertex[r.Fault]++
		}
	}
	for _, r := range s.Stack.TTS.Requests() {
		if r.Injected {
			f.tts[r.Code]++
		}
	}
	for _, al := range a.by {
		if al.crashed {
			f.crashes++
		}
	}
	for _, k := range vertexFaults {
		if f.vertex[k] == 0 {
			v.add("model fault %s never fired", k)
		}
	}
	for _, c := range ttsFaults {
		if f.tts[c] == 0 {
			v.add("speech fault %s never fired", c)
		}
	}
	if f.duplicates == 0 || f.kills == 0 || f.crashes == 0 {
		v.add("duplicates (%d), kills (%d) and crashes after a model call (%d) must each happen", f.duplicates, f.kills, f.crashes)
	}
	return f
}

func report(t *testing.T, ended map[string]*client.Job, f fired, b billing, a *attempts, st *steering, wall time.Duration, v *violations) {
	byStatus := map[string]int{}
	steps, claims := 0, 0
	for _, j := range ended {
		byStatus[string(j.Status)]++
		for _, st := range j.Steps {
			steps++
			claims += st.Attempt
		}
	}
	vertex := map[string]int{}
	for k, n := range f.vertex {
		vertex[string(k)] = n
	}
	tts := map[string]int{}
	for c, n := range f.tts {
		tts[ttstest.FaultName(c)] = n
	}
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "jobs\t%d\t(%s)\n", len(ended), fmtMap(byStatus))
	fmt.Fprintf(w, "steps\t%d\t%d claims\n", steps, claims)
	fmt.Fprintf(w, "model faults injected\t%s\t\n", fmtMap(vertex))
	fmt.Fprintf(w, "speech faults injected\t%s\t\n", fmtMap(tts))
	fmt.Fprintf(w, "duplicate messages\t%d\t\n", f.duplicates)
	fmt.Fprintf(w, "workers killed\t%d\t\n", f.kills)
	fmt.Fprintf(w, "crashes after a model call\t%d\t(injected)\n", f.crashes)
	fmt.Fprintf(w, "billable model answers\t%d\tfor %d answers (documents, repairs, checks) of %d steps: 1 each + %d attempts that died between answer and store\n", b.answers, b.needed, b.steps, b.crashedAfterAnswer)
	fmt.Fprintf(w, "steps resumed from a stored result\t%d\t\n", b.resumed)
	fmt.Fprintf(w, "transactions retried or timed out\t%d\t\n", a.contended)
	fmt.Fprintf(w, "lease renewals failed / claims lost\t%d / %d\t\n", a.renewFailed, a.claimsLost)
	fmt.Fprintf(w, "jobs changed after they ended\t%d\t%d steps regenerated, %d scripts edited (each asked twice at once)\n", st.done.Load(), st.regens.Load(), st.edits.Load())
	fmt.Fprintf(w, "violations\t%d\t\n", len(v.list))
	fmt.Fprintf(w, "wall time\t%s\t\n", wall.Round(100*time.Millisecond))
	w.Flush()
	t.Logf("chaos soak\n%s", sb.String())
	fmt.Fprintf(os.Stderr, "chaos soak\n%s", sb.String())
}

func fmtMap(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
