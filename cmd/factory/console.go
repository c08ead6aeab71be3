package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"contentfactory.dev/factory/internal/devstack"
)

// console writes every process's output to its log file (DIR/logs) and
// tells a person at the terminal what happens, one line each: a request
// to a function, a job created or ended, a step's outcome, and any warning
// or error. The emulators' own chatter (a pair of lines per connection)
// stays in their files, as do a function's other lines.
func console(dir string, term io.Writer) func(string) io.Writer {
	files := devstack.LogFiles(dir)
	var mu sync.Mutex // serializes lines on the terminal
	var open sync.Mutex
	writers := map[string]io.Writer{} // one per process name, kept across restarts
	return func(name string) io.Writer {
		open.Lock()
		defer open.Unlock()
		if w, ok := writers[name]; ok {
			return w
		}
		f := files(name)
		pr, pw := io.Pipe()
		writers[name] = pw
		quiet := strings.HasSuffix(name, "-emulator")
		go func() {
			sc := bufio.NewScanner(pr)
			sc.Buffer(make([]byte, 64*1024), 1024*1024)
			for sc.Scan() {
				line := sc.Text()
				fmt.Fprintln(f, line)
				if quiet {
					continue
				}
				if out := summarize(name, line); out != "" {
					mu.Lock()
					fmt.Fprintln(term, out)
					mu.Unlock()
				}
			}
		}()
		return pw
	}
}

// logLine is what summarize reads of a function's JSON log line.
type logLine struct {
	Time        time.Time `json:"time"`
	Severity    string    `json:"severity"`
	Message     string    `json:"message"`
	JobID       string    `json:"job_id"`
	Step        string    `json:"step"`
	Attempt     int       `json:"attempt"`
	Status      string    `json:"status"`
	Code        string    `json:"code"`
	Error       string    `json:"error"`
	DurationMS  *int64    `json:"duration_ms"`
	CostUSD     *float64  `json:"cost_usd"`
	HTTPRequest *struct {
		Method string `json:"requestMethod"`
		URL    string `json:"requestUrl"`
		Status int    `json:"status"`
	} `json:"httpRequest"`
}

// outcomes are the log messages that end something a person follows.
var outcomes = map[string]string{
	"job created":   "created",
	"job cancelled": "cancelled",
	"job erased":    "deleted",
	"job ended":     "ended",
	"job ran past its deadline and was ended": "ended past its deadline",
	"step succeeded":                             "succeeded",
	"step failed":                                "failed",
	"step failed transiently: will retry":        "will retry",
	"step failed: its message was dead-lettered": "failed (dead-lettered)",
	"request accepted":                           "accepted from Pub/Sub",
}

// summarize returns the terminal's line for a log line of a process, or
// "" when the line stays in the log file.
func summarize(process, line string) string {
	var l logLine
	if !strings.HasPrefix(line, "{") || json.Unmarshal([]byte(line), &l) != nil {
		// Not a log line of ours: only a crash is worth a person's eye.
		if strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") || strings.HasPrefix(line, "devstack:") {
			return fmt.Sprintf("%s %-15s %s", time.Now().Format(time.TimeOnly), process, line)
		}
		return ""
	}
	at := l.Time
	if at.IsZero() {
		at = time.Now()
	}
	stamp := at.Local().Format(time.TimeOnly)
	bad := l.Severity == "WARNING" || l.Severity == "ERROR" || l.Severity == "CRITICAL"
	if l.Message == "request" && l.HTTPRequest != nil {
		r := l.HTTPRequest
		if r.Status < 400 && (process == "Sweep" || isAsset(r.Method, r.URL)) {
			return "" // the scheduler's tick, the web app's files
		}
		return fmt.Sprintf("%s %-15s %s %s → %d", stamp, process, r.Method, r.URL, r.Status)
	}
	outcome, ok := outcomes[l.Message]
	if !ok && !bad {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %-15s", stamp, process)
	if l.JobID != "" {
		fmt.Fprintf(&b, " job %s", short(l.JobID))
	}
	if l.Step != "" && !strings.HasPrefix(l.Message, "job ") {
		fmt.Fprintf(&b, " %s", l.Step)
	}
	if !ok {
		fmt.Fprintf(&b, " %s: %s", l.Severity, l.Message)
	} else {
		b.WriteString(" " + outcome)
		if l.Message == "job ended" && l.Status != "" {
			b.WriteString(" " + l.Status)
		}
	}
	var notes []string
	if l.Attempt > 1 {
		notes = append(notes, fmt.Sprintf("attempt %d", l.Attempt))
	}
	if l.DurationMS != nil {
		notes = append(notes, (time.Duration(*l.DurationMS) * time.Millisecond).String())
	}
	if l.CostUSD != nil && *l.CostUSD > 0 {
		notes = append(notes, fmt.Sprintf("$%.4f", *l.CostUSD))
	}
	if l.Code != "" {
		notes = append(notes, l.Code)
	}
	if l.Error != "" {
		notes = append(notes, l.Error)
	}
	if len(notes) > 0 {
		b.WriteString(" (" + strings.Join(notes, ", ") + ")")
	}
	return b.String()
}

// isAsset reports whether a request fetched a file of the web app or the
// explorer.
func isAsset(method, path string) bool {
	return (method == "GET" || method == "HEAD") &&
		(path == "/" || path == "/docs" || strings.HasPrefix(path, "/app/") || strings.HasPrefix(path, "/docs/") || path == "/favicon.ico")
}

// short is the first eight characters of a job id, as `factory watch`
// shows it.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
