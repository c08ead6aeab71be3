package content

import "strings"

// The text formats (the quiz and the timeline are in their own files).
// Each struct is the one definition of its format:
// SchemaFor derives from its tags the JSON Schema a model is given and the
// validator every output passes, and its Check method adds the rules a
// schema cannot express.

// Outline is the master outline every other format is derived from.
type Outline struct {
	Title              string           `json:"title" len:"3-200" desc:"Title of the learning material."`
	Overview           string           `json:"overview" len:"20-4000" desc:"What the material covers and why it matters, in a paragraph or two."`
	LearningObjectives []string         `json:"learning_objectives" items:"3-10" len:"5-300" desc:"What a learner can do afterwards, one per item."`
	Sections           []OutlineSection `json:"sections" items:"3-15" desc:"The sections of the material, in teaching order."`
	Audience           string           `json:"audience" len:"2-200" desc:"Who the material is for."`
	Level              string           `json:"level" enum:"beginner|intermediate|advanced" desc:"Difficulty level."`
}

// OutlineSection is one section of an outline.
type OutlineSection struct {
	Title       string   `json:"title" len:"3-200" desc:"Section title, unique within the outline."`
	Description string   `json:"description" len:"10-2000" claim:"" desc:"What the section covers."`
	KeyPoints   []string `json:"key_points" items:"1-10" len:"3-500" claim:"" desc:"The points the section must make."`
	Minutes     int      `json:"minutes" range:"1-120" desc:"Estimated study time in minutes."`
	Cited
}

// PodcastScript is a multi-speaker conversation about the topic.
type PodcastScript struct {
	Title            string    `json:"title" len:"3-200" desc:"Episode title; the outline's title."`
	Speakers         []Speaker `json:"speakers" items:"2-4" desc:"The speakers, exactly as requested."`
	Intro            string    `json:"intro" len:"10-2000" desc:"Opening words, spoken by the first speaker."`
	Turns            []Turn    `json:"turns" items:"4-600" desc:"The conversation, in order."`
	Outro            string    `json:"outro" len:"10-2000" desc:"Closing words, spoken by the first speaker."`
	TargetMinutes    int       `json:"target_minutes" range:"1-30" desc:"Requested length in minutes."`
	EstimatedMinutes float64   `json:"estimated_minutes" range:"0-60" desc:"Estimated spoken length at 150 words per minute."`
}

// Turn is one speaker's turn in a podcast script.
type Turn struct {
	Speaker string `json:"speaker" len:"1-60" desc:"Name of a declared speaker."`
	Text    string `json:"text" len:"1-4000" claim:"" desc:"What the speaker says, as plain spoken text."`
	Cited
}

// StudyGuide helps a learner review the material.
type StudyGuide struct {
	Title           string       `json:"title" len:"3-200" desc:"The outline's title."`
	Overview        string       `json:"overview" len:"20-4000" desc:"What the guide covers."`
	KeyConcepts     []KeyConcept `json:"key_concepts" items:"5-20" desc:"The concepts to master."`
	DetailedContent string       `json:"detailed_content" len:"100-30000" desc:"The material explained section by section, in Markdown."`
	Summary         string       `json:"summary" len:"20-4000" desc:"A closing summary."`
	FurtherReading  []string     `json:"further_reading" items:"0-10" len:"3-500" desc:"Suggested further reading."`
}

// KeyConcept is a term and its explanation.
type KeyConcept struct {
	Term        string `json:"term" len:"1-120" desc:"The term."`
	Explanation string `json:"explanation" len:"10-2000" claim:"" desc:"What it means, in context."`
	Cited
}

// OnePager is a one-page summary.
type OnePager struct {
	Title            string     `json:"title" len:"3-200" desc:"The outline's title."`
	ExecutiveSummary string     `json:"executive_summary" len:"20-2000" desc:"The whole topic in a paragraph."`
	KeyTakeaways     []Takeaway `json:"key_takeaways" items:"3-7" desc:"What to remember."`
	MainContent      string     `json:"main_content" len:"50-8000" desc:"The body of the page, in Markdown."`
}

// Takeaways makes uncited takeaways of texts.
func Takeaways(texts ...string) []Takeaway {
	out := make([]Takeaway, len(texts))
	for i, t := range texts {
		out[i] = Takeaway{Text: t}
	}
	return out
}

// Takeaway is one thing to remember from a one-pager.
type Takeaway struct {
	Text string `json:"text" len:"5-500" claim:"" desc:"The takeaway, one or two sentences that stand on their own."`
	Cited
}

// DetailedReading is a long-form reading.
type DetailedReading struct {
	Title        string           `json:"title" len:"3-200" desc:"The outline's title."`
	Introduction string           `json:"introduction" len:"20-4000" desc:"Introduction."`
	Sections     []ReadingSection `json:"sections" items:"3-10" desc:"The body, in the outline's order."`
	Conclusion   string           `json:"conclusion" len:"20-4000" desc:"Conclusion."`
	References   []string         `json:"references" items:"0-20" len:"3-500" desc:"Sources and references."`
}

// ReadingSection is one section of a detailed reading.
type ReadingSection struct {
	Title      string      `json:"title" len:"3-200" desc:"Section title."`
	Paragraphs []Paragraph `json:"paragraphs" items:"1-40" desc:"The section's text, paragraph by paragraph."`
}

// Paragraph is one paragraph of a detailed reading's section.
type Paragraph struct {
	Text string `json:"text" len:"2-6000" claim:"" desc:"The paragraph, in Markdown."`
	Cited
}

// FAQs are frequently asked questions with answers.
type FAQs struct {
	Title string `json:"title" len:"3-200" desc:"The outline's title."`
	FAQs  []FAQ  `json:"faqs" items:"5-15" desc:"Questions a learner would ask, with answers."`
}

// FAQ is one question and its answer.
type FAQ struct {
	Question string `json:"question" len:"5-300" pattern:"[?？؟]$" desc:"The question, ending with a question mark."`
	Answer   string `json:"answer" len:"10-3000" claim:"" desc:"The answer, which stands on its own without the question."`
	Category string `json:"category" len:"2-60" desc:"A short category label."`
	Cited
}

// Flashcards is a deck of study cards.
type Flashcards struct {
	Title string      `json:"title" len:"3-200" desc:"The outline's title."`
	Cards []Flashcard `json:"cards" items:"10-25" desc:"The cards."`
}

// Flashcard is one card.
type Flashcard struct {
	Front      string `json:"front" len:"2-300" desc:"Prompt side: a question, a term, or a sentence with a gap (_____) to fill."`
	Back       string `json:"back" len:"1-1000" desc:"Answer side: what the front asks for, standing on its own."`
	Difficulty string `json:"difficulty" enum:"easy|medium|hard" desc:"How hard the card is."`
	Cited
}

// ClaimTexts is what a card states: a cloze front with its gap filled by
// the back, else the back.
func (c *Flashcard) ClaimTexts() []string {
	if i := strings.Index(c.Front, "___"); i >= 0 {
		j := i
		for j < len(c.Front) && c.Front[j] == '_' {
			j++
		}
		return []string{c.Front[:i] + strings.TrimSpace(c.Back) + c.Front[j:]}
	}
	return []string{c.Back}
}

// ReadingGuide is a set of questions to read the material with.
type ReadingGuide struct {
	Title     string            `json:"title" len:"3-200" desc:"The outline's title."`
	Questions []ReadingQuestion `json:"questions" items:"5-15" desc:"Questions to answer while reading."`
}

// ReadingQuestion is a question tied to one outline section.
type ReadingQuestion struct {
	Question string `json:"question" len:"5-300" pattern:"[?？؟]$" desc:"The question, ending with a question mark."`
	Section  string `json:"section" len:"3-200" desc:"Title of the outline section it refers to, exactly as in the outline."`
}
