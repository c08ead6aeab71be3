package vertex

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/jpeg" // decode JPEG covers for their size
	_ "image/png"  // decode PNG covers for their size
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/genai"

	"contentfactory.dev/factory/shared/ai"
	"contentfactory.dev/factory/shared/ai/prompts"
	"contentfactory.dev/factory/shared/ai/retry"
	"contentfactory.dev/factory/shared/content"
)

// maxAltText bounds the alt text, in characters.
const maxAltText = 300

// GenerateImage implements ai.ImageGenerator. The image model gets one
// user turn (prompts.RenderImage) asking for the picture and, as text, one
// sentence of alt text: one call yields both, so no second text call is
// billed. When the model writes no alt text, a plain description made
// from the title is used.
func (c *Client) GenerateImage(ctx context.Context, req ai.ImageRequest) (ai.ImageResult, error) {
	if req.Request == nil {
		return ai.ImageResult{}, ai.Permanentf(CodeInvalidRequest, "generate image: no request")
	}
	p, err := prompts.RenderImage(req.Request, req.Outline, req.Canary)
	if err != nil {
		return ai.ImageResult{}, ai.Permanent(CodeInvalidRequest, err)
	}
	model := c.cfg.Image.Model
	setting := c.cfg.Image.ModelSetting()
	cfg := &genai.GenerateContentConfig{
		ResponseModalities:    []string{string(genai.ModalityImage), string(genai.ModalityText)},
		ImageConfig:           &genai.ImageConfig{AspectRatio: aspect(req.Request), ImageSize: c.cfg.Image.ImageSize},
		CandidateCount:        1,
		AutomaticContinuation: genai.Ptr(false),
		Labels:                labels(req.JobID, string(content.FormatImage), req.Version, req.Attempt),
	}
	if c.cfg.Image.ThinkingLevel != "" {
		cfg.ThinkingConfig = &genai.ThinkingConfig{ThinkingLevel: genai.ThinkingLevel(c.cfg.Image.ThinkingLevel)}
	}
	contents := []*genai.Content{genai.NewContentFromText(p.User, genai.RoleUser)}

	var res ai.ImageResult
	var img *genai.Blob
	var alt string
	_, err = retry.Value(ctx, c.retry, func(ctx context.Context) (struct{}, error) {
		start := time.Now()
		resp, err := attempt(ctx, c.cfg.Image.Timeout.D(), setting, model, func(ctx context.Context) (*genai.GenerateContentResponse, error) {
			return c.genai.Models.GenerateContent(ctx, model, contents, cfg)
		})
		if err != nil {
			return struct{}{}, err
		}
		call := c.usage(model, resp, time.Since(start))
		if err := filtered(resp); err != nil {
			res.Calls = append(res.Calls, c.cfg.Priced(call))
			return struct{}{}, err
		}
		img, alt = imageParts(resp)
		if img != nil {
			call.Images = 1
		}
		res.Calls = append(res.Calls, c.cfg.Priced(call))
		if img == nil {
			// A text-only answer happens now and then; another call
			// usually draws.
			return struct{}{}, ai.Transient(CodeNoImage, errors.New("the image model answered without an image"))
		}
		return struct{}{}, nil
	})
	if err != nil {
		return res, err
	}
	cfgImg, _, err := image.DecodeConfig(bytes.NewReader(img.Data))
	if err != nil {
		return res, ai.Permanentf("invalid_output", "the image model's %s does not decode: %v", img.MIMEType, err)
	}
	res.Data, res.MIMEType = img.Data, img.MIMEType
	res.Width, res.Height = cfgImg.Width, cfgImg.Height
	res.AltText = cleanAlt(alt)
	if res.AltText == "" {
		title := req.Request.Topic
		if req.Outline != nil {
			title = req.Outline.Title
		}
		res.AltText = "Cover illustration for " + title + "."
	}
	return res, nil
}

func aspect(r *content.Request) string {
	if r.Image != nil && r.Image.AspectRatio != "" {
		return r.Image.AspectRatio
	}
	return content.DefaultAspect
}

// imageParts returns the first inline image of the first candidate and
// its text.
func imageParts(resp *genai.GenerateContentResponse) (*genai.Blob, string) {
	if len(resp.Candidates) == 0 || resp.Candidates[0].Content == nil {
		return nil, ""
	}
	var img *genai.Blob
	var text strings.Builder
	for _, p := range resp.Candidates[0].Content.Parts {
		switch {
		case p == nil || p.Thought:
		case p.InlineData != nil && strings.HasPrefix(p.InlineData.MIMEType, "image/") && img == nil:
			img = p.InlineData
		case p.Text != "":
			text.WriteString(p.Text)
			text.WriteByte(' ')
		}
	}
	return img, text.String()
}

// cleanAlt keeps the first sentence of the model's text, on one line and
// at most maxAltText characters.
func cleanAlt(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.Trim(s, "\"'` ")
	s = strings.TrimPrefix(s, "Alt text: ")
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i+1]
	}
	if utf8.RuneCountInString(s) > maxAltText {
		r := []rune(s)[:maxAltText-1]
		s = strings.TrimSpace(string(r)) + "…"
	}
	return s
}
