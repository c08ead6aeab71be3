// Package browser tests the web app in a real browser: headless Chromium,
// driven over the DevTools protocol (chromedp), against the whole local
// stack. One stack and one job: sign in, submit with a text file, watch the
// job's steps move live to its end, open every format (the podcast's audio
// must load), download the bundle; axe-core checks each page; screenshots
// at desktop and phone widths go to .build/screenshots/ for people to look
// at.
package browser

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"contentfactory.dev/factory/internal/devstack"
	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/test/e2e/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// axe is axe-core (scripts/vendor-web.sh), injected into pages by this
// test only.
//
//go:embed testdata/axe.min.js
var axe string

// chromium finds the browser: FACTORY_CHROMIUM, or Debian's chromium.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("FACTORY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skip("no Chromium found (install Debian's chromium, or set FACTORY_CHROMIUM); skipped under -short")
	}
	t.Fatal("no Chromium found: install it (apt-get install chromium; .ci/run does) or set FACTORY_CHROMIUM")
	return ""
}

func root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// viewports are the widths screenshots are taken at.
var viewports = []struct {
	name          string
	width, height int64
	mobile        bool
}{
	{"desktop", 1280, 900, false},
	{"phone", 390, 844, true},
}

// session is a browser tab on the app, with what the test records.
type session struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	// exceptions are uncaught JavaScript errors of the page.
	exceptions []string
}

func newSession(t *testing.T, base, downloads string) *session {
	t.Helper()
	profile := t.TempDir()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true), // no crash handler process outliving the browser
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	// Close the browser gracefully and wait for it to exit before the
	// profile folder is removed (its cleanup runs after this one): a
	// browser only killed may still be writing its profile then.
	t.Cleanup(func() {
		if err := chromedp.Cancel(ctx); err != nil {
			t.Logf("close the browser: %v", err)
		}
		cancel()
		cancelAlloc()
	})
	s := &session{t: t, ctx: ctx, base: base, shots: filepath.Join(root(), ".build", "screenshots")}
	require.NoError(t, os.MkdirAll(s.shots, 0o755))
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*cdpruntime.EventExceptionThrown); ok {
			s.exceptions = append(s.exceptions, e.ExceptionDetails.Error())
		}
	})
	require.NoError(t, chromedp.Run(ctx,
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(downloads),
		chromedp.ActionFunc(func(ctx context.Context) error {
			// Every violation of a page's Content-Security-Policy is kept.
			_, err := page.AddScriptToEvaluateOnNewDocument(`window.__csp = [];
				document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`).Do(ctx)
			return err
		}),
	))
	return s
}

// run runs actions, failing the test on error.
func (s *session) run(what string, actions ...chromedp.Action) {
	s.t.Helper()
	require.NoError(s.t, chromedp.Run(s.ctx, actions...), what)
}

// within runs actions with a time limit.
func (s *session) within(limit time.Duration, what string, actions ...chromedp.Action) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, limit)
	defer cancel()
	require.NoError(s.t, chromedp.Run(ctx, actions...), what)
}

// eval evaluates a JavaScript expression (awaiting a promise) into out.
func (s *session) eval(expr string, out any) {
	s.t.Helper()
	s.run(expr, chromedp.Evaluate(expr, out, func(p *cdpruntime.EvaluateParams) *cdpruntime.EvaluateParams {
		return p.WithAwaitPromise(true)
	}))
}

// axeCheck runs axe-core on the page and fails on serious or critical
// violations; it returns the count of every violation.
func (s *session) axeCheck(name string) int {
	s.t.Helper()
	var loaded bool
	s.eval(`typeof window.axe === "object"`, &loaded)
	if !loaded {
		s.run("inject axe-core", chromedp.Evaluate(axe, nil))
	}
	var violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	}
	s.eval(`axe.run(document, {resultTypes: ["violations"]}).then((r) => r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({target: n.target}))})))`, &violations)
	for _, v := range violations {
		msg := fmt.Sprintf("axe on %s: %s (%s): %s at %v", name, v.ID, v.Impact, v.Help, v.Nodes)
		if v.Impact == "serious" || v.Impact == "critical" {
			s.t.Error(msg)
		} else {
			s.t.Log(msg)
		}
	}
	return len(violations)
}

// shoot takes PNG screenshots at every viewport, then goes back to the
// desktop one: the whole page, or, when at names an element, the screen
// scrolled to it.
func (s *session) shoot(name, at string) {
	s.t.Helper()
	for _, vp := range viewports {
		var png []byte
		actions := []chromedp.Action{
			chromedp.EmulateViewport(vp.width, vp.height, func(p *emulation.SetDeviceMetricsOverrideParams, _ *emulation.SetTouchEmulationEnabledParams) {
				p.Mobile = vp.mobile
			}),
			chromedp.Sleep(150 * time.Millisecond), // let the layout settle at the new width
		}
		if at != "" {
			actions = append(actions, chromedp.Evaluate(`document.querySelector(`+strconv.Quote(at)+`).scrollIntoView({block: "start"})`, nil),
				chromedp.CaptureScreenshot(&png))
		} else {
			actions = append(actions, chromedp.FullScreenshot(&png, 100))
		}
		s.run("screenshot "+name, actions...)
		require.NoError(s.t, os.WriteFile(filepath.Join(s.shots, name+"-"+vp.name+".png"), png, 0o644))
	}
	s.run("back to desktop", chromedp.EmulateViewport(1280, 900))
}

// noViolations fails on any Content-Security-Policy violation or uncaught
// error so far.
func (s *session) noViolations(where string) {
	s.t.Helper()
	var csp []string
	s.eval(`window.__csp || []`, &csp)
	assert.Empty(s.t, csp, "Content-Security-Policy violations on %s", where)
	assert.Empty(s.t, s.exceptions, "uncaught errors on %s", where)
}

func (s *session) text(sel string) string {
	s.t.Helper()
	var out string
	s.run("read "+sel, chromedp.Text(sel, &out, chromedp.ByQuery))
	return strings.TrimSpace(out)
}

func TestWebAppInARealBrowser(t *testing.T) {
	chromium(t)
	stack := stacktest.Start(t, devstack.Options{})
	downloads := t.TempDir()
	s := newSession(t, stack.Stack.APIURL, downloads)
	base := stack.Stack.APIURL
	axeSeen := 0

	t.Run("pages keep their own policies", func(t *testing.T) {
		for path, want := range map[string]string{
			"/":                "script-src 'self'; style-src 'self'",
			"/docs":            "style-src-attr 'unsafe-inline'",
			"/v1/openapi.json": "default-src 'none'; frame-ancestors 'none'",
			"/healthz":         "default-src 'none'; frame-ancestors 'none'",
		} {
			resp, err := http.Get(base + path)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusOK, resp.StatusCode, path)
			assert.Contains(t, resp.Header.Get("Content-Security-Policy"), want, path)
			assert.NotContains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'unsafe-inline'", path)
		}
	})

	// Sign in.
	s.run("open the app", chromedp.Navigate(base+"/"), chromedp.WaitVisible("#credential", chromedp.ByID))
	assert.Equal(t, "Sign in", s.text("h1"))
	axeSeen += s.axeCheck("sign-in")
	s.shoot("01-sign-in", "")
	s.run("a wrong key is refused with the API's problem",
		chromedp.SendKeys("#credential", "cfk_wrong", chromedp.ByID),
		chromedp.Click(`form button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(".problem", chromedp.ByQuery))
	assert.Contains(t, s.text(".problem"), "invalid_credentials")
	var stored string
	s.eval(`sessionStorage.getItem("cf.credential") || ""`, &stored)
	assert.Empty(t, stored, "a refused key is not kept")
	s.run("sign in",
		chromedp.SetValue("#credential", stack.Stack.DevKey, chromedp.ByID),
		chromedp.Click(`form button[type="submit"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`a.button.primary[href="#/new"]`, chromedp.ByQuery))
	s.eval(`sessionStorage.getItem("cf.credential") || ""`, &stored)
	assert.Equal(t, stack.Stack.DevKey, stored, "the key lives in session storage")
	var local int
	s.eval(`localStorage.length`, &local)
	assert.Zero(t, local, "and nowhere else")

	// Submit, with the source read from a text file.
	source := filepath.Join(t.TempDir(), "tides.txt")
	require.NoError(t, os.WriteFile(source, []byte(tidesSource), 0o644))
	s.run("open the form", chromedp.Click(`a.button.primary[href="#/new"]`, chromedp.ByQuery), chromedp.WaitVisible("#topic", chromedp.ByID))
	axeSeen += s.axeCheck("new job")
	s.run("fill the form",
		chromedp.SendKeys("#topic", "Ocean tides", chromedp.ByID),
		chromedp.SetUploadFiles("#source_file", []string{source}, chromedp.ByID),
		chromedp.Poll(`document.querySelector("#source_text").value.includes("Moon")`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.SetValue("#target_minutes", "1", chromedp.ByID),
		chromedp.SetValue("#level", "beginner", chromedp.ByID))
	s.shoot("02-new-job", "")
	s.run("submit", chromedp.Click(`form button[type="submit"]`, chromedp.ByQuery), chromedp.WaitVisible(".steps", chromedp.ByQuery))
	var hash string
	s.eval(`location.hash`, &hash)
	require.True(t, strings.HasPrefix(hash, "#/jobs/"), hash)
	id := strings.TrimPrefix(hash, "#/jobs/")
	job, err := stack.API.Get(t.Context(), id)
	require.NoError(t, err)
	assert.Equal(t, "Ocean tides", job.Topic)
	assert.Len(t, job.Steps, len(content.Formats()), "the pasted source is read, then every format is made")

	// Live progress: the steps move on the page as the job runs, without
	// a reload, until the job ends.
	s.eval(`window.__sameDocument = true`, nil)
	s.within(2*time.Minute, "a step shows its progress",
		chromedp.Poll(`[...document.querySelectorAll(".step .badge")].some((b) => b.textContent === "succeeded")`, nil, chromedp.WithPollingInterval(50*time.Millisecond)))
	s.shoot("03-job-running", "")
	// An eleven-step job on the offline backends; bounded by the slowest
	// step (espeak narration) on a busy two-core machine.
	s.within(5*time.Minute, "the job ends on the page",
		chromedp.Poll(`["succeeded","partial","failed","cancelled"].includes(document.querySelector(".job-status .badge")?.textContent)`, nil,
			chromedp.WithPollingInterval(200*time.Millisecond)),
		chromedp.WaitVisible(`[role="tablist"]`, chromedp.ByQuery))
	var same bool
	s.eval(`window.__sameDocument === true`, &same)
	assert.True(t, same, "the page followed the job over its event stream, never reloading")
	ended, err := stack.API.Get(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, client.JobSucceeded, ended.Status, stacktest.Describe(ended))
	assert.Equal(t, "succeeded", s.text(".job-status .badge"))
	var shown, want []string
	s.eval(`[...document.querySelectorAll(".step .badge")].map((b) => b.textContent)`, &shown)
	for _, st := range ended.Steps {
		want = append(want, string(st.Status))
		if st.Name == content.FormatTimeline {
			assert.Equal(t, client.StepNotApplicable, st.Status, "the source holds no dates: no timeline")
		} else {
			assert.Equal(t, client.StepSucceeded, st.Status, string(st.Name))
		}
	}
	assert.Equal(t, want, shown, "every step is shown as it ended")
	axeSeen += s.axeCheck("job")
	s.shoot("04-job-ended", "")

	// Every format opens.
	var tabs []string
	s.eval(`[...document.querySelectorAll('[role="tab"]')].map((t) => t.id)`, &tabs)
	assert.Equal(t, []string{"tab-outline", "tab-study_guide", "tab-one_pager", "tab-detailed_reading", "tab-faqs", "tab-flashcards", "tab-reading_guide", "tab-quiz", "tab-podcast", "tab-cover"}, tabs,
		"a tab for every document made (no timeline: it did not apply)")
	for _, tab := range tabs {
		panel := "#panel-" + strings.TrimPrefix(tab, "tab-")
		s.within(30*time.Second, "open "+tab,
			chromedp.Click("#"+tab, chromedp.ByID),
			chromedp.WaitVisible(panel+" h3, "+panel+" audio, "+panel+" figure", chromedp.ByQuery))
	}
	s.run("keyboard: arrows move between tabs", chromedp.Focus("#tab-cover", chromedp.ByID), chromedp.KeyEvent(kb.ArrowLeft))
	var focused string
	s.eval(`document.activeElement.id`, &focused)
	assert.Equal(t, "tab-podcast", focused)

	// FAQs expand.
	s.run("open the FAQs", chromedp.Click("#tab-faqs", chromedp.ByID), chromedp.Click("#panel-faqs details summary", chromedp.ByQuery))
	var open bool
	s.eval(`document.querySelector("#panel-faqs details").open`, &open)
	assert.True(t, open, "a FAQ expands")
	s.shoot("05-faqs", "#tab-faqs")

	// Flashcards turn over, by keyboard too.
	s.run("turn a card", chromedp.Click("#tab-flashcards", chromedp.ByID),
		chromedp.Focus("#panel-flashcards .flashcard", chromedp.ByQuery), chromedp.KeyEvent(" "))
	var pressed string
	s.eval(`document.querySelector("#panel-flashcards .flashcard").getAttribute("aria-pressed")`, &pressed)
	assert.Equal(t, "true", pressed)
	var backShown bool
	s.eval(`getComputedStyle(document.querySelector("#panel-flashcards .flashcard .back")).display !== "none"`, &backShown)
	assert.True(t, backShown, "the answer shows")
	axeSeen += s.axeCheck("flashcards")
	s.shoot("06-flashcards", "#tab-flashcards")

	// A quiz question's answer opens.
	s.run("open a quiz answer", chromedp.Click("#tab-quiz", chromedp.ByID), chromedp.Click("#panel-quiz details.answer summary", chromedp.ByQuery))
	var options int
	s.eval(`document.querySelectorAll("#panel-quiz .question:first-child .options li").length`, &options)
	assert.Equal(t, 4, options, "four options")
	s.eval(`document.querySelector("#panel-quiz details.answer").open`, &open)
	assert.True(t, open, "the answer shows")
	axeSeen += s.axeCheck("quiz")
	s.shoot("06b-quiz", "#tab-quiz")

	// The podcast plays from its signed URL; the transcript follows it.
	s.run("open the podcast", chromedp.Click("#tab-podcast", chromedp.ByID), chromedp.WaitVisible("#podcast-audio", chromedp.ByID))
	var media struct {
		ReadyState int     `json:"readyState"`
		Duration   float64 `json:"duration"`
		Src        string  `json:"src"`
	}
	s.within(30*time.Second, "the audio loads",
		chromedp.Poll(`(() => { const a = document.querySelector("#podcast-audio"); return a.readyState >= 1 && a.duration > 0 && {readyState: a.readyState, duration: a.duration, src: a.src}; })()`, &media,
			chromedp.WithPollingInterval(100*time.Millisecond)))
	assert.GreaterOrEqual(t, media.ReadyState, 1)
	assert.Greater(t, media.Duration, 1.0)
	assert.Contains(t, media.Src, "X-Goog-Signature", "the audio plays from a signed URL")
	var cues int
	s.eval(`document.querySelectorAll("#panel-podcast .cue").length`, &cues)
	require.Greater(t, cues, 2)
	s.run("seek into the third line", chromedp.Click("#panel-podcast .cue:nth-child(3) button", chromedp.ByQuery))
	s.within(20*time.Second, "the transcript follows playback",
		chromedp.Poll(`document.querySelector("#panel-podcast .cue.speaking") !== null`, nil, chromedp.WithPollingInterval(50*time.Millisecond)))
	var speaking int
	s.eval(`[...document.querySelectorAll("#panel-podcast .cue")].findIndex((c) => c.classList.contains("speaking"))`, &speaking)
	assert.GreaterOrEqual(t, speaking, 2, "the line being spoken is highlighted")
	s.eval(`document.querySelector("#podcast-audio").pause()`, nil)
	axeSeen += s.axeCheck("podcast")
	s.shoot("07-podcast", "#tab-podcast")

	// The cover shows.
	var natural int
	s.run("open the cover", chromedp.Click("#tab-cover", chromedp.ByID))
	s.within(20*time.Second, "the cover loads",
		chromedp.Poll(`document.querySelector("#panel-cover img")?.naturalWidth || 0`, &natural, chromedp.WithPollingInterval(50*time.Millisecond)))
	assert.Greater(t, natural, 0)
	var alt string
	s.eval(`document.querySelector("#panel-cover img").alt`, &alt)
	assert.NotEmpty(t, alt, "the cover has its alt text")
	s.shoot("08-cover", "#tab-cover")

	// The bundle downloads through its signed URL.
	s.run("download the bundle", chromedp.Click(`.downloads button.primary`, chromedp.ByQuery))
	bundle := filepath.Join(downloads, "bundle.html")
	s.within(30*time.Second, "the bundle is saved", chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			if st, err := os.Stat(bundle); err == nil && st.Size() > 0 {
				return nil
			}
			select {
			case <-ctx.Done():
				entries, _ := os.ReadDir(downloads)
				return fmt.Errorf("%s not saved (folder: %v): %w", bundle, entries, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}))
	saved, err := os.ReadFile(bundle)
	require.NoError(t, err)
	assert.Equal(t, string(stack.Artifact(t, id, "bundle.html")), string(saved))
	s.noViolations("the job's page")

	// The list shows the job; paging, cancel and delete are there.
	s.run("back to the list", chromedp.Navigate(base+"/#/"), chromedp.WaitVisible(".job-row", chromedp.ByQuery))
	assert.Contains(t, s.text(".job-row .job-topic"), "Ocean tides")
	axeSeen += s.axeCheck("jobs")
	s.shoot("09-jobs", "")

	// The explorer renders the API's description under its own policy.
	s.run("open the explorer", chromedp.Navigate(base+"/docs"), chromedp.WaitVisible(".opblock", chromedp.ByQuery))
	var ops int
	s.eval(`document.querySelectorAll(".opblock").length`, &ops)
	assert.GreaterOrEqual(t, ops, 10, "every operation is listed")
	s.noViolations("the explorer")
	s.shoot("10-api-explorer", "")

	// Delete, from the list.
	s.run("delete the job", chromedp.Navigate(base+"/#/"), chromedp.WaitVisible(".job-row button.danger", chromedp.ByQuery),
		chromedp.ActionFunc(func(ctx context.Context) error {
			chromedp.ListenTarget(ctx, func(ev any) {
				if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
					go func() { _ = chromedp.Run(ctx, page.HandleJavaScriptDialog(true)) }()
				}
			})
			return nil
		}),
		chromedp.Click(".job-row button.danger", chromedp.ByQuery),
		chromedp.WaitNotPresent(".job-row", chromedp.ByQuery))
	_, err = stack.API.Get(t.Context(), id)
	assert.Equal(t, "job_not_found", client.ErrorCode(err), "deleted through the app")
	s.noViolations("the list")
	t.Logf("axe-core: %d violations in all, none serious or critical; screenshots in %s", axeSeen, s.shots)
	t.Logf("podcast: ready state %d, %.1f s", media.ReadyState, media.Duration)
}

// tidesSource is the text file the test submits as the source.
const tidesSource = `Tides are the rise and fall of sea levels caused by the gravitational pull of the Moon and the Sun and the rotation of the Earth.

The Moon's gravity pulls the ocean towards it, making a bulge of water on the side of the Earth facing the Moon. A second bulge forms on the opposite side, where the Earth is pulled away from the water. Most coasts therefore see two high tides and two low tides every lunar day of about 24 hours and 50 minutes.

When the Sun, the Moon and the Earth line up, at new moon and full moon, their pulls add up and make spring tides, with the highest highs and the lowest lows. When the Sun and the Moon are at right angles, at the quarter moons, they partly cancel and make neap tides, whose range is smallest.

The shape of coastlines and of the sea floor changes tides a great deal. The Bay of Fundy in Canada has the largest tidal range in the world, more than 16 metres, because the bay resonates with the tide. Enclosed seas such as the Mediterranean have very small tides.

Tides matter to people: they set when ships can enter harbours, they shape the life of shores and estuaries, and tidal power stations turn their flow into electricity.`
