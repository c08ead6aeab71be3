// Package sources is the CloudEvent function "ReadSources": the first step
// of a job whose request has sources. It reads them (texts, uploaded
// files, fetched links), extracts their text and splits it into numbered
// passages (sources.json), which every later step reads. It runs its
// Executor through the step runner (shared/pipeline).
//
// It is a function of its own, not a part of GenerateText, so that the
// identity which fetches untrusted links and parses untrusted files holds
// no model role (terraform: fn-sources has no aiplatform.user) and is
// sized for parsing, not for waiting on a model.
package sources

import (
	"github.com/GoogleCloudPlatform/functions-framework-go/functions"

	"contentfactory.dev/factory/shared/setup"
)

func init() {
	functions.CloudEvent(Name, setup.EventFunction(Name, New))
}
