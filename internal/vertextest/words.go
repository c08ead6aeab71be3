package vertextest

// vocabulary gives the fake's answers real-looking words. Answers are
// nonsense, but they read like prose, have realistic lengths, and never
// repeat where the content validator demands unique values.
var vocabulary = []string{
	"energy", "light", "plant", "cell", "process", "system", "model", "theory", "history", "method",
	"structure", "function", "pattern", "change", "growth", "balance", "signal", "network", "source", "result",
	"evidence", "example", "concept", "principle", "question", "answer", "problem", "solution", "context", "detail",
	"language", "culture", "society", "market", "policy", "science", "research", "experiment", "measure", "value",
	"water", "carbon", "oxygen", "sugar", "protein", "molecule", "reaction", "surface", "layer", "membrane",
	"river", "mountain", "climate", "season", "forest", "ocean", "planet", "orbit", "star", "galaxy",
	"number", "equation", "graph", "vector", "matrix", "proof", "sequence", "limit", "series", "function",
	"author", "reader", "story", "chapter", "argument", "claim", "reason", "review", "summary", "outline",
	"teacher", "student", "lesson", "course", "practice", "skill", "habit", "memory", "attention", "focus",
	"city", "region", "border", "trade", "route", "empire", "treaty", "record", "archive", "document",
	"engine", "machine", "circuit", "sensor", "program", "algorithm", "database", "protocol", "interface", "device",
	"health", "disease", "treatment", "symptom", "risk", "factor", "study", "sample", "trial", "outcome",
	"design", "material", "texture", "color", "shape", "space", "motion", "force", "pressure", "heat",
	"idea", "insight", "method", "framework", "approach", "strategy", "goal", "plan", "step", "stage",
	"careful", "simple", "complex", "central", "early", "modern", "ancient", "natural", "social", "global",
	"local", "rapid", "gradual", "stable", "dynamic", "hidden", "visible", "common", "rare", "useful",
	"clear", "direct", "indirect", "major", "minor", "basic", "advanced", "practical", "formal", "informal",
	"explains", "shows", "changes", "drives", "supports", "connects", "shapes", "limits", "reveals", "builds",
	"describes", "compares", "measures", "predicts", "improves", "reduces", "creates", "transforms", "controls", "guides",
	"often", "rarely", "quickly", "slowly", "clearly", "mostly", "usually", "together", "carefully", "widely",
	"across", "within", "between", "through", "beyond", "around", "during", "before", "after", "toward",
}

var connectors = []string{"the", "a", "of", "and", "in", "for", "with", "to", "by", "on"}
