// Package security is the attack suite: an authentication and
// authorization matrix over every API endpoint with a snapshot of the
// security headers, a prompt-injection corpus run through the whole
// pipeline against a compromised model, and a check that logs carry no
// credentials, prompts or source text. See docs/security.md.
package security

import (
	"testing"

	"contentfactory.dev/factory/test/e2e/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }
