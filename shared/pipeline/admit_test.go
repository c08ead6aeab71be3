package pipeline_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/pipeline/pipelinetest"
	"contentfactory.dev/factory/shared/ratelimit"
)

// heldStore holds its first transaction until released, so that what is
// submitted meanwhile queues behind it.
type heldStore struct {
	pipeline.Store
	started, release chan struct{}
	txs              atomic.Int32
}

func (s *heldStore) Transact(ctx context.Context, jobID string, fn func(context.Context, pipeline.Tx) error) error {
	if s.txs.Add(1) == 1 {
		close(s.started)
		<-s.release
	}
	return s.Store.Transact(ctx, jobID, fn)
}

// TestOneOwnersBurstIsAdmittedWithinTheLimits submits one owner's jobs at
// once, two of them with one id, while the first admission's transaction
// is held: the budget admits exactly what fits, the rest is refused
// budget_exceeded, the repeated id makes one job, and the ledger holds
// every admitted job's reservation.
func TestOneOwnersBurstIsAdmittedWithinTheLimits(t *testing.T) {
	t.Parallel()
	st := &heldStore{Store: pipelinetest.NewStore(), started: make(chan struct{}), release: make(chan struct{})}
	jobs := pipeline.NewJobs(pipeline.Ports{Store: st, Blobs: pipelinetest.NewBlobs(), Publisher: &pipelinetest.Publisher{}}, pipeline.JobsConfig{
		Region: "local", Retention: time.Hour,
		Limits:   ratelimit.Policy{Rate: 1000, Burst: 1000, DailyBudgetUSD: 5.5},
		Estimate: func(*content.Request) float64 { return 1 },
	})
	ctx := context.Background()
	req := content.Request{Topic: "Tides", Formats: []content.Format{content.FormatFAQs}}
	req.ApplyDefaults()

	first := make(chan error, 1)
	go func() {
		_, err := jobs.Submit(ctx, "owner-b", req, "api")
		first <- err
	}()
	<-st.started
	const n = 20
	errs := make([]error, n)
	var dupJobs [2]*pipeline.Job
	var dupCreated [2]bool
	var dupErrs [2]error
	dupID := pipeline.KeyedID("api", "owner-b", "same-key")
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = jobs.Submit(ctx, "owner-b", req, "api") })
	}
	for i := range 2 {
		wg.Go(func() { dupJobs[i], dupCreated[i], dupErrs[i] = jobs.SubmitOnce(ctx, dupID, "owner-b", req, "api") })
	}
	close(st.release)
	wg.Wait()
	require.NoError(t, <-first, "the first job fits")

	admitted := 1
	for _, err := range append(errs, dupErrs[:]...) {
		var ex *ratelimit.Exceeded
		switch {
		case err == nil:
			admitted++
		case errors.As(err, &ex):
			assert.Equal(t, "budget_exceeded", ex.Code)
		default:
			t.Errorf("a submission failed: %v", err)
		}
	}
	if dupErrs[0] == nil && dupErrs[1] == nil {
		admitted-- // one job, answered twice
		assert.Equal(t, dupJobs[0].ID, dupJobs[1].ID)
		assert.True(t, dupCreated[0] != dupCreated[1], "one of the two created it")
	}
	assert.Equal(t, 5, admitted, "five $1 jobs fit in $5.50, whatever the batches")
	require.NoError(t, st.Transact(ctx, "any", func(_ context.Context, tx pipeline.Tx) error {
		l, err := tx.Ledger("owner-b")
		assert.InDelta(t, 5.0, l.Reserved, 1e-9, "the ledger holds every admitted job's reservation")
		assert.Equal(t, 5, l.Running)
		return err
	}))
}
