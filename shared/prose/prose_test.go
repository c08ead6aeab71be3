package prose_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"contentfactory.dev/factory/shared/prose"
)

func TestSentences(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		lang string
		text string
		want []string
	}{
		{"plain", "en", "Plants are green. They need light! Do they need water? Yes.",
			[]string{"Plants are green.", "They need light!", "Do they need water?", "Yes."}},
		{"e.g. before a lower-case word", "en", "Plants use accessory pigments, e.g. carotenoids, to absorb light. Leaves look green.",
			[]string{"Plants use accessory pigments, e.g. carotenoids, to absorb light.", "Leaves look green."}},
		{"e.g. before a capital", "en", "Some fuels, e.g. Coal, are fossil. Others are not.",
			[]string{"Some fuels, e.g. Coal, are fossil.", "Others are not."}},
		{"decimals", "en", "The value is 3.5 units. The next one is 0.25.",
			[]string{"The value is 3.5 units.", "The next one is 0.25."}},
		{"titles", "en", "Dr. Smith met Prof. Jones. They talked.", []string{"Dr. Smith met Prof. Jones.", "They talked."}},
		{"initials", "en", "The U.S. Army and J. R. Tolkien met. Nobody noticed.",
			[]string{"The U.S. Army and J. R. Tolkien met.", "Nobody noticed."}},
		{"closing quote", "en", `He said "stop." Then he left.`, []string{`He said "stop."`, "Then he left."}},
		{"ellipsis", "en", "It went on… Then it stopped.", []string{"It went on…", "Then it stopped."}},
		{"no final stop", "en", "A sentence. And a fragment", []string{"A sentence.", "And a fragment"}},
		{"line breaks", "en", "One line\nwraps here. Next.", []string{"One line wraps here.", "Next."}},
		{"german ordinal", "de", "Am 14. Juli stürmten Bürger die Bastille. Danach kam es zur Revolution.",
			[]string{"Am 14. Juli stürmten Bürger die Bastille.", "Danach kam es zur Revolution."}},
		{"german z. B.", "de", "Philosophen, z. B. Rousseau und Montesquieu, wirkten mit. Das war wichtig.",
			[]string{"Philosophen, z. B. Rousseau und Montesquieu, wirkten mit.", "Das war wichtig."}},
		{"english number before capital", "en", "The answer is 42. The question is unknown.",
			[]string{"The answer is 42.", "The question is unknown."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, prose.Sentences(tt.text, tt.lang))
		})
	}
}

func TestSpokenWords(t *testing.T) {
	for _, c := range []struct {
		text string
		n    int
	}{
		{"Tides follow the Moon.", 4},
		{"  light-dependent   reactions, mostly. ", 3},
		{"光合成は植物の仕組みです。", 6},  // 光合成|は|植物|の|仕組|みです
		{"ATPとNADPHに蓄える。", 6}, // ATP|と|NADPH|に|蓄|える
		{"", 0},
	} {
		assert.Equal(t, c.n, prose.SpokenWords(c.text), c.text)
	}
	assert.Equal(t, "光合成は", prose.SpokenHead("光合成は植物の仕組みです。", 2))
	assert.Equal(t, "光合成は植物の仕組みです。", prose.SpokenHead("光合成は植物の仕組みです。", 6), "the last word keeps the stop")
	assert.Equal(t, "Tides follow", prose.SpokenHead("Tides follow the Moon.", 2))
	assert.Equal(t, "Tides follow the Moon.", prose.SpokenHead("Tides follow the Moon.", 9))
}
