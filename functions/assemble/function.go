// Package assemble is the CloudEvent function "AssembleJob": when every
// other step of a job has ended it writes the package (manifest and
// Markdown bundle) and the job ends. It is a thin wrapper over the step
// runner (shared/pipeline).
package assemble

import (
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.CloudEvent(Name, setup.EventFunction(New))
}
