package assemble

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/jpeg" // covers may be JPEG
	"image/png"
	"slices"
	"time"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/content"
	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/export/anki"
	"contentfactory.dev/factory/shared/export/docx"
	"contentfactory.dev/factory/shared/export/epub"
	"contentfactory.dev/factory/shared/export/pdf"
	"contentfactory.dev/factory/shared/failure"
	"contentfactory.dev/factory/shared/logging"
	"contentfactory.dev/factory/shared/pipeline"
)

// Artifact names of the package.
const (
	ManifestName   = "manifest.json"
	BundleMarkdown = "bundle.md"
	BundleHTML     = "bundle.html"
	BundlePDF      = "bundle.pdf"
	BundleDOCX     = "bundle.docx"
	BundleEPUB     = "bundle.epub"
	FlashcardsAnki = "flashcards.apkg"
	FlashcardsCSV  = "flashcards.csv"
	QuizCSV        = "quiz.csv"
)

// Executor writes the package: a manifest of every step and its
// artifacts, and the bundle of every text format. Every other step has
// ended by then, so it also drops the job's model context cache, if any.
type Executor struct {
	Caches CacheCleaner
}

// CacheCleaner deletes what a job cached with the model provider.
type CacheCleaner interface {
	DeleteJobCache(ctx context.Context, jobID string) error
}

// Manifest is the package's table of contents.
type Manifest struct {
	JobID     string             `json:"job_id"`
	Title     string             `json:"title"`
	Topic     string             `json:"topic"`
	Language  string             `json:"language"`
	CreatedAt time.Time          `json:"created_at"`
	Steps     []ManifestStep     `json:"steps"`
	Exports   []ManifestArtifact `json:"exports"`
}

// ManifestStep is one step in the manifest.
type ManifestStep struct {
	Name      content.Format      `json:"name"`
	Status    pipeline.StepStatus `json:"status"`
	Error     *pipeline.StepError `json:"error,omitempty"`
	Artifacts []ManifestArtifact  `json:"artifacts"`
	// Quality and Warnings are a text step's (see pipeline.Step).
	Quality  *content.Quality       `json:"quality,omitempty"`
	Warnings []pipeline.StepWarning `json:"warnings,omitempty"`
	// Model is the model that wrote a text step's document and why a
	// fallback happened (see pipeline.Step); none offline.
	Model *ai.Made `json:"model,omitempty"`
}

// ManifestArtifact is one file in the manifest.
type ManifestArtifact struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size,omitempty"`
	MD5         string `json:"md5,omitempty"`
}

// Execute implements pipeline.Executor.
func (e Executor) Execute(ctx context.Context, t *pipeline.Task) (*pipeline.Output, error) {
	if e.Caches != nil {
		if err := e.Caches.DeleteJobCache(ctx, t.Job.ID); err != nil {
			// It expires by itself; a failure here costs storage, not the job.
			logging.From(ctx).WarnContext(ctx, "delete the job's context cache failed", "error", err.Error())
		}
	}
	req, err := t.Request(ctx)
	if err != nil {
		return nil, err
	}
	steps, err := t.Steps(ctx)
	if err != nil {
		return nil, err
	}
	set, err := t.Sources(ctx)
	if err != nil {
		return nil, err
	}
	bundle := export.Bundle{Topic: req.Topic, Title: req.Topic, Language: req.Language, Sources: set}
	var cards *content.Flashcards
	var quiz *content.Quiz
	var cover *export.Image
	m := Manifest{JobID: t.Job.ID, Title: req.Topic, Topic: req.Topic, Language: req.Language, CreatedAt: t.Job.CreatedAt}
	for _, f := range t.Job.Formats {
		i := slices.IndexFunc(steps, func(s *pipeline.Step) bool { return s.Name == f })
		if f == content.FormatPackage || i < 0 {
			continue
		}
		s := steps[i]
		if f == content.FormatImage && s.Status == pipeline.StepSucceeded {
			if cover, err = readCover(ctx, t, s); err != nil {
				return nil, err
			}
		}
		ms := ManifestStep{Name: s.Name, Status: s.Status, Error: s.Error, Artifacts: []ManifestArtifact{}, Quality: s.Quality, Warnings: s.Warnings, Model: s.Model}
		for _, a := range s.Artifacts {
			ms.Artifacts = append(ms.Artifacts, ManifestArtifact{Name: a.Name, ContentType: a.ContentType, Size: a.Size, MD5: a.MD5})
		}
		m.Steps = append(m.Steps, ms)
		if s.Status != pipeline.StepSucceeded || s.Kind != content.KindText {
			continue
		}
		raw, err := t.Doc(ctx, f)
		if err != nil {
			return nil, err
		}
		doc, err := content.ValidateText(f, raw, content.Expect{})
		if err != nil {
			return nil, ai.Permanent("invalid_input", fmt.Errorf("stored %s: %w", f, err))
		}
		if o, ok := doc.(*content.Outline); ok {
			bundle.Title, m.Title = o.Title, o.Title
		}
		switch d := doc.(type) {
		case *content.Flashcards:
			cards = d
		case *content.Quiz:
			quiz = d
		}
		bundle.Docs = append(bundle.Docs, export.Doc{Format: f, Value: doc})
	}
	files, err := makeExports(ctx, req, t.Job, bundle, cover, cards, quiz)
	if err != nil {
		return nil, err
	}
	m.Exports = []ManifestArtifact{}
	for _, f := range files {
		m.Exports = append(m.Exports, ManifestArtifact{Name: f.Name, ContentType: f.ContentType, Size: int64(len(f.Data))})
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, ai.Permanent("internal", err)
	}
	return &pipeline.Output{Files: append(files, pipeline.File{Name: ManifestName, ContentType: "application/json", Data: manifest})}, nil
}

// readCover reads the cover image and its description.
func readCover(ctx context.Context, t *pipeline.Task, s *pipeline.Step) (*export.Image, error) {
	var img *export.Image
	for _, a := range s.Artifacts {
		if a.Name != "cover.png" && a.Name != "cover.jpg" {
			continue
		}
		data, err := t.Read(ctx, a)
		if err != nil {
			return nil, err
		}
		if a.Name == "cover.jpg" { // the exports embed PNG
			pic, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				return nil, ai.Permanent("invalid_input", fmt.Errorf("decode the cover: %w", err))
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, pic); err != nil {
				return nil, ai.Permanent("internal", fmt.Errorf("encode the cover: %w", err))
			}
			data = buf.Bytes()
		}
		img = &export.Image{Data: data, MIMEType: "image/png"}
	}
	for _, a := range s.Artifacts {
		if img == nil || a.Name != "cover.json" {
			continue
		}
		raw, err := t.Read(ctx, a)
		if err != nil {
			return nil, err
		}
		var info struct {
			Alt    string `json:"alt_text"`
			Width  int    `json:"width"`
			Height int    `json:"height"`
		}
		if json.Unmarshal(raw, &info) == nil {
			img.Alt, img.Width, img.Height = info.Alt, info.Width, info.Height
		}
	}
	return img, nil
}

// makeExports renders the exports the request asks for, one file each,
// from the latest version of every document. Each is made and dropped in
// turn, so memory holds the documents, the files made and one renderer.
func makeExports(ctx context.Context, req *content.Request, job *pipeline.Job, bundle export.Bundle, cover *export.Image,
	cards *content.Flashcards, quiz *content.Quiz) ([]pipeline.File, error) {
	var files []pipeline.File
	var doc *export.Document
	document := func() *export.Document {
		if doc == nil {
			doc = export.NewDocument(bundle, req.Language, cover)
		}
		return doc
	}
	created := job.CreatedAt
	type maker struct {
		export      content.Export
		name, ctype string
		make        func() ([]byte, error)
	}
	makers := []maker{
		{content.ExportMarkdown, BundleMarkdown, "text/markdown; charset=utf-8", func() ([]byte, error) { return export.Markdown(bundle), nil }},
		// Sanitized: model output is never trusted as HTML.
		{content.ExportHTML, BundleHTML, "text/html; charset=utf-8", func() ([]byte, error) { return export.HTML(bundle), nil }},
		{content.ExportPDF, BundlePDF, "application/pdf", func() ([]byte, error) {
			b, st, err := pdf.Render(document(), created)
			if st.Missing > 0 {
				logging.From(ctx).WarnContext(ctx, "characters no embedded font has were drawn as ?", "missing", st.Missing)
			}
			return b, err
		}},
		{content.ExportDOCX, BundleDOCX, docx.ContentType, func() ([]byte, error) { return docx.Render(document(), created) }},
		{content.ExportEPUB, BundleEPUB, epub.ContentType, func() ([]byte, error) {
			return epub.Render(document(), "urn:contentfactory:job:"+job.ID, created)
		}},
	}
	if cards != nil || quiz != nil {
		makers = append(makers,
			maker{content.ExportAnki, FlashcardsAnki, anki.ContentType, func() ([]byte, error) { return anki.Flashcards(ctx, cards, quiz, job.ID, created) }})
	}
	if cards != nil {
		makers = append(makers, maker{content.ExportCSV, FlashcardsCSV, anki.CSVContentType, func() ([]byte, error) { return anki.CSV(cards) }})
	}
	if quiz != nil {
		makers = append(makers, maker{content.ExportCSV, QuizCSV, anki.CSVContentType, func() ([]byte, error) { return anki.QuizCSV(quiz) }})
	}
	for _, mk := range makers {
		if !req.WantsExport(mk.export) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, failure.Transient("timeout", fmt.Errorf("make %s: %w", mk.name, err))
		}
		start := time.Now()
		data, err := mk.make()
		if err != nil {
			return nil, ai.Permanent("internal", fmt.Errorf("make %s: %w", mk.name, err))
		}
		logging.From(ctx).DebugContext(ctx, "export made", "export", mk.name, "bytes", len(data), "duration_ms", time.Since(start).Milliseconds())
		files = append(files, pipeline.File{Name: mk.name, ContentType: mk.ctype, Data: data})
	}
	return files, nil
}
