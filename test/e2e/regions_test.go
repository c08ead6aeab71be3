package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/functions/sweep"
	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/queue"
	"contentfactory.dev/factory/shared/store"
	"contentfactory.dev/factory/test/e2e/stacktest"
)

// TestAStoppedRegionsJobsFinishThroughTheOthersSweep runs two cells, west
// and east, each with every function, its own topics and its own sweep.
// West goes down (all but its API: its workers and its sweep stop) after
// it accepted a job; east's sweep, the only one left to take the lease,
// publishes the job's stuck step into west's topics first, then, west not
// taking it, moves the job to east, where it finishes.
func TestAStoppedRegionsJobsFinishThroughTheOthersSweep(t *testing.T) {
	s := stacktest.Start(t, devstack.Options{
		Regions: []string{"west", "east"}, SweepEvery: time.Second, SweepStale: 3 * time.Second,
	})
	var down []string
	for _, f := range queue.Functions {
		if f.Name != "API" {
			down = append(down, f.Name)
		}
	}
	s.Stack.Halt("west", down...)

	west := client.New(s.Stack.APIURLs["west"], s.Stack.DevKey, &http.Client{Timeout: 30 * time.Second})
	east := client.New(s.Stack.APIURLs["east"], s.Stack.DevKey, &http.Client{Timeout: 30 * time.Second})
	accepted, err := west.Submit(t.Context(), stacktest.JSON(t, map[string]any{
		"topic":       "Tides in a failed region",
		"source_text": "Tides are the rise and fall of sea levels caused by the Moon's gravity. Spring tides happen at new and full moon.",
		"formats":     []string{"faqs"},
	}), "")
	require.NoError(t, err)
	st := store.New(s.Stack.Firestore)
	created, err := st.Job(t.Context(), accepted.ID)
	require.NoError(t, err)
	require.Equal(t, "west", created.Region, "the job lives in the region that accepted it")

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	job, err := east.Wait(ctx, accepted.ID, 500*time.Millisecond, nil)
	require.NoError(t, err)
	assert.Equal(t, client.JobSucceeded, job.Status)

	moved, err := st.Job(t.Context(), accepted.ID)
	require.NoError(t, err)
	assert.Equal(t, "east", moved.Region, "east's sweep moved the job")
	ran := func(instance string) []string {
		var steps []string
		for _, l := range s.Logged(t, instance, func(l map[string]any) bool {
			return l["job_id"] == accepted.ID && l["message"] == "step succeeded"
		}) {
			steps = append(steps, l["step"].(string))
		}
		return steps
	}
	assert.Contains(t, ran("GenerateText@east"), "outline", "east's worker made the outline")
	assert.Contains(t, ran("AssembleJob@east"), "package")
	assert.Empty(t, ran("GenerateText@west"), "west made nothing")

	// East's sweep republished into west's topics first, then re-homed.
	var homeFirst, rehomed bool
	for _, l := range s.Logged(t, "Sweep@east", func(l map[string]any) bool { return l["message"] == "sweep finished" }) {
		if n, _ := l["rehomed"].(float64); n > 0 {
			rehomed = true
		} else if n, _ := l["republished_queued"].(float64); n > 0 && !rehomed {
			homeFirst = true
		}
	}
	assert.True(t, homeFirst, "a sweep published the step into its home region before moving it")
	assert.True(t, rehomed)
	lease, err := s.Stack.Firestore.Collection(store.Leases).Doc(sweep.LeaseName).Get(t.Context())
	require.NoError(t, err)
	holder, _ := lease.Data()["holder"].(string)
	assert.True(t, strings.HasPrefix(holder, "east/"), "the last sweep was east's: %s", holder)
}
