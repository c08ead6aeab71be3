package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"contentfactory.dev/factory/shared/client"
	"contentfactory.dev/factory/shared/content"
)

func runSubmit(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	newClient := clientFlags(fs)
	file := fs.String("file", "", "a JSON request document (flags below override its fields)")
	topic := fs.String("topic", "", "the topic (3-200 characters)")
	source := fs.String("source", "", "a text file to use as the source text")
	uploads := fs.String("upload", "", "comma-separated files to upload as sources (.pdf, .docx, .html, .md, .txt)")
	links := fs.String("link", "", "comma-separated https links to read as sources")
	formats := fs.String("formats", "", "comma-separated formats (default: all text formats, image and audio)")
	audience := fs.String("audience", "", "who the material is for")
	level := fs.String("level", "", "beginner, intermediate or advanced")
	language := fs.String("language", "", "BCP 47 language tag (default en-US)")
	minutes := fs.Int("minutes", 0, "podcast length in minutes (1-30)")
	follow := fs.Bool("watch", false, "follow the job until it ends")
	key := fs.String("idempotency-key", "", "makes the submission safe to retry (default: a new random key; failed tries are retried with it)")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	req := map[string]any{}
	if *file != "" {
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &req); err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
	}
	set := func(k, v string) {
		if v != "" {
			req[k] = v
		}
	}
	set("topic", *topic)
	set("audience", *audience)
	set("level", *level)
	set("language", *language)
	if *source != "" {
		b, err := os.ReadFile(*source)
		if err != nil {
			return err
		}
		req["source_text"] = string(b)
	}
	if *formats != "" {
		req["formats"] = strings.Split(*formats, ",")
	}
	if req["topic"] == nil {
		return errors.New("a topic is required: --topic or a --file with one")
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	if err := addSources(ctx, c, req, *uploads, *links); err != nil {
		return err
	}
	if *minutes != 0 {
		p, _ := req["podcast"].(map[string]any)
		if p == nil {
			p = map[string]any{}
		}
		p["target_minutes"] = *minutes
		req["podcast"] = p
	}
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if *key == "" {
		*key = client.NewIdempotencyKey()
	}
	j, err := c.Submit(ctx, body, *key)
	if err != nil {
		return err
	}
	fmt.Printf("job %s %s\n", j.ID, j.Status)
	if *follow {
		return watch(ctx, c, j.ID)
	}
	return nil
}

// sourceTypes are the media types of the files --upload sends, by
// extension.
var sourceTypes = map[string]string{
	".pdf": content.MediaPDF, ".docx": content.MediaDOCX, ".html": content.MediaHTML, ".htm": content.MediaHTML,
	".md": content.MediaMarkdown, ".markdown": content.MediaMarkdown, ".txt": content.MediaText,
}

// addSources uploads each file of uploads (comma-separated) and adds it,
// and each link of links, to the request's sources.
func addSources(ctx context.Context, c *client.Client, req map[string]any, uploads, links string) error {
	srcs, _ := req["sources"].([]any)
	for _, path := range strings.Split(uploads, ",") {
		if path = strings.TrimSpace(path); path == "" {
			continue
		}
		mt, ok := sourceTypes[strings.ToLower(filepath.Ext(path))]
		if !ok {
			return fmt.Errorf("%s: a source file is .pdf, .docx, .html, .md or .txt", path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		up, err := c.Upload(ctx, filepath.Base(path), mt, data)
		if err != nil {
			return fmt.Errorf("upload %s: %w", path, err)
		}
		fmt.Printf("uploaded %s as %s\n", path, up.ID)
		srcs = append(srcs, map[string]any{"upload_id": up.ID})
	}
	for _, link := range strings.Split(links, ",") {
		if link = strings.TrimSpace(link); link != "" {
			srcs = append(srcs, map[string]any{"url": link})
		}
	}
	if len(srcs) > 0 {
		req["sources"] = srcs
	}
	return nil
}

func runWatch(ctx context.Context, args []string) error {
	return onJob(ctx, "watch", args, func(c *client.Client, id string) error { return watch(ctx, c, id) })
}

// watch follows a job and draws a progress bar per step until it ends:
// over the job's event stream, or by reading the job every half second
// when the API cannot stream (an older API, or one that stays busy). On a
// terminal it redraws in place; otherwise it prints each change once.
func watch(ctx context.Context, c *client.Client, id string) error {
	tty := term.IsTerminal(int(os.Stdout.Fd()))
	drawn := 0
	last := map[content.Format]client.StepStatus{}
	show := func(j *client.Job) {
		if tty {
			if drawn > 0 {
				fmt.Printf("\033[%dA", drawn)
			}
			drawn = draw(os.Stdout, j)
			return
		}
		for _, s := range j.Steps {
			if last[s.Name] != s.Status {
				last[s.Name] = s.Status
				fmt.Printf("%-17s %s\n", s.Name, s.Status)
			}
		}
	}
	var shown *client.Job
	j, err := c.Watch(ctx, id, "", func(e client.Event) {
		switch {
		case e.Job != nil:
			shown = e.Job
		case shown != nil && e.Change != nil:
			shown.Status, shown.Progress = e.Change.Status, e.Change.Progress
			if e.Change.Step != nil {
				for i := range shown.Steps {
					if shown.Steps[i].Name == e.Change.Step.Name {
						shown.Steps[i] = *e.Change.Step
					}
				}
			}
		default:
			return
		}
		show(shown)
	})
	if err != nil && ctx.Err() == nil && !final(err) {
		fmt.Fprintf(os.Stderr, "factory: the event stream failed (%v); reading the job instead\n", err)
		j, err = c.Wait(ctx, id, 500*time.Millisecond, show)
	}
	if err != nil {
		return err
	}
	fmt.Printf("job %s %s in %s; %d artifacts; fetch them with: factory fetch %s\n",
		j.ID, j.Status, j.FinishedAt.Sub(j.CreatedAt).Round(100*time.Millisecond), len(j.Artifacts), j.ID)
	if j.Status != client.JobSucceeded {
		return exitCode(3)
	}
	return nil
}

// final reports whether an error of the API is about the job or the
// caller (no such job, bad credentials), which polling would only repeat.
func final(err error) bool {
	var e *client.Error
	return errors.As(err, &e) && e.Status < 500 && e.Status != http.StatusTooManyRequests && e.Code != "not_found"
}

func runCancel(ctx context.Context, args []string) error {
	return onJob(ctx, "cancel", args, func(c *client.Client, id string) error {
		j, err := c.Cancel(ctx, id)
		if err != nil {
			return err
		}
		fmt.Printf("job %s %s\n", j.ID, j.Status)
		return nil
	})
}

func runDelete(ctx context.Context, args []string) error {
	return onJob(ctx, "delete", args, func(c *client.Client, id string) error {
		if err := c.Delete(ctx, id); err != nil {
			return err
		}
		fmt.Printf("job %s deleted with its artifacts\n", id)
		return nil
	})
}

// onJob runs a command that takes one job id.
func onJob(ctx context.Context, name string, args []string, do func(*client.Client, string) error) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	newClient := clientFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("usage: factory %s JOB_ID", name)
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	return do(c, pos[0])
}

// draw writes one line per step and a total; it returns the line count.
func draw(w io.Writer, j *client.Job) int {
	const width = 24
	for _, s := range j.Steps {
		fill := map[client.StepStatus]int{
			client.StepPending: 0, client.StepQueued: 2, client.StepRunning: width / 2,
			client.StepSucceeded: width, client.StepFailed: width, client.StepSkipped: width, client.StepNotApplicable: width,
		}[s.Status]
		bar := strings.Repeat("█", fill) + strings.Repeat("·", width-fill)
		note := string(s.Status)
		if s.Error != nil {
			note += " (" + s.Error.Code + ")"
		}
		if s.Attempt > 1 {
			note += fmt.Sprintf(" attempt %d", s.Attempt)
		}
		fmt.Fprintf(w, "\033[2K%-17s %s %s\n", s.Name, bar, note)
	}
	fmt.Fprintf(w, "\033[2K%-17s %3.0f%% %s\n", "job "+j.ID[:8], j.Progress*100, j.Status)
	return len(j.Steps) + 1
}

func runStatus(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	newClient := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		list, err := c.List(ctx, 0, "")
		if err != nil {
			return err
		}
		for _, j := range list.Jobs {
			fmt.Printf("%s  %-10s %s  %s\n", j.ID, j.Status, j.CreatedAt.Local().Format(time.DateTime), j.Topic)
		}
		return nil
	}
	j, err := c.Get(ctx, pos[0])
	if err != nil {
		return err
	}
	if *asJSON {
		// The document as the API wrote it: the same type, encoded the same way.
		raw, err := json.MarshalIndent(j, "", "  ")
		if err != nil {
			return err
		}
		fmt.Println(string(raw))
		return nil
	}
	fmt.Printf("job %s: %s, %.0f%%, topic %q, %d model calls, $%.4f\n", j.ID, j.Status, j.Progress*100, j.Topic, j.Usage.Calls, j.Usage.CostUSD)
	draw(os.Stdout, j)
	for _, a := range j.Artifacts {
		fmt.Printf("  %-20s %-32s %9d bytes\n", a.Name, a.ContentType, a.Size)
	}
	return nil
}

func runFetch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ContinueOnError)
	newClient := clientFlags(fs)
	out := fs.String("out", "", "folder to write to (default ./JOB_ID)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: factory fetch JOB_ID [--out DIR]")
	}
	c, err := newClient()
	if err != nil {
		return err
	}
	j, err := c.Get(ctx, pos[0])
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = j.ID
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, a := range j.Artifacts {
		n, err := download(ctx, c, j.ID, a.Name, filepath.Join(dir, filepath.Base(a.Name)))
		if err != nil {
			return fmt.Errorf("fetch %s: %w", a.Name, err)
		}
		fmt.Printf("%-20s %9d bytes\n", filepath.Join(dir, a.Name), n)
	}
	return nil
}

// download saves an artifact of a job to path.
func download(ctx context.Context, c *client.Client, jobID, name, path string) (int64, error) {
	body, err := c.Artifact(ctx, jobID, name)
	if err != nil {
		return 0, err
	}
	defer body.Close()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
