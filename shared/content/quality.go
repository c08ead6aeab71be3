package content

// Quality is what the quality scorer (shared/quality) found in one
// document: a score in [0, 1] made of the parts below, the threshold of
// its format, and the findings behind the parts. Every text step records
// it; the job detail, the manifest and the bundles show it.
type Quality struct {
	// Score is the weighted mean of the parts that apply, in [0, 1].
	Score float64 `json:"score" firestore:"score"`
	// Threshold is the format's: a document scoring below it is sent back
	// with the findings, and flagged when it stays below.
	Threshold   float64            `json:"threshold" firestore:"threshold"`
	Readability ReadabilityQuality `json:"readability" firestore:"readability"`
	Coverage    CoverageQuality    `json:"coverage" firestore:"coverage"`
	Repetition  RepetitionQuality  `json:"repetition" firestore:"repetition"`
	Structure   StructureQuality   `json:"structure" firestore:"structure"`
	// Citations and Grounding apply to a job with sources only.
	Citations *CitationQuality  `json:"citations,omitempty" firestore:"citations,omitempty"`
	Grounding *GroundingQuality `json:"grounding,omitempty" firestore:"grounding,omitempty"`
	// Findings are the problems found, at most MaxFindings of them;
	// FindingsTotal counts them all.
	Findings      []Finding `json:"findings" firestore:"findings"`
	FindingsTotal int       `json:"findings_total" firestore:"findings_total"`
}

// MaxFindings bounds the findings a Quality keeps.
const MaxFindings = 20

// ReadabilityQuality is the reading grade of a document's prose against
// the band its requested level asks for.
type ReadabilityQuality struct {
	// Grade is the estimated school grade (Flesch-Kincaid in English, a
	// grade from LIX in other languages).
	Grade float64 `json:"grade" firestore:"grade"`
	// Min and Max are the band of the requested level.
	Min   float64 `json:"min" firestore:"min"`
	Max   float64 `json:"max" firestore:"max"`
	Score float64 `json:"score" firestore:"score"`
}

// CoverageQuality is how much of what the material must teach a document
// covers: the outline's learning objectives (for the outline itself,
// those its sections teach) and the key terms of the sources. A part that
// does not apply is absent.
type CoverageQuality struct {
	Objectives *float64 `json:"objectives,omitempty" firestore:"objectives,omitempty"`
	KeyTerms   *float64 `json:"key_terms,omitempty" firestore:"key_terms,omitempty"`
	Score      float64  `json:"score" firestore:"score"`
}

// RepetitionQuality is the share of a document's sentences that repeat an
// earlier one of the same document (Within) or a sentence of another
// document of the job (Across: the outline for a step, every other
// document in the package and in an evaluation).
type RepetitionQuality struct {
	Within float64 `json:"within" firestore:"within"`
	Across float64 `json:"across" firestore:"across"`
	Score  float64 `json:"score" firestore:"score"`
}

// StructureQuality counts the items whose form is wrong for their format
// (see the findings: an answer that cannot stand alone, a card that
// restates its front, a question that is not one, a template title or
// question, an item too long or cut short).
type StructureQuality struct {
	Items   int     `json:"items" firestore:"items"`
	Flagged int     `json:"flagged" firestore:"flagged"`
	Score   float64 `json:"score" firestore:"score"`
}

// CitationQuality counts the claims (sentences that state something) of
// a document's citable items and those whose item cites a passage.
type CitationQuality struct {
	Passages int     `json:"passages" firestore:"passages"`
	Claims   int     `json:"claims" firestore:"claims"`
	Cited    int     `json:"cited" firestore:"cited"`
	Coverage float64 `json:"coverage" firestore:"coverage"`
}

// GroundingQuality is the grounding check's verdicts on the cited claims
// and the support rate they make: supported counts one, partial a half.
type GroundingQuality struct {
	// Checker names what judged the claims: a model, or the offline
	// support score.
	Checker     string  `json:"checker" firestore:"checker"`
	Checked     int     `json:"checked" firestore:"checked"`
	Supported   int     `json:"supported" firestore:"supported"`
	Partial     int     `json:"partial" firestore:"partial"`
	Unsupported int     `json:"unsupported" firestore:"unsupported"`
	SupportRate float64 `json:"support_rate" firestore:"support_rate"`
}

// Finding is one problem the scorer or the grounding check found: where
// (a JSON Pointer into the document), a stable code and a message.
type Finding struct {
	Path    string `json:"path" firestore:"path"`
	Code    string `json:"code" firestore:"code"`
	Message string `json:"message" firestore:"message"`
}

// Finding codes.
const (
	FindingUnsupported  = "unsupported_claim"
	FindingUncited      = "uncited_claim"
	FindingDangling     = "dangling_answer"
	FindingRestated     = "restated_card"
	FindingTemplate     = "template_question"
	FindingKeywordTitle = "keyword_title"
	FindingNotAQuestion = "not_a_question"
	FindingTooLong      = "too_long"
	FindingTooShort     = "too_short"
	FindingCut          = "cut_short"
	FindingRepeated     = "repeated_sentence"
	FindingReadability  = "readability"
	FindingLowCoverage  = "low_coverage"
	FindingObjective    = "objective_not_covered"
)
