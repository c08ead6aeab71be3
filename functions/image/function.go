// Package image is the CloudEvent function "GenerateImage": it draws the cover image from the outline.
// It runs its Executor through the step runner (shared/pipeline).
package image

import (
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.CloudEvent(Name, setup.EventFunction(Name, New))
}
