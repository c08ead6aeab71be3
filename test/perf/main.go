// Command perf measures the factory on the local stack, each figure beside
// a baseline measured in the same run on the same machine, and prints the
// ratios: a job's wall time beside its critical path of model time (the
// fakes answer after a fixed latency), the submit path beside a raw
// Firestore write and Pub/Sub publish on the same emulators, many jobs at
// once on the offline backend beside one alone (and where the CPU went),
// a function's cold start beside a functions-framework hello world, and
// the peak memory of every function. Every function runs from a binary of
// its own, built as the Cloud Functions buildpack builds a deployed one.
// It writes the figures as JSON to .build/perf/latest.json. Nothing here
// passes or fails: timings are reported, never asserted (`make perf`).
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"cloud.google.com/go/firestore"
	"cloud.google.com/go/pubsub/v2"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/queue"
)

type options struct {
	binary      string
	out         string
	jobs        int
	concurrent  int
	clients     int
	perClient   int
	textLatency time.Duration
	ttsLatency  time.Duration
	keep        bool
}

func main() {
	var o options
	flag.StringVar(&o.binary, "binary", os.Getenv("FACTORY_BIN"), "the factory binary (FACTORY_BIN)")
	flag.StringVar(&o.out, "out", ".build/perf/latest.json", "where to write the figures")
	flag.IntVar(&o.jobs, "jobs", 5, "single jobs to time, one after another")
	flag.IntVar(&o.concurrent, "concurrent", 30, "jobs started at once")
	flag.IntVar(&o.clients, "clients", 50, "concurrent clients of the submit load")
	flag.IntVar(&o.perClient, "per-client", 4, "submissions per client")
	flag.DurationVar(&o.textLatency, "text-latency", time.Second, "the model fake's latency")
	flag.DurationVar(&o.ttsLatency, "tts-latency", 200*time.Millisecond, "the speech fake's latency")
	flag.BoolVar(&o.keep, "keep", false, "keep the stack's directory (every process's log) and print where it is")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		os.Exit(1)
	}
}

// figures are what a run measured.
type figures struct {
	Machine string `json:"machine"`

	JobWallMedianS            float64 `json:"job_wall_median_s"`
	CriticalPathS             float64 `json:"critical_path_s"`
	JobWallOverCriticalPath   float64 `json:"job_wall_over_critical_path"`
	DerivedStartSpreadMedianS float64 `json:"derived_start_spread_median_s"`
	SubmitP50MS               float64 `json:"submit_p50_ms"`
	SubmitP99MS               float64 `json:"submit_p99_ms"`
	RawP50MS                  float64 `json:"raw_p50_ms"`
	RawP99MS                  float64 `json:"raw_p99_ms"`
	// SameWritesP99MS is the raw baseline writing what a submission
	// writes (job, request and steps in one commit) before its publish.
	SameWritesP99MS            float64 `json:"same_writes_p99_ms"`
	SubmitP99OverSameWritesP99 float64 `json:"submit_p99_over_same_writes_p99"`
	SubmitP99OverRawP99        float64 `json:"submit_p99_over_raw_p99"`
	SubmitUnderLoadP50MS       float64 `json:"submit_under_load_p50_ms"`
	SubmitUnderLoadOverRawP50  float64 `json:"submit_under_load_over_raw_p50"`
	ConcurrentJobs             int     `json:"concurrent_jobs"`
	ConcurrentJobsPerSecond    float64 `json:"concurrent_jobs_per_second"`
	ConcurrentJobWallP50S      float64 `json:"concurrent_job_wall_p50_s"`
	OfflineJobAloneS           float64 `json:"offline_job_alone_s"`
	// ConcurrentCPUSeconds is the CPU time each process spent while the
	// concurrent jobs ran: where the machine's cores went.
	ConcurrentCPUSeconds        map[string]float64 `json:"concurrent_cpu_seconds"`
	ColdStartMS                 float64            `json:"cold_start_ms"`
	HelloColdStartMS            float64            `json:"hello_cold_start_ms"`
	ColdStartOverHello          float64            `json:"cold_start_over_hello"`
	MaxFunctionRSSMiB           float64            `json:"max_function_rss_mib"`
	FunctionRSSMiB              map[string]float64 `json:"function_rss_mib"`
	DevRSSAfterFirstJobMiB      float64            `json:"dev_rss_after_first_job_mib"`
	DevRSSAfterLastJobMiB       float64            `json:"dev_rss_after_last_job_mib"`
	DevRSSGrowthRatio           float64            `json:"dev_rss_growth_ratio"`
	JobsMeasuredForMemoryGrowth int                `json:"jobs_measured_for_memory_growth"`
}

func run(ctx context.Context, o options) error {
	if o.binary == "" {
		return errors.New("no factory binary: set FACTORY_BIN or -binary (make perf does)")
	}
	if os.Getenv("FIRESTORE_EMULATOR_HOST") == "" || os.Getenv("PUBSUB_EMULATOR_HOST") == "" {
		return errors.New("run under `factory emulators --` (make perf does)")
	}
	f := figures{Machine: fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()), FunctionRSSMiB: map[string]float64{}}
	os.Setenv(vertextest.EnvLatency, o.textLatency.String())
	os.Setenv(ttstest.EnvLatency, o.ttsLatency.String())
	dir, err := os.MkdirTemp("", "factory-perf-")
	if err != nil {
		return err
	}
	if o.keep {
		defer fmt.Fprintln(os.Stderr, "perf: logs kept in", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	say := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "perf: "+format+"\n", args...) }
	// Every function runs from a binary of its own, as deployed: only its
	// package linked (the factory command links them all, and the model
	// clients only the text function needs).
	say("building a binary per function")
	bins, err := buildFunctions(ctx, dir)
	if err != nil {
		return err
	}
	stack := func(ai string) (*devstack.Stack, error) {
		s, err := devstack.Start(ctx, devstack.Options{
			Binary: o.binary, FunctionBinaries: bins, Project: "perf-" + ai + "-" + strconv.FormatInt(time.Now().Unix(), 36), AI: ai, FakeAI: ai == "vertex",
			Dir: filepath.Join(dir, ai), KeepRequests: 100, FirestoreHost: os.Getenv("FIRESTORE_EMULATOR_HOST"), PubSubHost: os.Getenv("PUBSUB_EMULATOR_HOST"),
			Env: []string{"FACTORY_RATE_PER_MINUTE=0", "FACTORY_MAX_RUNNING=0", "FACTORY_DAILY_BUDGET_USD=0"},
		})
		if err != nil {
			return nil, fmt.Errorf("start the stack (%s AI): %w", ai, err)
		}
		return s, nil
	}
	s, err := stack("vertex")
	if err != nil {
		return err
	}
	stopVertex := sync.OnceFunc(s.Stop)
	defer stopVertex()
	// The load's clients keep their connections, as a caller sending many
	// requests at once would: Go's default client keeps two idle
	// connections per host and dials again for the other 48 clients'
	// every request, which would measure the client's dialling, not the
	// submit path (the raw baseline's gRPC connection stays open too).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = o.clients + o.concurrent
	hc := &http.Client{Transport: tr}
	api := client.New(s.APIURL, s.DevKey, hc)

	// 1. Single jobs, one after another: wall time beside the critical path
	// of model time, from the model time each text step recorded (its
	// documents, repairs and grounding checks at the fake's latency): the
	// outline, then the longest of the derived formats and of the podcast
	// script followed by one round of speech.
	var walls, spreads, paths, ratios []float64
	for i := range o.jobs {
		j, err := runJob(ctx, api, fmt.Sprintf(`{"topic":"Performance probe %d","source_text":"Glaciers are rivers of ice. A moraine is a ridge of debris a glacier leaves behind.","podcast":{"target_minutes":1},"cache":false}`, i))
		if err != nil {
			return err
		}
		walls = append(walls, j.FinishedAt.Sub(j.CreatedAt).Seconds())
		spreads = append(spreads, derivedSpread(j))
		paths = append(paths, criticalPath(j, o.ttsLatency))
		ratios = append(ratios, walls[i]/paths[i])
		if i == 0 {
			f.DevRSSAfterFirstJobMiB = rssMiB(os.Getpid())
		}
		say("job %d: %.2fs, critical path of model time %.2fs, derived formats started within %.2fs of each other", i+1, walls[i], paths[i], spreads[i])
	}
	f.JobWallMedianS, f.DerivedStartSpreadMedianS, f.CriticalPathS = median(walls), median(spreads), median(paths)
	f.JobWallOverCriticalPath = median(ratios)

	// 2. The submit path under 50 clients, beside a raw Firestore create
	// and Pub/Sub publish on the same emulators, and beside a raw commit
	// of the documents a submission writes. A p99 of 200 calls is their
	// second slowest, so each is measured in three rounds, one after the
	// other, and the medians are reported. The jobs a round submitted run
	// to their end before the next round, which would otherwise measure
	// them too.
	var subP50s, subP99s, rawP50s, rawP99s, sameP99s []float64
	for round := range 3 {
		loaded := make([]string, o.clients*o.perClient)
		lat, err := load(o.clients, o.perClient, func(i int) error {
			j, err := api.Submit(ctx, json.RawMessage(fmt.Sprintf(`{"topic":"Submit load %d.%d","formats":["faqs"],"cache":false}`, round, i)), "")
			if err == nil {
				loaded[i] = j.ID
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("submit load: %w", err)
		}
		raw, err := rawBaseline(ctx, s.Project, o.clients, o.perClient, false)
		if err != nil {
			return fmt.Errorf("raw baseline: %w", err)
		}
		same, err := rawBaseline(ctx, s.Project, o.clients, o.perClient, true)
		if err != nil {
			return fmt.Errorf("raw baseline of the same writes: %w", err)
		}
		subP50s, subP99s = append(subP50s, percentile(lat, 50)), append(subP99s, percentile(lat, 99))
		rawP50s, rawP99s = append(rawP50s, percentile(raw, 50)), append(rawP99s, percentile(raw, 99))
		sameP99s = append(sameP99s, percentile(same, 99))
		say("round %d: submit p99 %.0f ms, raw p99 %.0f ms, the same writes p99 %.0f ms", round+1, subP99s[round], rawP99s[round], sameP99s[round])
		for _, id := range loaded {
			if _, err := api.Wait(ctx, id, 250*time.Millisecond, nil); err != nil {
				return fmt.Errorf("submit load: %w", err)
			}
		}
	}
	f.SubmitP50MS, f.SubmitP99MS = median(subP50s), median(subP99s)
	f.RawP50MS, f.RawP99MS, f.SameWritesP99MS = median(rawP50s), median(rawP99s), median(sameP99s)
	f.SubmitP99OverRawP99 = f.SubmitP99MS / f.RawP99MS
	f.SubmitP99OverSameWritesP99 = f.SubmitP99MS / f.SameWritesP99MS

	// The memory of every function after the loads of this stack.
	peakRSS(s, f.FunctionRSSMiB)

	// 3. Many jobs at once on the offline backend (no model latency: what
	// the stack itself can carry), beside one such job alone, and a
	// submission while they run.
	stopVertex()
	off, err := stack("offline")
	if err != nil {
		return err
	}
	defer off.Stop()
	api = client.New(off.APIURL, off.DevKey, hc)
	concurrentReq := func(name string, i int) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"topic":"%s %d","source_text":"Tides rise and fall twice a day as the Moon pulls the oceans. Spring tides are the highest, when the Sun and Moon align.","formats":["faqs","flashcards","image"],"cache":false}`, name, i))
	}
	var alone []float64
	for i := range 3 {
		j, err := runJob(ctx, api, string(concurrentReq("Alone", i)))
		if err != nil {
			return fmt.Errorf("offline job alone: %w", err)
		}
		alone = append(alone, j.FinishedAt.Sub(j.CreatedAt).Seconds())
	}
	f.OfflineJobAloneS = median(alone)
	f.ConcurrentJobs = o.concurrent
	cpuBefore := cpuByProcess(off)
	start := time.Now()
	ids := make([]string, o.concurrent)
	var wg sync.WaitGroup
	var submitErr error
	var mu sync.Mutex
	for i := range o.concurrent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j, err := api.Submit(ctx, concurrentReq("Concurrent job", i), "")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				submitErr = err
				return
			}
			ids[i] = j.ID
		}()
	}
	wg.Wait()
	if submitErr != nil {
		return fmt.Errorf("concurrent jobs: %w", submitErr)
	}
	underLoad, err := load(1, 10, func(i int) error {
		_, err := api.Submit(ctx, json.RawMessage(fmt.Sprintf(`{"topic":"Probe under load %d","formats":["faqs"],"cache":false}`, i)), "")
		return err
	})
	if err != nil {
		return err
	}
	f.SubmitUnderLoadP50MS = percentile(underLoad, 50)
	f.SubmitUnderLoadOverRawP50 = f.SubmitUnderLoadP50MS / f.RawP50MS
	var jobWalls []float64
	for _, id := range ids {
		j, err := api.Wait(ctx, id, 100*time.Millisecond, nil)
		if err != nil {
			return err
		}
		if j.Status != client.JobSucceeded {
			return fmt.Errorf("concurrent job %s ended %s", j.ID, j.Status)
		}
		jobWalls = append(jobWalls, j.FinishedAt.Sub(j.CreatedAt).Seconds())
	}
	took := time.Since(start).Seconds()
	f.ConcurrentCPUSeconds = map[string]float64{}
	for name, after := range cpuByProcess(off) {
		if d := after - cpuBefore[name]; d >= 0.005 {
			f.ConcurrentCPUSeconds[name] = d
		}
	}
	f.ConcurrentJobsPerSecond = float64(o.concurrent) / took
	f.ConcurrentJobWallP50S = median(jobWalls)
	say("%d jobs at once (offline AI): %.1f jobs/s, job p50 %.1fs; one alone %.2fs", o.concurrent, f.ConcurrentJobsPerSecond, f.ConcurrentJobWallP50S, f.OfflineJobAloneS)

	// 4. Memory: the peak of every function's process over both stacks,
	// and this process (the stacks and their fakes, as `factory dev` runs
	// them) after all those jobs.
	peakRSS(off, f.FunctionRSSMiB)
	for _, mib := range f.FunctionRSSMiB {
		f.MaxFunctionRSSMiB = max(f.MaxFunctionRSSMiB, mib)
	}
	runtime.GC()
	f.DevRSSAfterLastJobMiB = rssMiB(os.Getpid())
	f.JobsMeasuredForMemoryGrowth = o.jobs + 3*o.clients*o.perClient + 3 + o.concurrent + 10
	if f.DevRSSAfterFirstJobMiB > 0 {
		f.DevRSSGrowthRatio = f.DevRSSAfterLastJobMiB / f.DevRSSAfterFirstJobMiB
	}

	// 5. Cold start of a function beside a functions-framework hello world.
	if f.ColdStartMS, err = coldStart(ctx, bins["API"], nil, append(off.FunctionEnv(), "FUNCTION_TARGET=API")); err != nil {
		return fmt.Errorf("cold start: %w", err)
	}
	hello, err := buildHello(dir)
	if err != nil {
		return err
	}
	if f.HelloColdStartMS, err = coldStart(ctx, hello, nil, []string{"FUNCTION_TARGET=Hello"}); err != nil {
		return fmt.Errorf("hello cold start: %w", err)
	}
	f.ColdStartOverHello = f.ColdStartMS / f.HelloColdStartMS

	printTable(f)
	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(f, "", "  ")
	return os.WriteFile(o.out, append(b, '\n'), 0o644)
}

// runJob submits a request and waits until its job ends.
func runJob(ctx context.Context, api *client.Client, req string) (*client.Job, error) {
	j, err := api.Submit(ctx, json.RawMessage(req), "")
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	job, err := api.Wait(ctx, j.ID, 100*time.Millisecond, nil)
	if err != nil {
		return nil, err
	}
	if job.Status != client.JobSucceeded {
		return nil, fmt.Errorf("job %s ended %s", job.ID, job.Status)
	}
	return job, nil
}

// criticalPath is a job's chain of model time in seconds: the outline's
// model calls, then the longest of the other text steps and of the
// podcast script's followed by one round of speech.
func criticalPath(j *client.Job, tts time.Duration) float64 {
	var outline, longest float64
	for _, s := range j.Steps {
		if s.Kind != content.KindText {
			continue
		}
		d := float64(s.Usage.DurationMS) / 1000
		switch s.Name {
		case content.FormatOutline:
			outline = d
		case content.FormatPodcastScript:
			longest = max(longest, d+tts.Seconds())
		default:
			longest = max(longest, d)
		}
	}
	return outline + longest
}

// derivedSpread is how far apart the formats made from the outline
// started: 0 when they all started at once.
func derivedSpread(j *client.Job) float64 {
	var first, last time.Time
	for _, s := range j.Steps {
		if s.Kind == content.KindText && s.Name != content.FormatOutline && !s.StartedAt.IsZero() {
			if first.IsZero() || s.StartedAt.Before(first) {
				first = s.StartedAt
			}
			if s.StartedAt.After(last) {
				last = s.StartedAt
			}
		}
	}
	return last.Sub(first).Seconds()
}

// load runs n clients doing m calls each and returns every call's latency
// in milliseconds.
func load(n, m int, call func(i int) error) ([]float64, error) {
	var (
		mu   sync.Mutex
		lat  []float64
		errs []error
		wg   sync.WaitGroup
	)
	for c := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range m {
				t := time.Now()
				err := call(c*m + k)
				d := float64(time.Since(t).Microseconds()) / 1000
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				}
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return lat, errors.Join(errs...)
}

// rawBaseline is the least a submission can do on the same emulators: one
// Firestore create (a job document the size of ours) and one Pub/Sub
// publish, per call. With sameWrites, the create is instead one commit of
// the documents a submission of one format writes (the job, its request
// and its three steps, as shared/store's Create does): the submit path's
// cost above its own writes.
func rawBaseline(ctx context.Context, project string, n, m int, sameWrites bool) ([]float64, error) {
	fs, err := firestore.NewClient(ctx, project)
	if err != nil {
		return nil, err
	}
	defer fs.Close()
	ps, err := pubsub.NewClient(ctx, project)
	if err != nil {
		return nil, err
	}
	defer ps.Close()
	pub := ps.Publisher(queue.ShardTopic(queue.TopicFor(content.KindText), 0))
	defer pub.Stop()
	return load(n, m, func(i int) error {
		doc := map[string]any{"owner": "perf", "topic": fmt.Sprintf("Raw %d", i), "status": "queued", "created_at": time.Now(),
			"formats": []string{"outline", "faqs", "package"}, "fingerprint": strings.Repeat("f", 64)}
		ref := fs.Collection("raw_baseline").NewDoc()
		if !sameWrites {
			if _, err := ref.Create(ctx, doc); err != nil {
				return err
			}
		} else {
			//lint:ignore SA1019 the same one-commit creation as shared/store's Create (see there).
			b := fs.Batch()
			b.Create(ref, doc)
			b.Create(ref.Collection("request").Doc("request"), map[string]any{"topic": doc["topic"], "formats": doc["formats"]})
			for _, step := range []string{"outline", "faqs", "package"} {
				b.Create(ref.Collection("steps").Doc(step), map[string]any{"name": step, "status": "queued", "attempt": 0, "created_at": time.Now()})
			}
			if _, err := b.Commit(ctx); err != nil {
				return err
			}
		}
		_, err := pub.Publish(ctx, &pubsub.Message{Data: []byte(`{"v":1,"job_id":"rawbaseline","step":"outline"}`)}).Get(ctx)
		return err
	})
}

// coldStart starts a function process and times it to its first 200 on
// /healthz (any path for the hello world), the median of five starts.
func coldStart(ctx context.Context, bin string, args, env []string) (float64, error) {
	var times []float64
	for range 5 {
		port, err := devstack.FreePort()
		if err != nil {
			return 0, err
		}
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(append(os.Environ(), env...), "PORT="+strconv.Itoa(port))
		start := time.Now()
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		url := "http://127.0.0.1:" + strconv.Itoa(port) + "/healthz"
		for {
			resp, err := http.Get(url)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > time.Minute {
				_ = cmd.Process.Kill()
				return 0, fmt.Errorf("%s did not answer within a minute", bin)
			}
			time.Sleep(time.Millisecond)
		}
		times = append(times, float64(time.Since(start).Microseconds())/1000)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	return median(times), nil
}

// buildFunctions builds every function as a binary of its own under
// dir/functions, each from a main package as the Cloud Functions buildpack
// generates it (the function's package imported, the framework started on
// PORT), and returns them by function name.
func buildFunctions(ctx context.Context, dir string) (map[string]string, error) {
	out := map[string]string{}
	for _, fn := range queue.Functions {
		src := filepath.Join(dir, "functions", fn.Package, "main.go")
		if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(src, []byte(fmt.Sprintf(functionMain, fn.Package)), 0o644); err != nil {
			return nil, err
		}
		bin := filepath.Join(dir, "functions", fn.Package, fn.Package)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, src)
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("build the function %s: %w", fn.Name, err)
		}
		out[fn.Name] = bin
	}
	return out, nil
}

// functionMain is the main package of one function's binary.
const functionMain = `package main

import (
	"log"
	"os"

	"github.com/GoogleCloudPlatform/functions-framework-go/funcframework"

	_ "contentfactory.dev/factory/functions/%s"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	if err := funcframework.StartHostPort("127.0.0.1", port); err != nil {
		log.Fatal(err)
	}
}
`

// buildHello builds the functions-framework hello world of test/perf/hello.
func buildHello(dir string) (string, error) {
	out := filepath.Join(dir, "hello")
	cmd := exec.Command("go", "build", "-o", out, "./test/perf/hello")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build the hello world: %w", err)
	}
	return out, nil
}

// peakRSS keeps, by function, the largest peak resident memory of its
// processes in s.
func peakRSS(s *devstack.Stack, into map[string]float64) {
	for key, pid := range s.Pids() {
		name, _, _ := strings.Cut(key, "@")
		into[name] = max(into[name], procMiB(pid, "VmHWM:"))
	}
}

// cpuByProcess is the CPU time in seconds each process of the stack has
// used so far: every function, the emulators (found by their command
// line and port) and this process (the fakes and fake-gcs-server).
func cpuByProcess(s *devstack.Stack) map[string]float64 {
	out := map[string]float64{"perf process (fakes, fake-gcs-server)": cpuSeconds(os.Getpid())}
	for key, pid := range s.Pids() {
		out[key] = cpuSeconds(pid)
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		for name, host := range map[string]string{"Firestore emulator": s.FirestoreHost, "Pub/Sub emulator": s.PubSubHost} {
			_, port, _ := strings.Cut(host, ":")
			if strings.Contains(string(cmdline), "java") && strings.Contains(string(cmdline), "--port="+port+"\x00") {
				out[name] += cpuSeconds(pid)
			}
		}
	}
	return out
}

// cpuSeconds reads the user and system time of a process from /proc.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0
	}
	fields := strings.Fields(rest)
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / clockTicks
}

// clockTicks is the kernel's USER_HZ, the unit of /proc's CPU times (100
// on Linux for every architecture Go supports).
const clockTicks = 100

// rssMiB reads a process's resident memory from /proc.
func rssMiB(pid int) float64 { return procMiB(pid, "VmRSS:") }

// procMiB reads a memory figure (VmRSS:, VmHWM:) of a process from /proc.
func procMiB(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

func median(xs []float64) float64 { return percentile(xs, 50) }

// percentile is the nearest-rank percentile of xs.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func printTable(f figures) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "figure\tmeasured\tbaseline in the same run\tratio\n")
	fmt.Fprintf(w, "job wall time (median)\t%.2f s\tcritical-path model time %.2f s\t%.2f×\n", f.JobWallMedianS, f.CriticalPathS, f.JobWallOverCriticalPath)
	fmt.Fprintf(w, "derived formats' start spread (median)\t%.2f s\t0 s: all at once\t\n", f.DerivedStartSpreadMedianS)
	fmt.Fprintf(w, "POST /v1/jobs p99, %s (median of 3 rounds)\t%.0f ms\traw Firestore create + publish %.0f ms\t%.2f×\n", "50 clients", f.SubmitP99MS, f.RawP99MS, f.SubmitP99OverRawP99)
	fmt.Fprintf(w, "POST /v1/jobs p99, %s (median of 3 rounds)\t%.0f ms\tthe same five documents in one commit + publish %.0f ms\t%.2f×\n", "50 clients", f.SubmitP99MS, f.SameWritesP99MS, f.SubmitP99OverSameWritesP99)
	fmt.Fprintf(w, "submit p50 while %d jobs run\t%.0f ms\traw p50 %.0f ms\t%.2f×\n", f.ConcurrentJobs, f.SubmitUnderLoadP50MS, f.RawP50MS, f.SubmitUnderLoadOverRawP50)
	fmt.Fprintf(w, "%d jobs started at once (offline AI)\t%.2f jobs/s, job p50 %.1f s\tone job alone %.2f s\t\n", f.ConcurrentJobs, f.ConcurrentJobsPerSecond, f.ConcurrentJobWallP50S, f.OfflineJobAloneS)
	fmt.Fprintf(w, "cold start to first 200 (API)\t%.1f ms\tfunctions-framework hello world %.1f ms\t%.2f×\n", f.ColdStartMS, f.HelloColdStartMS, f.ColdStartOverHello)
	fmt.Fprintf(w, "largest function peak RSS (VmHWM)\t%.0f MiB\t\t\n", f.MaxFunctionRSSMiB)
	fmt.Fprintf(w, "stack process RSS, first job → last\t%.0f → %.0f MiB\t%d jobs\t%.2f×\n", f.DevRSSAfterFirstJobMiB, f.DevRSSAfterLastJobMiB, f.JobsMeasuredForMemoryGrowth, f.DevRSSGrowthRatio)
	w.Flush()
	names := make([]string, 0, len(f.FunctionRSSMiB))
	for n := range f.FunctionRSSMiB {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Printf("  peak RSS %-16s %.0f MiB\n", n, f.FunctionRSSMiB[n])
	}
	names = names[:0]
	for n := range f.ConcurrentCPUSeconds {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(f.ConcurrentCPUSeconds[b], f.ConcurrentCPUSeconds[a]) })
	fmt.Printf("CPU seconds while the %d jobs ran (%s):\n", f.ConcurrentJobs, f.Machine)
	for _, n := range names {
		fmt.Printf("  %-28s %.2f s\n", n, f.ConcurrentCPUSeconds[n])
	}
}
