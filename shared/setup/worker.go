package setup

import (
	"context"
	"fmt"
	"os"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"contentfactory.dev/factory/shared/pipeline"
	"contentfactory.dev/factory/shared/queue"
)

// Worker runs the steps of one event function.
type Worker struct {
	runner *pipeline.Runner
}

// stepMargin keeps a step's own deadline inside the function's timeout,
// so a run ends (and records why) before the platform kills it.
const stepMargin = 15 * time.Second

// Worker returns the step worker of the named function (see
// queue.Functions) running exec.
func (e *Env) Worker(function string, exec pipeline.Executor) (*Worker, error) {
	var fn *queue.Function
	for i := range queue.Functions {
		if queue.Functions[i].Name == function {
			fn = &queue.Functions[i]
		}
	}
	if fn == nil || !fn.Event() {
		return nil, fmt.Errorf("%q is not an event function", function)
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
		Owner:          fmt.Sprintf("%s/%s/%d", function, host, os.Getpid()),
		CrashAfterCall: e.Config.ChaosCrashAfterCall,
	})
	return &Worker{runner: r}, nil
}

// HandleEvent runs the step a delivery asks for.
func (w *Worker) HandleEvent(ctx context.Context, e cloudevents.Event) error {
	return w.runner.HandleEvent(ctx, e)
}
