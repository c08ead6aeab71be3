package extract

import "strings"

// sectionTemplate is a part of a generic course on any topic, used when
// there is no source text or too little of it. "%T" stands for the topic,
// "%A" for the audience and "%L" for the level.
type sectionTemplate struct {
	title     string
	desc      string
	points    []string
	objective string
}

var sectionTemplates = []sectionTemplate{
	{"Foundations of %T", "What %T is, where the idea comes from and why it matters for %A.", []string{
		"A working definition of %T in plain words.",
		"The problem or question that %T addresses.",
		"Why %T matters to %A.",
	}, "Explain what %T is and why it matters"},
	{"Core concepts and vocabulary", "The key terms and ideas needed to discuss %T precisely.", []string{
		"The essential vocabulary of %T and what each term means.",
		"How the central ideas of %T relate to one another.",
		"The distinctions that matter most at the %L level.",
	}, "Use the core vocabulary of %T correctly"},
	{"How it works", "The main mechanisms, processes or arguments behind %T, taken step by step.", []string{
		"The main steps or stages of %T, in order.",
		"What drives each step and what it produces.",
		"Where the process can vary or go wrong.",
	}, "Describe the main mechanisms or stages of %T"},
	{"Context and background", "The history and setting that shaped %T, and the people and ideas behind it.", []string{
		"Where %T comes from and how understanding of it developed.",
		"The people, places or events most closely linked to %T.",
		"How %T fits into its wider field.",
	}, "Place %T in its historical and practical context"},
	{"Examples and applications", "Concrete cases that show %T at work and how it is used in practice.", []string{
		"A typical example of %T, described step by step.",
		"Practical uses of %T today.",
		"How to recognise %T in an unfamiliar situation.",
	}, "Apply %T to a concrete example"},
	{"Common questions and misconceptions", "The mistakes learners often make about %T and how to avoid them.", []string{
		"A frequent misconception about %T and why it is wrong.",
		"Questions learners commonly ask about %T.",
		"How to check your own understanding of %T.",
	}, "Identify and correct common misconceptions about %T"},
	{"Review and next steps", "A summary of %T and suggestions for going further.", []string{
		"The ideas about %T most worth remembering.",
		"How the parts of %T fit together.",
		"Where to go next to deepen your knowledge of %T.",
	}, "Summarize the ideas about %T most worth remembering"},
}

// templateSections fills the generic course in for the request.
func (a *analysis) templateSections() []section {
	r := strings.NewReplacer("%T", a.topicPhrase(), "%A", a.audiencePhrase(), "%L", a.levelPhrase())
	out := make([]section, len(sectionTemplates))
	for i, t := range sectionTemplates {
		out[i] = section{title: capitalize(truncate(r.Replace(a.tr(t.title)), 200)), desc: truncate(r.Replace(a.tr(t.desc)), 2000),
			objective: truncate(r.Replace(a.tr(t.objective)), 300)}
		for _, p := range a.trs(t.points) {
			out[i].points = append(out[i].points, truncate(r.Replace(p), 500))
		}
	}
	return out
}

// templateMinutes is the study time of a templated section.
func (a *analysis) templateMinutes() int {
	switch a.level() {
	case "beginner":
		return 5
	case "advanced":
		return 10
	}
	return 8
}
