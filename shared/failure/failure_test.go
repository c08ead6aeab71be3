package failure_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"contentfactory.dev/factory/shared/failure"
)

func TestKindOf(t *testing.T) {
	cases := map[string]struct {
		err  error
		kind failure.Kind
	}{
		"nil":               {nil, failure.KindUnknown},
		"plain":             {errors.New("boom"), failure.KindUnknown},
		"wrapped not found": {fmt.Errorf("get job x: %w", failure.ErrNotFound), failure.KindNotFound},
		"exists":            {fmt.Errorf("create: %w", failure.ErrExists), failure.KindExists},
		"conflict":          {fmt.Errorf("commit: %w", failure.ErrConflict), failure.KindConflict},
		"transient":         {fmt.Errorf("step: %w", failure.Transient("rate_limited", errors.New("429"))), failure.KindTransient},
		"permanent":         {failure.Permanentf("content_filtered", "blocked: %s", "SAFETY"), failure.KindPermanent},
		"transientf":        {failure.Transientf("storage_unavailable", "read %s", "x"), failure.KindTransient},
		// The thing's kind wins over the attempt's: a transient failure
		// that says what was missing is about a missing thing.
		"not found inside a transient": {failure.Transient("storage_unavailable", failure.ErrNotFound), failure.KindNotFound},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			assert.Equal(t, c.kind, failure.KindOf(c.err))
		})
	}
}

func TestErrorKeepsItsCodeAndCause(t *testing.T) {
	cause := errors.New("503 from upstream")
	err := fmt.Errorf("generate: %w", failure.Transient("unavailable", cause))
	e, ok := failure.As(err)
	assert.True(t, ok)
	assert.Equal(t, "unavailable", e.Code)
	assert.True(t, e.Retryable)
	assert.ErrorIs(t, err, cause)
	assert.Equal(t, "generate: unavailable: 503 from upstream", err.Error())
	assert.Equal(t, "transient", failure.KindOf(err).String())
}

func TestNotApplicable(t *testing.T) {
	err := fmt.Errorf("timeline: %w", failure.NotApplicable("the sources hold no dates"))
	e, ok := failure.AsNotApplicable(err)
	assert.True(t, ok)
	assert.Equal(t, "the sources hold no dates", e.Reason)
	assert.Equal(t, "timeline: not applicable: the sources hold no dates", err.Error())
	assert.Equal(t, failure.KindUnknown, failure.KindOf(err), "neither transient nor permanent: not a failure")
	_, ok = failure.AsNotApplicable(failure.Permanentf("invalid_output", "bad"))
	assert.False(t, ok)
}
