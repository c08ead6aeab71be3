package client

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestRetryAfterReadsSecondsAndDates(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"30":                            30 * time.Second,
		"0":                             0,
		"-5":                            0,
		"Sat, 01 Mar 2025 09:31:30 GMT": 90 * time.Second,
		"Sat, 01 Mar 2025 09:29:00 GMT": 0,
		"later":                         0,
		"":                              0,
	} {
		assert.Equal(t, want, retryAfter(v, now), "Retry-After: %q", v)
	}
}
