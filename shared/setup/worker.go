package setup

import (
	"fmt"
	"os"
	"time"

	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
)

// stepMargin keeps a step's own deadline inside the function's timeout,
// so a run ends (and records why) before the platform kills it.
const stepMargin = 15 * time.Second

// StepHandler returns the CloudEvent handler of the named event function
// (see queue.Functions): the step runner with exec, configured from the
// environment, behind the decoding of Pub/Sub deliveries; poison messages
// are recorded in the store.
func (e *Env) StepHandler(function string, exec pipeline.Executor) (queue.StepHandler, error) {
	var fn *queue.Function
	for i := range queue.Functions {
		if queue.Functions[i].Name == function {
			fn = &queue.Functions[i]
		}
	}
	if fn == nil || !fn.Event() {
		return queue.StepHandler{}, fmt.Errorf("%q is not an event function", function)
	}
	host, _ := os.Hostname()
	timeout := fn.Timeout - stepMargin
	if t := e.Config.StepTimeout; t > 0 && t < timeout {
		timeout = t
	}
	r := pipeline.NewRunner(e.Ports(), exec, pipeline.RunnerConfig{
		Lease:          timeout + e.Config.LeaseMargin,
		Timeout:        timeout,
		MaxAttempts:    e.Config.MaxAttempts,
		Region:         e.Config.Region,
		Limits:         e.Config.Limits(),
		ReviewTTL:      e.Config.ReviewTTL,
		Owner:          fmt.Sprintf("%s/%s/%d", function, host, os.Getpid()),
		CrashAfterCall: e.Config.ChaosCrashAfterCall,
	})
	return queue.StepHandler{Runner: r, Rejects: e.Rejects()}, nil
}
