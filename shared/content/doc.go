// Package content is the content contract of the factory: the job request
// callers send, the formats a job can produce, and the shape of every text
// format's document.
//
// Each text format is defined once, as a Go struct with constraint tags
// (types.go; the quiz in quiz.go, the timeline in timeline.go). SchemaFor
// derives from it both the JSON Schema a model is asked to answer with
// and the validator every output must pass, so the two cannot drift
// apart. Rules no schema can express (a turn's speaker
// must be declared, a reading-guide question must name an outline section,
// a quiz question has exactly one correct option, a timeline is in
// chronological order) live in each type's check method and run in
// ValidateText. The podcast's styles and the length its narration must
// have are in podcast.go; the dates a source mentions, which decide
// whether a job has a timeline at all, in dates.go.
package content
