// Package text is the CloudEvent function "GenerateText": it writes the outline and the seven text formats made from it.
// It runs its Executor through the step runner (shared/pipeline).
package text

import (
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.CloudEvent(Name, setup.EventFunction(Name, New))
}
