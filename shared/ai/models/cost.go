package models

import (
	"strings"

	"contentfactory.dev/factory/shared/ai"
)

// Backend names recorded in ai.Call.
const (
	BackendVertex = "vertex"
	BackendTTS    = "tts"
)

// TTSPriceKey is the price-table key of a voice: "tts:" and the voice's
// family, such as "tts:Chirp3-HD" for "en-US-Chirp3-HD-Kore".
func TTSPriceKey(voice string) string { return "tts:" + VoiceFamily(voice) }

// VoiceFamily returns the family of a Cloud TTS voice name
// (<language>-<region>-<family>-<name>): "Chirp3-HD", "Neural2",
// "Standard", … It returns the name itself when it has no such shape.
func VoiceFamily(voice string) string {
	parts := strings.Split(voice, "-")
	if len(parts) < 4 {
		return voice
	}
	return strings.Join(parts[2:len(parts)-1], "-")
}

// PriceOf returns the price of a call's model and whether there is one.
func (c *Config) PriceOf(call ai.Call) (Price, bool) {
	key := call.Model
	if call.Backend == BackendTTS {
		key = TTSPriceKey(call.Model)
	}
	p, ok := c.Prices[key]
	return p, ok
}

// Cost returns what a call cost in US dollars, from the price table; a
// model without a price costs 0 (factory models check reports it).
//
// Prompt tokens include cached tokens, which are billed at the cached
// rate; thinking tokens are billed as output. An image model's call is
// billed per image, which covers its output tokens, when the table has a
// per-image price. Speech is billed per character.
func (c *Config) Cost(call ai.Call) float64 {
	p, ok := c.PriceOf(call)
	if !ok {
		return 0
	}
	const m = 1e6
	uncached := max(0, call.PromptTokens-call.CachedTokens)
	usd := float64(uncached)*p.InputPerMTok/m + float64(call.CachedTokens)*p.CachedPerMTok/m
	usd += float64(call.ThinkingTokens) * p.OutputPerMTok / m
	if call.Images > 0 && p.PerImage > 0 {
		usd += float64(call.Images) * p.PerImage
	} else {
		usd += float64(call.OutputTokens) * p.OutputPerMTok / m
	}
	usd += float64(call.Characters) * p.PerMChar / m
	return usd
}

// Priced returns the call with its CostUSD filled in.
func (c *Config) Priced(call ai.Call) ai.Call {
	call.CostUSD = c.Cost(call)
	return call
}
