// Command traffic moves the traffic of the factory's functions between
// revisions during a deployment (cloudbuild.yaml), by revision name only:
// Terraform deploys every new revision with no traffic
// (all_traffic_on_latest_revision = false), and nothing here ever routes
// "the latest revision", so no later deployment can take traffic before
// its smoke test. It drives the Cloud Run services of the functions with
// gcloud.
//
//	traffic save              record the revisions serving every function
//	                          now, and pin each service to them by name
//	traffic check-plan PLAN   refuse a Terraform plan (terraform show -json)
//	                          that would deploy a revision taking traffic
//	traffic tag               tag every function's newest revision
//	                          "candidate" (no traffic; the load balancer
//	                          reaches the API's with X-Factory-Candidate)
//	traffic promote REGION…   send each function of those regions to its
//	                          candidate, by name
//	traffic rollback [REGION…] restore what save recorded (every region
//	                          when none is named)
//	traffic regions [--after REGION] the deployment's regions, in order
//	traffic value NAME        print a Terraform output
//
// Files (flags before the command): -before (Terraform's outputs before
// the apply), -after (after it), -state (what save and tag recorded).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Tag names the revision a deployment brings, until it is promoted.
const Tag = "candidate"

func main() {
	before := flag.String("before", "/workspace/outputs-before.json", "Terraform outputs before the apply (terraform output -json)")
	after := flag.String("after", "/workspace/outputs.json", "Terraform outputs after the apply")
	state := flag.String("state", "/workspace/traffic.json", "what save and tag record")
	flag.Parse()
	t := &Tool{Cloud: gcloud{}, Before: *before, After: *after, State: *state, Out: os.Stdout}
	if err := t.Run(context.Background(), flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "traffic:", err)
		os.Exit(1)
	}
}

// Cloud reads and changes the traffic of Cloud Run services.
type Cloud interface {
	// Describe returns a service, or found false when it does not exist.
	Describe(ctx context.Context, service, region string) (svc Service, found bool, err error)
	// UpdateTraffic runs gcloud run services update-traffic with the flags.
	UpdateTraffic(ctx context.Context, service, region string, flags ...string) error
}

// Service is what the tool reads of a Cloud Run service (gcloud run
// services describe --format=json).
type Service struct {
	Spec struct {
		Traffic []Target `json:"traffic"`
	} `json:"spec"`
	Status struct {
		LatestCreated string   `json:"latestCreatedRevisionName"`
		LatestReady   string   `json:"latestReadyRevisionName"`
		Traffic       []Target `json:"traffic"`
	} `json:"status"`
}

// Target is one traffic target of a service.
type Target struct {
	Revision string `json:"revisionName,omitempty"`
	Percent  int    `json:"percent,omitempty"`
	Latest   bool   `json:"latestRevision,omitempty"`
	Tag      string `json:"tag,omitempty"`
}

// Saved is what save and tag record, by function instance ("Name/region").
type Saved struct {
	Serving    map[string][]Target `json:"serving"`
	Candidates map[string]string   `json:"candidates"`
}

// Tool runs the commands.
type Tool struct {
	Cloud                Cloud
	Before, After, State string
	Out                  io.Writer
}

// Run runs one command.
func (t *Tool) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New("give a command: save, check-plan, tag, promote, rollback, regions or value")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "save":
		return t.save(ctx)
	case "check-plan":
		if len(rest) != 1 {
			return errors.New("check-plan PLAN.json")
		}
		return checkPlan(rest[0])
	case "tag":
		return t.tag(ctx)
	case "promote":
		if len(rest) == 0 {
			return errors.New("promote REGION…: name the regions")
		}
		return t.promote(ctx, rest)
	case "rollback":
		return t.rollback(ctx, rest)
	case "regions":
		return t.regions(rest)
	case "value":
		if len(rest) != 1 {
			return errors.New("value NAME")
		}
		v, err := output(t.After, rest[0])
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(t.Out, plain(v))
		return err
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// save records what serves every function deployed before the apply, and
// pins every service to those revisions by name: a service whose traffic
// follows "the latest revision" (as Cloud Run functions makes it on its
// first deployment) would otherwise hand it to the next revision the
// apply makes.
func (t *Tool) save(ctx context.Context) error {
	services, err := functionServices(t.Before)
	if err != nil {
		return err
	}
	saved := Saved{Serving: map[string][]Target{}, Candidates: map[string]string{}}
	for _, key := range sortedKeys(services) {
		region := regionOf(key)
		svc, found, err := t.Cloud.Describe(ctx, services[key], region)
		if err != nil {
			return err
		}
		if !found {
			continue // not deployed yet: the apply makes it
		}
		var serving []Target
		follows := false
		for _, tr := range svc.Status.Traffic {
			if tr.Percent > 0 {
				serving = append(serving, Target{Revision: tr.Revision, Percent: tr.Percent})
			}
		}
		for _, tr := range svc.Spec.Traffic {
			follows = follows || tr.Latest
		}
		saved.Serving[key] = serving
		if follows && len(serving) > 0 {
			fmt.Fprintf(t.Out, "%s: pinned to %s (it followed the latest revision)\n", key, spec(serving))
			if err := t.Cloud.UpdateTraffic(ctx, services[key], region, "--to-revisions="+spec(serving)); err != nil {
				return err
			}
		}
	}
	return t.write(saved)
}

// deployed runs fn on every function instance the apply left (Terraform's
// outputs after it), in the regions named (every region when none is),
// with the record of save and tag, which it writes back when fn changed it.
func (t *Tool) deployed(regions []string, fn func(key, service, region string, saved *Saved) error) error {
	services, err := functionServices(t.After)
	if err != nil {
		return err
	}
	saved, err := t.read()
	if err != nil {
		return err
	}
	before, _ := json.Marshal(saved)
	for _, key := range sortedKeys(services) {
		region := regionOf(key)
		if len(regions) > 0 && !slices.Contains(regions, region) {
			continue
		}
		if err := fn(key, services[key], region, &saved); err != nil {
			return err
		}
	}
	if after, _ := json.Marshal(saved); string(after) != string(before) {
		return t.write(saved)
	}
	return nil
}

// tag names every function's newest revision the candidate, which gives
// it no traffic, and records it; a newest revision that is not ready
// fails the deployment.
func (t *Tool) tag(ctx context.Context) error {
	return t.deployed(nil, func(key, service, region string, saved *Saved) error {
		svc, found, err := t.Cloud.Describe(ctx, service, region)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%s: the service %s is not deployed", key, service)
		}
		rev := svc.Status.LatestCreated
		if rev == "" || rev != svc.Status.LatestReady {
			return fmt.Errorf("%s: the newest revision %q is not ready (ready: %q)", key, rev, svc.Status.LatestReady)
		}
		if err := t.Cloud.UpdateTraffic(ctx, service, region, "--update-tags="+Tag+"="+rev); err != nil {
			return err
		}
		saved.Candidates[key] = rev
		fmt.Fprintf(t.Out, "%s: %s is the candidate\n", key, rev)
		return nil
	})
}

// promote sends all the traffic of every function of the regions to its
// candidate revision, by name.
func (t *Tool) promote(ctx context.Context, regions []string) error {
	return t.deployed(regions, func(key, service, region string, saved *Saved) error {
		rev, ok := saved.Candidates[key]
		if !ok {
			return fmt.Errorf("%s has no candidate: run tag first", key)
		}
		fmt.Fprintf(t.Out, "%s: %s takes all traffic\n", key, rev)
		return t.Cloud.UpdateTraffic(ctx, service, region, "--to-revisions="+rev+"=100")
	})
}

// rollback restores the revisions save recorded, in the regions named
// (every region when none is); a function that had none (new in this
// deployment) is left alone. It tries every service, then fails if one
// failed.
func (t *Tool) rollback(ctx context.Context, regions []string) error {
	services, err := functionServices(t.After)
	if err != nil {
		if services, err = functionServices(t.Before); err != nil {
			return err
		}
	}
	saved, err := t.read()
	if err != nil {
		return err
	}
	var errs []error
	for _, key := range sortedKeys(saved.Serving) {
		region := regionOf(key)
		serving := saved.Serving[key]
		if len(serving) == 0 || (len(regions) > 0 && !slices.Contains(regions, region)) {
			continue
		}
		service, ok := services[key]
		if !ok {
			continue
		}
		fmt.Fprintf(t.Out, "%s: back to %s\n", key, spec(serving))
		errs = append(errs, t.Cloud.UpdateTraffic(ctx, service, region, "--to-revisions="+spec(serving)))
	}
	return errors.Join(errs...)
}

// regions prints the deployment's regions in order (the canary first), or
// those after one of them.
func (t *Tool) regions(args []string) error {
	v, err := output(t.After, "regions")
	if err != nil {
		return err
	}
	var all []string
	if err := json.Unmarshal(v, &all); err != nil {
		return fmt.Errorf("output regions: %w", err)
	}
	if len(args) == 2 && args[0] == "--after" {
		i := slices.Index(all, args[1])
		if i < 0 {
			return fmt.Errorf("%s is not a region of the deployment", args[1])
		}
		all = all[i+1:]
	} else if len(args) != 0 {
		return errors.New("regions [--after REGION]")
	}
	_, err = fmt.Fprintln(t.Out, strings.Join(all, " "))
	return err
}

// checkPlan refuses a plan that would deploy a function whose newest
// revision takes all the traffic at once.
func checkPlan(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Type    string `json:"type"`
			Change  struct {
				Actions []string       `json:"actions"`
				After   map[string]any `json:"after"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal(b, &plan); err != nil {
		return fmt.Errorf("read the plan %s: %w", path, err)
	}
	var bad []string
	for _, rc := range plan.ResourceChanges {
		if rc.Type != "google_cloudfunctions2_function" || slices.Equal(rc.Change.Actions, []string{"delete"}) || slices.Equal(rc.Change.Actions, []string{"no-op"}) {
			continue
		}
		sc, _ := rc.Change.After["service_config"].([]any)
		latest := true // the provider's default
		if len(sc) == 1 {
			if v, ok := sc[0].(map[string]any)["all_traffic_on_latest_revision"].(bool); ok {
				latest = v
			}
		}
		if latest {
			bad = append(bad, rc.Address)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the plan deploys revisions that take traffic at once (all_traffic_on_latest_revision is not false): %s", strings.Join(bad, ", "))
	}
	return nil
}

// spec writes targets as update-traffic's --to-revisions value.
func spec(ts []Target) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Revision + "=" + strconv.Itoa(t.Percent)
	}
	return strings.Join(parts, ",")
}

func (t *Tool) write(s Saved) error {
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(t.State, b, 0o644)
}

func (t *Tool) read() (Saved, error) {
	var s Saved
	b, err := os.ReadFile(t.State)
	if err != nil {
		return s, fmt.Errorf("read %s (run save first): %w", t.State, err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("read %s: %w", t.State, err)
	}
	if s.Candidates == nil {
		s.Candidates = map[string]string{}
	}
	return s, nil
}

// output reads one Terraform output's value from terraform output -json.
func output(path, name string) (json.RawMessage, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var outs map[string]struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(b, &outs); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	o, ok := outs[name]
	if !ok {
		return nil, fmt.Errorf("%s has no output %q", path, name)
	}
	return o.Value, nil
}

// functionServices reads the function_services output: the Cloud Run
// service of every function instance ("Name/region"). Outputs without it
// (nothing deployed yet) give none.
func functionServices(path string) (map[string]string, error) {
	v, err := output(path, "function_services")
	if errors.Is(err, os.ErrNotExist) || (err != nil && strings.Contains(err.Error(), "has no output")) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	var m map[string]string
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, fmt.Errorf("output function_services: %w", err)
	}
	return m, nil
}

func plain(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

func regionOf(key string) string {
	_, region, _ := strings.Cut(key, "/")
	return region
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// gcloud is the Cloud of the Google Cloud CLI.
type gcloud struct{}

func (gcloud) Describe(ctx context.Context, service, region string) (Service, bool, error) {
	var svc Service
	cmd := exec.CommandContext(ctx, "gcloud", "run", "services", "describe", service, "--region", region, "--format=json", "--quiet")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if strings.Contains(stderr.String(), "could not be found") || strings.Contains(stderr.String(), "NOT_FOUND") {
			return svc, false, nil
		}
		return svc, false, fmt.Errorf("describe %s in %s: %w: %s", service, region, err, stderr.String())
	}
	if err := json.Unmarshal(out, &svc); err != nil {
		return svc, false, fmt.Errorf("describe %s in %s: %w", service, region, err)
	}
	return svc, true, nil
}

func (gcloud) UpdateTraffic(ctx context.Context, service, region string, flags ...string) error {
	args := append([]string{"run", "services", "update-traffic", service, "--region", region, "--quiet"}, flags...)
	fmt.Println("+ gcloud " + strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "gcloud", args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("update the traffic of %s in %s: %w", service, region, err)
	}
	return nil
}
