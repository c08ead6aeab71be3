package prompts

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Fence marks untrusted text as data. A block is
//
//	<<<DATA-<token> <label>
//	…text…
//	DATA-<token>>>>
//
// where the token is 16 random bytes (crypto/rand) drawn for each request.
// NewFence draws again until the token occurs in none of the texts to be
// fenced, so no text can close its block early or open another: that is
// impossible by construction, not merely unlikely.
type Fence struct {
	token string
}

// maxDraws bounds how often a token is drawn again; with 128-bit tokens a
// second draw is already never needed in practice.
const maxDraws = 8

// NewFence draws a token that occurs in none of texts.
func NewFence(texts ...string) (Fence, error) {
	for range maxDraws {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return Fence{}, fmt.Errorf("draw a fence token: %w", err)
		}
		f := Fence{token: hex.EncodeToString(b[:])}
		if f.fits(texts) {
			return f, nil
		}
	}
	return Fence{}, errors.New("draw a fence token: every token drawn occurs in the text")
}

// fenceWith returns a fence with a given token, for tests of the check.
func fenceWith(token string, texts ...string) (Fence, error) {
	f := Fence{token: token}
	if !f.fits(texts) {
		return Fence{}, fmt.Errorf("token %s occurs in the text", token)
	}
	return f, nil
}

func (f Fence) fits(texts []string) bool {
	for _, t := range texts {
		if strings.Contains(t, f.token) {
			return false
		}
	}
	return true
}

// Token is the fence's random token.
func (f Fence) Token() string { return f.token }

// Open is the line that opens a block.
func (f Fence) Open(label string) string { return "<<<DATA-" + f.token + " " + label }

// Close is the line that closes a block.
func (f Fence) Close() string { return "DATA-" + f.token + ">>>" }

// Block fences text as data under a label. The text must be one the fence
// was drawn for.
func (f Fence) Block(label, text string) string {
	return f.Open(label) + "\n" + text + "\n" + f.Close()
}
