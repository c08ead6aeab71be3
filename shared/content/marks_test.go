package content_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"contentfactory.dev/factory/shared/content"
)

func TestQuestionFormFollowsTheLanguage(t *testing.T) {
	for _, c := range []struct {
		lang, q string
		ok      bool
	}{
		{"en-US", "What is light?", true},
		{"en-US", "What is light？", false},
		{"es-ES", "¿Qué es la luz?", true},
		{"es-MX", "Qué es la luz?", false},
		{"es", "¿Qué es la luz", false},
		{"ja-JP", "光とは何ですか？", true},
		{"ja-JP", "光とは何ですか?", true},
		{"ja-JP", "光とは何ですか。", false},
		{"ar", "ما هو الضوء؟", true},
		{"fa-IR", "نور چیست?", true},
		{"de-DE", "Was ist Licht?", true},
	} {
		msg := content.QuestionForm(c.lang, c.q)
		assert.Equal(t, c.ok, msg == "", "%s %q: %s", c.lang, c.q, msg)
	}
}

func TestQuizQuestionsOpenInSpanish(t *testing.T) {
	req := content.Request{Topic: "La luz", Language: "es-ES"}
	doc := []byte(`{"title":"La luz","faqs":[` +
		`{"question":"¿Qué es la luz?","answer":"Una forma de energía.","category":"Básico"},` +
		`{"question":"Cómo viaja la luz?","answer":"En línea recta.","category":"Básico"},` +
		`{"question":"¿Qué es un fotón?","answer":"Una partícula de luz.","category":"Básico"},` +
		`{"question":"¿Qué es el color?","answer":"Luz de una longitud de onda.","category":"Básico"},` +
		`{"question":"¿Qué es la sombra?","answer":"Donde no llega la luz.","category":"Básico"}]}`)
	_, err := content.ValidateText(content.FormatFAQs, doc, content.Expect{Request: &req})
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "/faqs/1/question")
		assert.Contains(t, err.Error(), "¿")
	}
	req.Language = "en-US"
	_, err = content.ValidateText(content.FormatFAQs, doc, content.Expect{Request: &req})
	assert.NoError(t, err, "an English request does not ask for Spanish marks")
}
