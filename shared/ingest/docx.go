package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"

	"contentfactory.dev/factory/shared/content"
)

// maxPartBytes bounds what one part of a DOCX may expand to: a small file
// that inflates to gigabytes (a zip bomb) is refused, not read.
const maxPartBytes = 64 << 20

// wordNS is the namespace of WordprocessingML elements.
const wordNS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

// headingStyle matches the names and ids Word gives heading styles
// ("heading 1", "Heading1", "Title"), in any language's built-in id.
var headingStyle = regexp.MustCompile(`(?i)^(?:heading\s*([1-9])|title|subtitle)$`)

// styleLevel is the level of a heading style: its number, 1 for a
// title, 2 for a subtitle; 0 for a style that is no heading.
func styleLevel(name string) int {
	m := headingStyle.FindStringSubmatch(name)
	switch {
	case m == nil:
		return 0
	case m[1] != "":
		return min(int(m[1][0]-'0'), 6)
	case strings.EqualFold(name, "subtitle"):
		return 2
	}
	return 1
}

// readDOCX extracts the paragraphs of a DOCX document in order, the
// paragraphs of tables included, with its headings: paragraphs in a
// heading or title style, or with an outline level. Deleted revisions,
// comments, headers and footers are left out.
func readDOCX(data []byte) (Document, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return Document{}, fail(CodeTypeMismatch, "the bytes are not a DOCX document: %v", err)
	}
	var body, styles *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case "word/document.xml":
			body = f
		case "word/styles.xml":
			styles = f
		case "EncryptedPackage":
			return Document{}, fail(CodeEncrypted, "the document is password-protected; save an unprotected DOCX and send that")
		}
	}
	if body == nil {
		return Document{}, fail(CodeTypeMismatch, "the bytes are a ZIP archive without word/document.xml, not a DOCX document")
	}
	headings := map[string]int{}
	if styles != nil {
		if headings, err = headingStyles(styles); err != nil {
			return Document{}, err
		}
	}
	raw, err := readPart(body)
	if err != nil {
		return Document{}, err
	}
	blocks, err := docxBlocks(raw, headings)
	if err != nil {
		return Document{}, err
	}
	return Document{Blocks: blocks}, nil
}

// readPart reads one part of the package, bounded.
func readPart(f *zip.File) ([]byte, error) {
	if f.UncompressedSize64 > maxPartBytes {
		return nil, fail(CodeTooLarge, "%s expands to %d bytes, more than %d", f.Name, f.UncompressedSize64, maxPartBytes)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fail(CodeUnreadable, "the DOCX document is damaged: %s: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPartBytes+1))
	if err != nil {
		return nil, fail(CodeUnreadable, "the DOCX document is damaged: %s: %v", f.Name, err)
	}
	if len(b) > maxPartBytes {
		return nil, fail(CodeTooLarge, "%s expands to more than %d bytes", f.Name, maxPartBytes)
	}
	return b, nil
}

// headingStyles returns the levels of the paragraph styles that are
// headings, by style id.
func headingStyles(f *zip.File) (map[string]int, error) {
	raw, err := readPart(f)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Styles []struct {
			ID   string `xml:"styleId,attr"`
			Name struct {
				Val string `xml:"val,attr"`
			} `xml:"name"`
		} `xml:"style"`
	}
	if err := xml.Unmarshal(raw, &doc); err != nil {
		return nil, fail(CodeUnreadable, "the DOCX document is damaged: word/styles.xml: %v", err)
	}
	out := map[string]int{}
	for _, s := range doc.Styles {
		if l := max(styleLevel(s.Name.Val), styleLevel(s.ID)); l > 0 {
			out[s.ID] = l
		}
	}
	return out, nil
}

// docxBlocks walks document.xml: every w:p is a block, its text the w:t
// of its runs (w:tab a tab, w:br and w:cr a line break). A paragraph
// inside another (in a text box) ends the outer one's text there.
func docxBlocks(raw []byte, headings map[string]int) ([]content.Block, error) {
	dec := xml.NewDecoder(bytes.NewReader(raw))
	var blocks []content.Block
	var text strings.Builder
	inPara, inText, level := false, false, 0 // level > 0: a heading
	skip := 0                                // depth inside elements whose text is not the document's
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return blocks, nil
		}
		if err != nil {
			return nil, fail(CodeUnreadable, "the DOCX document is damaged: word/document.xml: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Space != wordNS {
				continue
			}
			if skip > 0 {
				skip++
				continue
			}
			switch t.Name.Local {
			case "del", "delText", "instrText", "commentReference", "footnoteReference":
				skip = 1
			case "p":
				if inPara {
					blocks = append(blocks, block(text.String(), level))
				}
				inPara, level = true, 0
				text.Reset()
			case "pStyle":
				if l := headings[attr(t, "val")]; l > 0 {
					level = l
				}
			case "outlineLvl":
				// 0 to 8 are outline levels; 9 is body text.
				if v := attr(t, "val"); len(v) == 1 && v[0] >= '0' && v[0] <= '8' {
					level = min(int(v[0]-'0')+1, 6)
				}
			case "t":
				inText = true
			case "tab":
				text.WriteByte('\t')
			case "br", "cr":
				text.WriteByte('\n')
			}
		case xml.EndElement:
			if t.Name.Space != wordNS {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "p":
				if inPara {
					blocks = append(blocks, block(text.String(), level))
				}
				inPara = false
			}
		case xml.CharData:
			if inText && skip == 0 {
				text.Write(t)
			}
		}
	}
}

func block(text string, level int) content.Block {
	return content.Block{Text: text, Heading: level > 0, Level: level}
}

func attr(e xml.StartElement, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
