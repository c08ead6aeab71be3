// Package assemble is the CloudEvent function "AssembleJob": when every
// other step of a job has ended it writes the package (manifest and
// Markdown and HTML bundles) and the job ends. It runs its Executor
// through the step runner (shared/pipeline).
package assemble

import (
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.CloudEvent(Name, setup.EventFunction(Name, New))
}
