// Package quality measures the documents a job makes, as pure functions
// of a document, the request, the outline and the job's passages: the
// claims a document makes (Claims: the sentences of its cited items), a
// deterministic support score between a claim and its passages (Support,
// and Lexical, the grounding check that needs no model), and a quality
// score (Score) made of the reading grade against the requested level,
// the coverage of the outline's objectives and the sources' key terms,
// repetition within and across documents, the form of the items (answers
// that cannot stand alone, cards that restate their front, questions
// that are templates or not questions, keyword titles, items too long or
// cut short), and, for a job with sources, the share of claims that cite
// a passage and the support the check found. Thresholds say, per format,
// the score under which a document is repaired and then flagged.
package quality
