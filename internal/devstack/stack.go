package devstack

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"cloud.google.com/go/firestore"
	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"contentfactory.dev/factory/internal/gardentest"
	"contentfactory.dev/factory/internal/ttstest"
	"contentfactory.dev/factory/internal/vertextest"
	"contentfactory.dev/factory/shared/auth"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/store"
)

// Options shape a local stack.
type Options struct {
	// Binary serves one function per process with `Binary serve`
	// (default: this executable).
	Binary string
	// FunctionBinaries, by function name, run a function from a binary of
	// its own (started without arguments), built as a deployed function's
	// is: only its package linked (test/perf builds them). A function not
	// named runs as `Binary serve`.
	FunctionBinaries map[string]string
	// APIPort is where the API listens (0: a free port).
	APIPort int
	// Project is the project id the emulators use (default demo-factory).
	Project string
	// Bucket is the artifact bucket (default factory-artifacts).
	Bucket string
	// AI selects the backends (default offline); with FakeAI, "vertex"
	// runs against in-process fakes of Vertex AI and Text-to-Speech,
	// configured by FACTORY_FAKE_VERTEX_* and FACTORY_FAKE_TTS_*.
	AI     string
	FakeAI bool
	// Dir holds the signing key and the function logs (default a
	// temporary folder).
	Dir string
	// Logs receives every process's output; nil writes Dir/logs/<name>.log.
	Logs func(name string) io.Writer
	// Env is added to every function's environment.
	Env []string
	// Retry settings of the push subscriptions (defaults: 1s, 10s, 5).
	MinBackoff, MaxBackoff time.Duration
	MaxDeliveryAttempts    int
	// FirestoreHost and PubSubHost reuse running emulators.
	FirestoreHost, PubSubHost string
	// SweepEvery is how often the Sweep function is called (as Cloud
	// Scheduler would); default 10s, negative never.
	SweepEvery time.Duration
	// KeepRequests bounds what the fakes of Vertex AI and Text-to-Speech
	// keep of the requests they served (0: every one, for tests).
	KeepRequests int
	// PushShards spreads step messages over that many topics per kind,
	// each pushed to its function by its own subscription (default 8; see
	// queue.ShardTopic: the emulator pushes two at a time per
	// subscription).
	PushShards int
	// SweepStale is how long a step may sit queued before the sweep
	// publishes it again (FACTORY_SWEEP_STALE; default 30s).
	SweepStale time.Duration
	// TestLinks, when set, is the test seam of the link fetcher
	// (FACTORY_TEST_LINKS, webhook.TestLinks): one host name that leads to
	// a TLS server the test runs on loopback. Only tests set it; `factory
	// dev` never does, so the local stack fetches links as production does.
	TestLinks string
	// StorageEvents makes fake-gcs-server publish every object it stores
	// on the topic StorageEventsTopic (kept by a hold subscription), so a
	// test can count writes.
	StorageEvents bool
	// Regions runs the factory as cells, as production does: every
	// function in every region (FACTORY_REGION), each region with its own
	// topics ("-<region>" suffix, FACTORY_TOPIC_SUFFIX) and its own sweep
	// ticker, sharing the emulators and the bucket. Empty: one region,
	// "local", whose topics have no suffix.
	Regions []string
}

// LocalRegion is the region of a one-region stack.
const LocalRegion = "local"

// StorageEventsTopic carries fake-gcs-server's OBJECT_FINALIZE events.
const StorageEventsTopic = "storage-events"

// Stack is a running local factory.
type Stack struct {
	Options
	APIURL        string
	FirestoreHost string
	PubSubHost    string
	StorageHost   string
	// DevKey is an API key of the owner "dev".
	DevKey string

	Firestore *firestore.Client
	PubSub    *pubsub.Client
	Storage   *fakestorage.Server
	// Vertex and TTS are the fakes the functions talk to (with FakeAI);
	// Claude and OpenAI those of the Claude and OpenAI-compatible text
	// backends, for a models file whose steps name them.
	Vertex *vertextest.Server
	TTS    *ttstest.Server
	Claude *gardentest.Server
	OpenAI *gardentest.Server

	// APIURLs is the API of every region (APIURL is the first's).
	APIURLs map[string]string

	emulators []*Process
	mu        sync.Mutex
	functions map[string]*Process // by instance key (Instance)
	ports     map[string]int
	regionOf  map[string]string
	halted    map[string]bool // instances stopped on purpose: not restarted
	fnEnv     []string
	stopping  bool
	restarts  map[string]int
	sweeps    map[string]context.CancelFunc // by region
}

// DevOwner owns the development key the stack makes.
const DevOwner = "dev"

// Start brings a whole stack up and returns when every function answers.
func Start(ctx context.Context, opts Options) (s *Stack, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	st := &Stack{Options: opts, functions: map[string]*Process{}, ports: map[string]int{}, regionOf: map[string]string{},
		halted: map[string]bool{}, restarts: map[string]int{}, sweeps: map[string]context.CancelFunc{}, APIURLs: map[string]string{}}
	s = st
	defer func() {
		if err != nil {
			st.Stop() // what started before the failure
		}
	}()
	if err := s.startServices(ctx); err != nil {
		return nil, err
	}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	if err := s.bootstrap(ctx); err != nil {
		return nil, err
	}
	if err := s.startFunctions(ctx); err != nil {
		return nil, err
	}
	if err := s.subscribe(ctx); err != nil {
		return nil, err
	}
	if s.SweepEvery > 0 {
		for _, r := range s.Regions {
			sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			s.sweeps[r] = cancel
			go s.sweepLoop(sctx, r)
		}
	}
	return s, nil
}

// Instance names a function's process in a region: its name in a
// one-region stack, "name@region" in a stack of several.
func (s *Stack) Instance(name, region string) string {
	if len(s.Regions) == 1 {
		return name
	}
	return name + "@" + region
}

// suffix is a region's topic suffix: none in a one-region stack.
func (s *Stack) suffix(region string) string {
	if len(s.Regions) == 1 {
		return ""
	}
	return "-" + region
}

// sweepLoop calls a region's Sweep function every SweepEvery, as Cloud
// Scheduler does in production.
func (s *Stack) sweepLoop(ctx context.Context, region string) {
	url := fmt.Sprintf("http://127.0.0.1:%d/", s.ports[s.Instance("Sweep", region)])
	t := time.NewTicker(s.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
}

func (o *Options) defaults() error {
	if o.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the factory binary: %w", err)
		}
		o.Binary = exe
	}
	if o.Project == "" {
		o.Project = "demo-factory"
	}
	if o.Bucket == "" {
		o.Bucket = "factory-artifacts"
	}
	if o.AI == "" {
		o.AI = "offline"
	}
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "factory-dev-")
		if err != nil {
			return err
		}
		o.Dir = d
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "logs"), 0o755); err != nil {
		return err
	}
	if o.Logs == nil {
		o.Logs = LogFiles(o.Dir)
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff == 0 {
		o.MaxBackoff = 10 * time.Second
	}
	if o.MaxDeliveryAttempts == 0 {
		o.MaxDeliveryAttempts = 5
	}
	if o.SweepEvery == 0 {
		o.SweepEvery = 10 * time.Second
	}
	if o.PushShards == 0 {
		o.PushShards = 8
	}
	if o.SweepStale == 0 {
		o.SweepStale = 30 * time.Second
	}
	if len(o.Regions) == 0 {
		o.Regions = []string{LocalRegion}
	}
	return nil
}

// LogFiles returns the writer of each process's log file,
// DIR/logs/<name>.log, opened once per name and kept across restarts (a
// file that cannot be opened discards).
func LogFiles(dir string) func(name string) io.Writer {
	var mu sync.Mutex
	files := map[string]io.Writer{}
	return func(name string) io.Writer {
		mu.Lock()
		defer mu.Unlock()
		if w, ok := files[name]; ok {
			return w
		}
		f, err := os.OpenFile(filepath.Join(dir, "logs", name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return io.Discard
		}
		files[name] = f
		return f
	}
}

// startServices starts (or adopts) the emulators and fake-gcs-server.
func (s *Stack) startServices(ctx context.Context) error {
	s.FirestoreHost, s.PubSubHost = s.Options.FirestoreHost, s.Options.PubSubHost
	var wg sync.WaitGroup
	var fsErr, psErr error
	if s.FirestoreHost == "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p *Process
			if p, fsErr = StartFirestore(ctx, s.Logs("firestore-emulator")); fsErr == nil {
				s.mu.Lock()
				s.emulators = append(s.emulators, p)
				s.mu.Unlock()
				s.FirestoreHost = p.Addr
			}
		}()
	}
	if s.PubSubHost == "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p *Process
			if p, psErr = StartPubSub(ctx, s.Logs("pubsub-emulator")); psErr == nil {
				s.mu.Lock()
				s.emulators = append(s.emulators, p)
				s.mu.Unlock()
				s.PubSubHost = p.Addr
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(fsErr, psErr); err != nil {
		return err
	}
	os.Setenv("FIRESTORE_EMULATOR_HOST", s.FirestoreHost)
	os.Setenv("PUBSUB_EMULATOR_HOST", s.PubSubHost)
	port, err := FreePort()
	if err != nil {
		return err
	}
	host := "127.0.0.1:" + strconv.Itoa(port)
	// Objects live on disk under the stack's folder, so the stack's own
	// memory stays flat however many jobs it makes; the emulators start
	// empty, and so does the bucket.
	if err := os.RemoveAll(filepath.Join(s.Dir, "storage")); err != nil {
		return fmt.Errorf("clear the local bucket: %w", err)
	}
	gcsOpts := fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: uint16(port), PublicHost: host,
		StorageRoot: filepath.Join(s.Dir, "storage")}
	if s.StorageEvents {
		gcsOpts.EventOptions = fakestorage.EventManagerOptions{
			ProjectID: s.Project, TopicName: StorageEventsTopic, Bucket: s.Bucket,
			NotifyOn: fakestorage.EventNotificationOptions{Finalize: true},
		}
	}
	s.Storage, err = fakestorage.NewServerWithOptions(gcsOpts)
	if err != nil {
		return fmt.Errorf("start fake-gcs-server: %w", err)
	}
	s.StorageHost = host
	s.Storage.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: s.Bucket})
	if s.AI == "vertex" && s.FakeAI {
		return s.startFakes()
	}
	return nil
}

// startFakes starts the Vertex AI (Gemini, Claude, OpenAI-compatible) and
// Text-to-Speech fakes and points the functions at them; the Claude and
// OpenAI-compatible fakes take the Vertex fake's seed.
func (s *Stack) startFakes() error {
	vo, err := vertextest.OptionsFromEnv()
	if err != nil {
		return fmt.Errorf("vertex fake: %w", err)
	}
	to, err := ttstest.OptionsFromEnv()
	if err != nil {
		return fmt.Errorf("tts fake: %w", err)
	}
	vo.Keep, to.Keep = s.KeepRequests, s.KeepRequests
	s.Vertex = vertextest.NewServer(vo)
	s.Claude = gardentest.NewClaude(gardentest.Options{Seed: vo.Seed})
	s.OpenAI = gardentest.NewOpenAI(gardentest.Options{Seed: vo.Seed})
	if s.TTS, err = ttstest.Start(to); err != nil {
		return fmt.Errorf("tts fake: %w", err)
	}
	s.Env = append(s.Env,
		"FACTORY_VERTEX_BASE_URL="+s.Vertex.URL,
		"FACTORY_CLAUDE_BASE_URL="+s.Claude.URL,
		"FACTORY_OPENAI_BASE_URL="+s.OpenAI.URL,
		"FACTORY_TTS_ENDPOINT="+s.TTS.Addr,
		"FACTORY_TTS_INSECURE=true",
	)
	return nil
}

// connect makes the stack's own clients, pointed at the emulators.
func (s *Stack) connect(ctx context.Context) error {
	var err error
	if s.Firestore, err = firestore.NewClient(ctx, s.Project); err != nil {
		return fmt.Errorf("firestore client: %w", err)
	}
	if s.PubSub, err = pubsub.NewClient(ctx, s.Project); err != nil {
		return fmt.Errorf("pubsub client: %w", err)
	}
	return nil
}

// bootstrap makes the signing key, the development API key and the
// functions' environment.
func (s *Stack) bootstrap(ctx context.Context) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	keyFile := filepath.Join(s.Dir, "signing-key.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, pemBytes, 0o600); err != nil {
		return fmt.Errorf("write signing key: %w", err)
	}
	plain, k, err := auth.NewKey(DevOwner, "development key", time.Now())
	if err != nil {
		return err
	}
	if err := store.New(s.Firestore).CreateKey(ctx, k); err != nil {
		return err
	}
	s.DevKey = plain
	if s.APIPort == 0 {
		if s.APIPort, err = FreePort(); err != nil {
			return err
		}
	}
	s.APIURL = "http://127.0.0.1:" + strconv.Itoa(s.APIPort)
	s.fnEnv = append([]string{
		"GOOGLE_CLOUD_PROJECT=" + s.Project,
		"FIRESTORE_EMULATOR_HOST=" + s.FirestoreHost,
		"PUBSUB_EMULATOR_HOST=" + s.PubSubHost,
		"STORAGE_EMULATOR_HOST=" + s.StorageHost,
		"FACTORY_BUCKET=" + s.Bucket,
		"FACTORY_AI=" + s.AI,
		"FACTORY_PUBLIC_URL=" + s.APIURL,
		"FACTORY_SIGNING_KEY_FILE=" + keyFile,
		"FACTORY_SIGNING_ACCOUNT=factory-dev@local.invalid",
		"FACTORY_SWEEP_STALE=" + s.SweepStale.String(),
		"FACTORY_PUSH_SHARDS=" + strconv.Itoa(s.PushShards),
	}, s.Env...)
	if s.TestLinks != "" {
		s.fnEnv = append(s.fnEnv, "FACTORY_TEST_LINKS="+s.TestLinks)
	}
	return nil
}

// startFunctions starts one process per function and region, each
// serving only its function (FUNCTION_TARGET), like a Cloud Run functions
// instance; the first region's API listens on APIPort.
func (s *Stack) startFunctions(ctx context.Context) error {
	for i, r := range s.Regions {
		for _, f := range queue.Functions {
			key := s.Instance(f.Name, r)
			port := s.APIPort
			if f.Name != "API" || i > 0 {
				var err error
				if port, err = FreePort(); err != nil {
					return err
				}
			}
			s.ports[key], s.regionOf[key] = port, r
			if f.Name == "API" {
				s.APIURLs[r] = "http://127.0.0.1:" + strconv.Itoa(port)
			}
			if err := s.startFunction(ctx, key); err != nil {
				return err
			}
		}
	}
	return nil
}

// startFunction starts a function instance (Instance) on its port.
func (s *Stack) startFunction(ctx context.Context, key string) error {
	port := s.ports[key]
	name, region, _ := strings.Cut(key, "@")
	if region == "" {
		region = s.Regions[0]
	}
	env := append(append([]string{}, s.fnEnv...), "FUNCTION_TARGET="+name, "PORT="+strconv.Itoa(port),
		"FACTORY_REGION="+region, "FACTORY_TOPIC_SUFFIX="+s.suffix(region))
	bin, args := s.Binary, []string{"serve"}
	if b, ok := s.FunctionBinaries[name]; ok {
		bin, args = b, nil
	}
	p, err := start(key, "127.0.0.1:"+strconv.Itoa(port), s.Logs(key), env, bin, args...)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.functions[key] = p
	s.mu.Unlock()
	go s.supervise(context.WithoutCancel(ctx), key, p)
	return waitListening(ctx, p, 30*time.Second)
}

// supervise starts a function again when its process dies on its own, as
// the platform replaces a crashed instance.
func (s *Stack) supervise(ctx context.Context, name string, p *Process) {
	<-p.done
	s.mu.Lock()
	replace := !s.stopping && !s.halted[name] && s.functions[name] == p
	if replace {
		s.restarts[name]++
	}
	s.mu.Unlock()
	if !replace {
		return
	}
	time.Sleep(200 * time.Millisecond)
	if err := s.startFunction(ctx, name); err != nil {
		fmt.Fprintf(s.Logs(name), "devstack: restart %s failed: %v\n", name, err)
	}
}

// FunctionEnv is the environment every function process of the stack
// gets (FUNCTION_TARGET and PORT aside).
func (s *Stack) FunctionEnv() []string { return append([]string{}, s.fnEnv...) }

// Pids returns the process id of every function's process.
func (s *Stack) Pids() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.functions))
	for name, p := range s.functions {
		out[name] = p.cmd.Process.Pid
	}
	return out
}

// Restarts returns how often each function was restarted after dying.
func (s *Stack) Restarts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.restarts))
	for k, v := range s.restarts {
		out[k] = v
	}
	return out
}

// waitListening waits until a process accepts connections on its address.
func waitListening(ctx context.Context, p *Process, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if done, err := p.Exited(); done {
			return fmt.Errorf("%s exited while starting: %v", p.Name, err)
		}
		if c, err := net.DialTimeout("tcp", p.Addr, 200*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not listen on %s within %s", p.Name, p.Addr, limit)
}

// subscribe creates every topic, dead-letter topic (with a subscription
// that keeps what lands there) and push subscription of the deployment, in
// every region.
func (s *Stack) subscribe(ctx context.Context) error {
	for _, r := range s.Regions {
		if err := s.subscribeRegion(ctx, r); err != nil {
			return err
		}
	}
	if s.StorageEvents {
		if err := s.CreateTopic(ctx, StorageEventsTopic); err != nil {
			return err
		}
		if err := s.CreatePullSubscription(ctx, queue.HoldSubscription(StorageEventsTopic), StorageEventsTopic); err != nil {
			return err
		}
	}
	return nil
}

// subscribeRegion makes a region's topics and subscriptions, pushing to
// that region's functions.
func (s *Stack) subscribeRegion(ctx context.Context, region string) error {
	names := func(id string) string { return id + s.suffix(region) }
	for _, t := range queue.Topics(names) {
		if err := s.CreateTopic(ctx, t); err != nil {
			return err
		}
	}
	events := names(queue.TopicEvents)
	if err := s.CreatePullSubscription(ctx, queue.HoldSubscription(events), events); err != nil {
		return err
	}
	for _, sub := range queue.Subscriptions(names) {
		endpoint := fmt.Sprintf("http://127.0.0.1:%d/projects/%s/topics/%s", s.ports[s.Instance(sub.Function, region)], s.Project, sub.Topic)
		def := &pubsubpb.Subscription{
			Name:               s.subName(sub.Name),
			Topic:              s.topicName(sub.Topic),
			PushConfig:         &pubsubpb.PushConfig{PushEndpoint: endpoint},
			AckDeadlineSeconds: int32(sub.AckDeadline / time.Second),
			RetryPolicy: &pubsubpb.RetryPolicy{
				MinimumBackoff: durationpb.New(s.MinBackoff),
				MaximumBackoff: durationpb.New(s.MaxBackoff),
			},
		}
		if sub.DeadLetterTopic != "" {
			if err := s.CreatePullSubscription(ctx, queue.HoldSubscription(sub.DeadLetterTopic), sub.DeadLetterTopic); err != nil {
				return err
			}
			def.DeadLetterPolicy = &pubsubpb.DeadLetterPolicy{
				DeadLetterTopic:     s.topicName(sub.DeadLetterTopic),
				MaxDeliveryAttempts: int32(s.MaxDeliveryAttempts),
			}
		}
		defs := []*pubsubpb.Subscription{def}
		if id := strings.TrimSuffix(sub.Topic, s.suffix(region)); queue.IsStepTopic(id) && s.PushShards > 1 {
			// Each shard topic of a step kind is pushed to the region's
			// function by a subscription of its own (the kind's own topic
			// keeps its subscription too, for what is published there
			// directly). A shard is named as the publisher names it: the
			// shard of the kind's topic id, in the region.
			for i := range s.PushShards {
				topic := names(queue.ShardTopic(id, i))
				if err := s.CreateTopic(ctx, topic); err != nil {
					return err
				}
				d := proto.Clone(def).(*pubsubpb.Subscription)
				d.Name, d.Topic = s.subName(topic+"-push"), s.topicName(topic)
				d.PushConfig.PushEndpoint = fmt.Sprintf("http://127.0.0.1:%d/projects/%s/topics/%s", s.ports[s.Instance(sub.Function, region)], s.Project, topic)
				defs = append(defs, d)
			}
		}
		for _, d := range defs {
			_, err := s.PubSub.SubscriptionAdminClient.CreateSubscription(ctx, d)
			if err != nil && status.Code(err) != codes.AlreadyExists {
				return fmt.Errorf("create subscription %s: %w", d.Name, err)
			}
		}
	}
	return nil
}

// StepTopics maps every topic step messages are published on to the
// function they are pushed to: the kinds' topics, or their shards (those
// of a one-region stack, whose topics have no suffix).
func (s *Stack) StepTopics() map[string]string {
	out := map[string]string{}
	for _, f := range queue.Functions {
		if f.Topic == "" || !queue.IsStepTopic(f.Topic) {
			continue
		}
		if s.PushShards <= 1 {
			out[f.Topic] = f.Name
			continue
		}
		out[f.Topic] = f.Name
		for i := range s.PushShards {
			out[queue.ShardTopic(f.Topic, i)] = f.Name
		}
	}
	return out
}

func (s *Stack) topicName(id string) string { return "projects/" + s.Project + "/topics/" + id }
func (s *Stack) subName(id string) string   { return "projects/" + s.Project + "/subscriptions/" + id }

// CreateTopic creates a topic unless it exists.
func (s *Stack) CreateTopic(ctx context.Context, id string) error {
	_, err := s.PubSub.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: s.topicName(id)})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("create topic %s: %w", id, err)
	}
	return nil
}

// CreatePullSubscription creates a pull subscription unless it exists.
func (s *Stack) CreatePullSubscription(ctx context.Context, id, topic string) error {
	_, err := s.PubSub.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
		Name: s.subName(id), Topic: s.topicName(topic), AckDeadlineSeconds: 60,
	})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("create subscription %s: %w", id, err)
	}
	return nil
}

// Publish publishes a message on a topic of the stack.
func (s *Stack) Publish(ctx context.Context, topic string, data []byte, attrs map[string]string) (string, error) {
	pub := s.PubSub.Publisher(topic)
	defer pub.Stop()
	return pub.Publish(ctx, &pubsub.Message{Data: data, Attributes: attrs}).Get(ctx)
}

// Kill kills a function's process (an instance: Instance), as a crash
// would; the stack starts it again on the same port.
func (s *Stack) Kill(name string) {
	s.mu.Lock()
	p := s.functions[name]
	s.mu.Unlock()
	if p != nil {
		p.Kill()
	}
}

// Halt stops a region as an outage would: the named functions' processes
// (every function when none is named), for good, and, with them, the
// region's sweep ticker, as its Cloud Scheduler would stop too.
func (s *Stack) Halt(region string, names ...string) {
	if len(names) == 0 {
		for _, f := range queue.Functions {
			names = append(names, f.Name)
		}
	}
	s.mu.Lock()
	var procs []*Process
	for _, n := range names {
		key := s.Instance(n, region)
		s.halted[key] = true
		if p := s.functions[key]; p != nil {
			procs = append(procs, p)
		}
	}
	if stop := s.sweeps[region]; stop != nil {
		stop()
		delete(s.sweeps, region)
	}
	s.mu.Unlock()
	for _, p := range procs {
		p.Stop(5 * time.Second)
	}
}

// State is what `factory dev` writes for the command-line client and
// other tools to find the stack.
type State struct {
	APIURL        string `json:"api_url"`
	DevKey        string `json:"dev_key"`
	Project       string `json:"project"`
	Bucket        string `json:"bucket"`
	FirestoreHost string `json:"firestore_host"`
	PubSubHost    string `json:"pubsub_host"`
	StorageHost   string `json:"storage_host"`
	LogDir        string `json:"log_dir"`
	PID           int    `json:"pid"`
	// Regions are the stack's regions; JobEventHolds, the subscriptions
	// that keep every region's job events.
	Regions       []string `json:"regions"`
	JobEventHolds []string `json:"job_event_holds"`
}

// State describes the running stack.
func (s *Stack) State() State {
	return State{
		APIURL: s.APIURL, DevKey: s.DevKey, Project: s.Project, Bucket: s.Bucket,
		FirestoreHost: s.FirestoreHost, PubSubHost: s.PubSubHost, StorageHost: s.StorageHost,
		LogDir: filepath.Join(s.Dir, "logs"), PID: os.Getpid(),
		Regions: s.Regions, JobEventHolds: s.JobEventHolds(),
	}
}

// JobEventHolds names the pull subscriptions that keep every region's job
// events (what `factory analytics` reads).
func (s *Stack) JobEventHolds() []string {
	out := make([]string, len(s.Regions))
	for i, r := range s.Regions {
		out[i] = queue.HoldSubscription(queue.TopicEvents + s.suffix(r))
	}
	return out
}

// WriteState writes the stack's state as JSON to path.
func (s *Stack) WriteState(path string) error {
	b, _ := json.MarshalIndent(s.State(), "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// Stop stops every function, the emulators and fake-gcs-server.
func (s *Stack) Stop() {
	s.mu.Lock()
	for _, stop := range s.sweeps {
		stop()
	}
	s.stopping = true
	fns := make([]*Process, 0, len(s.functions))
	for _, p := range s.functions {
		fns = append(fns, p)
	}
	ems := s.emulators
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range fns {
		wg.Add(1)
		go func() { defer wg.Done(); p.Stop(5 * time.Second) }()
	}
	wg.Wait()
	if s.PubSub != nil {
		s.PubSub.Close()
	}
	if s.Firestore != nil {
		s.Firestore.Close()
	}
	for _, p := range ems {
		wg.Add(1)
		go func() { defer wg.Done(); p.Stop(5 * time.Second) }()
	}
	wg.Wait()
	if s.Storage != nil {
		s.Storage.Stop()
	}
	for _, f := range []*gardentest.Server{s.Claude, s.OpenAI} {
		if f != nil {
			f.Close()
		}
	}
	if s.Vertex != nil {
		s.Vertex.Close()
	}
	if s.TTS != nil {
		s.TTS.Close()
	}
}
