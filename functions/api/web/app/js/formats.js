// The formats a job can make, in generation order (components.schemas.Format).
export const FORMATS = [
  ["outline", "Outline"],
  ["podcast_script", "Podcast script"],
  ["study_guide", "Study guide"],
  ["one_pager", "One-pager"],
  ["detailed_reading", "Detailed reading"],
  ["faqs", "FAQs"],
  ["flashcards", "Flashcards"],
  ["reading_guide", "Reading guide"],
  ["quiz", "Quiz"],
  ["timeline", "Timeline"],
  ["image", "Cover image"],
  ["audio", "Podcast audio"],
  ["package", "Package (bundles)"],
];

export const label = (f) => (FORMATS.find(([k]) => k === f) || [f, f])[1];
