package content_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"contentfactory.dev/factory/shared/content"
)

// FuzzParseRequest: any body is either a complete, valid request, which
// validates again and decodes to itself, or a *DecodeError or an
// *InvalidError; it never panics. Seeds: testdata/fuzz/FuzzParseRequest.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"topic":"Photosynthesis","source_text":"Plants make sugar.","formats":["study_guide","audio"],"level":"Beginner","podcast":{"speakers":[{"name":"Ada","role":"host"},{"name":"Ben","role":"botanist"}],"target_minutes":3}}`))
	f.Add([]byte(`{"topic":"Tides","callback_url":"https://hooks.example.com/x","image":{"style":"ink","aspect_ratio":"1:1"},"language":"de-ch"}`))
	f.Add([]byte(`{"topic":"x","formats":["nope","faqs","faqs"],"nope":1}`))
	f.Add([]byte(`{"topic":"\u202eevil\u0000\u00e9"} trailing`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := content.ParseRequest(body)
		if err != nil {
			var de *content.DecodeError
			var ie *content.InvalidError
			switch {
			case errors.As(err, &de):
				if de.Code != "invalid_json" && de.Code != "unknown_field" {
					t.Fatalf("decode error code %q", de.Code)
				}
			case errors.As(err, &ie):
				if len(ie.Errors) == 0 {
					t.Fatal("an InvalidError with no field errors")
				}
				for _, fe := range ie.Errors {
					if fe.Field == "" || fe.Code == "" || fe.Message == "" {
						t.Fatalf("incomplete field error %+v", fe)
					}
				}
			default:
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		checkRequest(t, &r)

		// It validates again, and normalizing it again changes nothing.
		again := copyRequest(t, &r)
		again.Normalize()
		if err := again.Validate(); err != nil {
			t.Fatalf("a parsed request does not validate again: %v", err)
		}
		if a, b := marshal(t, &r), marshal(t, again); a != b {
			t.Fatalf("normalization is not idempotent:\n%s\n%s", a, b)
		}
		// Its own JSON parses to itself.
		back, err := content.ParseRequest([]byte(marshal(t, &r)))
		if err != nil {
			t.Fatalf("a parsed request's JSON does not parse: %v", err)
		}
		if a, b := marshal(t, &r), marshal(t, &back); a != b {
			t.Fatalf("parse is not stable:\n%s\n%s", a, b)
		}
	})
}

func checkRequest(t *testing.T, r *content.Request) {
	t.Helper()
	runes := func(field, s string, lo, hi int) {
		n := utf8.RuneCountInString(s)
		if n < lo || n > hi {
			t.Fatalf("%s has %d characters, not %d to %d", field, n, lo, hi)
		}
		checkClean(t, s, false)
	}
	runes("topic", r.Topic, content.MinTopicLen, content.MaxTopicLen)
	runes("audience", r.Audience, 2, content.MaxAudienceLen)
	if n := utf8.RuneCountInString(r.SourceText); n > content.MaxSourceLen {
		t.Fatalf("source_text has %d characters", n)
	}
	checkClean(t, r.SourceText, true)
	if r.Podcast == nil || r.Image == nil || len(r.Formats) == 0 || r.Language == "" || r.Level == "" {
		t.Fatalf("defaults not applied: %+v", r)
	}
	if n := len(r.Podcast.Speakers); n < content.MinSpeakers || n > content.MaxSpeakers {
		t.Fatalf("%d speakers", n)
	}
	for _, s := range r.Podcast.Speakers {
		runes("speaker name", s.Name, 1, content.MaxSpeakerName)
		runes("speaker role", s.Role, 1, content.MaxSpeakerRole)
	}
	if m := r.Podcast.TargetMinutes; m < content.MinTargetMinutes || m > content.MaxTargetMinutes {
		t.Fatalf("target_minutes %d", m)
	}
	runes("image style", r.Image.Style, 0, content.MaxStyleLen)
	for _, f := range r.Formats {
		if _, ok := content.Lookup(f); !ok {
			t.Fatalf("unknown format %q", f)
		}
	}
	if r.CallbackURL != "" && content.CheckCallbackURL(r.CallbackURL) != nil {
		t.Fatalf("callback_url %q", r.CallbackURL)
	}
}

// FuzzCleanText: CleanLine and CleanText give valid UTF-8 in NFC with no
// control (but newline and tab in CleanText) or bidi-control character,
// and cleaning twice is cleaning once. Seeds: testdata/fuzz/FuzzCleanText.
func FuzzCleanText(f *testing.F) {
	f.Add("  Photosynthesis \t is\r\nfun  ")
	f.Add("e\u0301 \u202eevil\u202c \ufeff\x00\x7f")
	f.Add("\xff\xfe broken \xc3")
	f.Fuzz(func(t *testing.T, s string) {
		line := content.CleanLine(s)
		checkClean(t, line, false)
		if line != strings.TrimSpace(line) || strings.Contains(line, "  ") {
			t.Fatalf("CleanLine left spaces: %q", line)
		}
		if again := content.CleanLine(line); again != line {
			t.Fatalf("CleanLine is not idempotent: %q -> %q -> %q", s, line, again)
		}
		text := content.CleanText(s)
		checkClean(t, text, true)
		if text != strings.TrimSpace(text) || strings.Contains(text, "\r") {
			t.Fatalf("CleanText left space or CR: %q", text)
		}
		if again := content.CleanText(text); again != text {
			t.Fatalf("CleanText is not idempotent: %q -> %q -> %q", s, text, again)
		}
	})
}

// checkClean checks what normalization promises of a string.
func checkClean(t *testing.T, s string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("not UTF-8: %q", s)
	}
	if !norm.NFC.IsNormalString(s) {
		t.Fatalf("not NFC: %q", s)
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || r == '\uFEFF' || (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069') ||
			r == '\u200E' || r == '\u200F' || r == '\u061C' {
			t.Fatalf("control or bidi character %U in %q", r, s)
		}
	}
}

func marshal(t *testing.T, r *content.Request) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func copyRequest(t *testing.T, r *content.Request) *content.Request {
	t.Helper()
	var c content.Request
	if err := json.Unmarshal([]byte(marshal(t, r)), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}
