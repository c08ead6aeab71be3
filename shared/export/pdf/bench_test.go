package pdf_test

import (
	"testing"

	"contentfactory.dev/factory/shared/export"
	"contentfactory.dev/factory/shared/export/exporttest"
	"contentfactory.dev/factory/shared/export/pdf"
)

// BenchmarkRender renders the whole bundle of the export tests (every
// format, a cover): the bytes it allocates are most of what the package
// step holds per job.
func BenchmarkRender(b *testing.B) {
	bundle, cover := exporttest.Full(b)
	doc := export.NewDocument(bundle, "en-US", cover)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := pdf.Render(doc, created); err != nil {
			b.Fatal(err)
		}
	}
}
