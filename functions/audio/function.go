// Package audio is the CloudEvent function "SynthesizeAudio": it narrates the podcast script, one voice per speaker.
// It runs its Executor through the step runner (shared/pipeline).
package audio

import (
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.CloudEvent(Name, setup.EventFunction(Name, New))
}
