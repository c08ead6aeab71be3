package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeRun is Cloud Run's traffic as the tool sees it: a service routes
// each share of its traffic to a named revision or to the latest one, and
// a deployment with all_traffic_on_latest_revision = false (what
// Terraform deploys) adds a revision without changing that routing, so
// the new revision takes whatever share follows the latest revision.
type fakeRun struct {
	services map[string]*fakeService // by "service@region"
	calls    []string
}

type fakeService struct {
	revisions []string
	notReady  bool
	spec      []Target
	tags      map[string]string // tag → revision
}

func newFakeRun() *fakeRun { return &fakeRun{services: map[string]*fakeService{}} }

// deploy makes a new revision of a service, as an apply does; the first
// one creates the service, following the latest revision.
func (f *fakeRun) deploy(service, region string) string {
	s, ok := f.services[service+"@"+region]
	if !ok {
		s = &fakeService{spec: []Target{{Latest: true, Percent: 100}}, tags: map[string]string{}}
		f.services[service+"@"+region] = s
	}
	rev := fmt.Sprintf("%s-%05d", service, len(s.revisions)+1)
	s.revisions = append(s.revisions, rev)
	return rev
}

// serving is the revisions that take traffic, and their shares.
func (f *fakeRun) serving(service, region string) map[string]int {
	s := f.services[service+"@"+region]
	out := map[string]int{}
	for _, t := range s.spec {
		rev := t.Revision
		if t.Latest {
			rev = s.revisions[len(s.revisions)-1]
		}
		if t.Percent > 0 {
			out[rev] += t.Percent
		}
	}
	return out
}

func (f *fakeRun) Describe(_ context.Context, service, region string) (Service, bool, error) {
	s, ok := f.services[service+"@"+region]
	if !ok {
		return Service{}, false, nil
	}
	var svc Service
	svc.Spec.Traffic = s.spec
	svc.Status.LatestCreated = s.revisions[len(s.revisions)-1]
	svc.Status.LatestReady = svc.Status.LatestCreated
	if s.notReady && len(s.revisions) > 1 {
		svc.Status.LatestReady = s.revisions[len(s.revisions)-2]
	}
	for rev, pct := range f.serving(service, region) {
		svc.Status.Traffic = append(svc.Status.Traffic, Target{Revision: rev, Percent: pct, Latest: len(s.spec) == 1 && s.spec[0].Latest})
	}
	return svc, true, nil
}

func (f *fakeRun) UpdateTraffic(_ context.Context, service, region string, flags ...string) error {
	f.calls = append(f.calls, service+"@"+region+" "+strings.Join(flags, " "))
	s := f.services[service+"@"+region]
	for _, fl := range flags {
		name, value, _ := strings.Cut(fl, "=")
		switch name {
		case "--to-revisions":
			s.spec = nil
			for part := range strings.SplitSeq(value, ",") {
				rev, pct, _ := strings.Cut(part, "=")
				n, err := strconv.Atoi(pct)
				if err != nil {
					return err
				}
				s.spec = append(s.spec, Target{Revision: rev, Percent: n})
			}
		case "--update-tags":
			tag, rev, _ := strings.Cut(value, "=")
			s.tags[tag] = rev
		default:
			return fmt.Errorf("the fake does not do %s", fl)
		}
	}
	return nil
}

// setup writes Terraform's outputs for two functions in two regions.
func setup(t *testing.T, run *fakeRun) *Tool {
	t.Helper()
	dir := t.TempDir()
	const outputs = `{
		"function_services": {"value": {"API/west": "factory-api", "API/east": "factory-api", "GenerateText/west": "factory-text", "GenerateText/east": "factory-text"}},
		"regions": {"value": ["west", "east"]},
		"canary_region": {"value": "west"}
	}`
	before, after := filepath.Join(dir, "before.json"), filepath.Join(dir, "after.json")
	require.NoError(t, os.WriteFile(before, []byte(`{}`), 0o644))
	require.NoError(t, os.WriteFile(after, []byte(outputs), 0o644))
	return &Tool{Cloud: run, Before: before, After: after, State: filepath.Join(dir, "traffic.json"), Out: io.Discard}
}

// deployAll makes a new revision of every function, as an apply does.
func deployAll(run *fakeRun) {
	for _, r := range []string{"west", "east"} {
		run.deploy("factory-api", r)
		run.deploy("factory-text", r)
	}
}

func (t *Tool) must(tb testing.TB, args ...string) {
	tb.Helper()
	require.NoError(tb, t.Run(context.Background(), args))
}

// deployedOnce is a tool after a first deployment that save pinned, and a
// second apply: every function has revisions 1 (serving) and 2 (new).
func deployedOnce(t *testing.T) (*Tool, *fakeRun) {
	t.Helper()
	run := newFakeRun()
	tool := setup(t, run)
	deployAll(run)
	tool.Before = tool.After
	tool.must(t, "save")
	deployAll(run)
	return tool, run
}

func TestNewRevisionsTakeNoTrafficUntilPromoted(t *testing.T) {
	run := newFakeRun()
	tool := setup(t, run)
	// The first deployment: Cloud Run functions makes each service follow
	// its latest revision.
	deployAll(run)
	tool.Before = tool.After
	tool.must(t, "save")
	assert.Equal(t, map[string]int{"factory-api-00001": 100}, run.serving("factory-api", "west"))
	assert.Contains(t, run.calls, "factory-api@west --to-revisions=factory-api-00001=100", "pinned by name")

	for deployment := 2; deployment <= 3; deployment++ {
		t.Run(fmt.Sprintf("deployment %d", deployment), func(t *testing.T) {
			tool.must(t, "save")
			deployAll(run) // terraform apply
			rev := fmt.Sprintf("factory-api-%05d", deployment)
			old := fmt.Sprintf("factory-api-%05d", deployment-1)
			for _, r := range []string{"west", "east"} {
				assert.Equal(t, map[string]int{old: 100}, run.serving("factory-api", r), "the apply gave %s no traffic in %s", rev, r)
			}

			tool.must(t, "tag")
			assert.Equal(t, rev, run.services["factory-api@west"].tags[Tag])
			assert.Equal(t, map[string]int{old: 100}, run.serving("factory-api", "west"), "a tag routes nothing")

			tool.must(t, "promote", "west")
			assert.Equal(t, map[string]int{rev: 100}, run.serving("factory-api", "west"))
			assert.Equal(t, map[string]int{old: 100}, run.serving("factory-api", "east"), "one region at a time")
			tool.must(t, "promote", "east")
			assert.Equal(t, map[string]int{rev: 100}, run.serving("factory-api", "east"))
		})
	}
	for _, c := range run.calls {
		assert.NotContains(t, c, "latest", "traffic only ever goes to a named revision")
	}
}

func TestRollbackRestoresWhatServedInEveryRegion(t *testing.T) {
	tool, run := deployedOnce(t)
	tool.must(t, "tag")
	tool.must(t, "promote", "west", "east")
	require.Equal(t, map[string]int{"factory-text-00002": 100}, run.serving("factory-text", "east"))

	tool.must(t, "rollback", "west")
	assert.Equal(t, map[string]int{"factory-text-00001": 100}, run.serving("factory-text", "west"))
	assert.Equal(t, map[string]int{"factory-text-00002": 100}, run.serving("factory-text", "east"), "only the region named")
	tool.must(t, "rollback")
	for _, r := range []string{"west", "east"} {
		for _, svc := range []string{"factory-api", "factory-text"} {
			assert.Equal(t, map[string]int{svc + "-00001": 100}, run.serving(svc, r), "%s in %s", svc, r)
		}
	}
}

func TestTagRefusesARevisionThatIsNotReady(t *testing.T) {
	tool, run := deployedOnce(t)
	run.services["factory-text@east"].notReady = true
	err := tool.Run(context.Background(), []string{"tag"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GenerateText/east: the newest revision \"factory-text-00002\" is not ready")
}

func TestAFirstDeploymentHasNothingToSaveOrRollBack(t *testing.T) {
	run := newFakeRun()
	tool := setup(t, run)
	tool.must(t, "save") // outputs before: none
	deployAll(run)
	tool.must(t, "tag")
	tool.must(t, "promote", "west")
	tool.must(t, "rollback")
	assert.Equal(t, map[string]int{"factory-api-00001": 100}, run.serving("factory-api", "west"))
}

func TestRegions(t *testing.T) {
	tool := setup(t, newFakeRun())
	var out strings.Builder
	tool.Out = &out
	tool.must(t, "regions", "--after", "west")
	tool.must(t, "value", "canary_region")
	assert.Equal(t, "east\nwest\n", out.String())
}

func TestCheckPlan(t *testing.T) {
	write := func(after map[string]any, actions ...string) string {
		plan := map[string]any{"resource_changes": []any{map[string]any{
			"address": `module.function["API/west"].google_cloudfunctions2_function.this`,
			"type":    "google_cloudfunctions2_function",
			"change":  map[string]any{"actions": actions, "after": after},
		}}}
		b, err := json.Marshal(plan)
		require.NoError(t, err)
		path := filepath.Join(t.TempDir(), "plan.json")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		return path
	}
	config := func(v any) map[string]any {
		sc := map[string]any{}
		if v != nil {
			sc["all_traffic_on_latest_revision"] = v
		}
		return map[string]any{"service_config": []any{sc}}
	}
	assert.NoError(t, checkPlan(write(config(false), "update")))
	assert.NoError(t, checkPlan(write(nil, "delete")))
	assert.ErrorContains(t, checkPlan(write(config(true), "update")), `module.function["API/west"]`)
	assert.Error(t, checkPlan(write(config(nil), "create")), "the provider's default is true")
}
