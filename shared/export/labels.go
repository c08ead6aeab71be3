package export

import "contentfactory.dev/factory/shared/content"

// labels are the exports' own words (headings, labels, the formats'
// titles, levels and difficulties) in the languages the offline backend
// writes in besides English, by base language, keyed by the English. A
// translation keeps its English label's fmt verbs. Other languages get
// the English labels.
var labels = map[string]map[string]string{
	"es": {
		"Contents": "Índice", "Topic: %s": "Tema: %s", "Audience: %s · Level: %s": "Público: %s · Nivel: %s",
		"Learning objectives": "Objetivos de aprendizaje", "%d min": "%d min", "about %.0f minutes": "unos %.0f minutos",
		"Key concepts": "Conceptos clave", "Summary": "Resumen", "Further reading": "Lecturas complementarias",
		"Key takeaways": "Ideas clave", "Conclusion": "Conclusión", "References": "Referencias",
		"Front": "Anverso", "Back": "Reverso", "Difficulty": "Dificultad", "Answers": "Respuestas", "Checks: %s": "Comprueba: %s",
		"(not supported by its sources)": "(no respaldado por sus fuentes)", "Source %d": "Fuente %d", "p. %d": "p. %d",
		"beginner": "principiante", "intermediate": "intermedio", "advanced": "avanzado",
		"easy": "fácil", "medium": "media", "hard": "difícil",
		"Sources": "Fuentes", "Outline": "Esquema", "Podcast script": "Guion del pódcast", "Study guide": "Guía de estudio",
		"One-pager": "Resumen de una página", "Detailed reading": "Lectura detallada", "FAQs": "Preguntas frecuentes",
		"Flashcards": "Tarjetas", "Reading guide": "Guía de lectura", "Quiz": "Cuestionario", "Timeline": "Cronología",
	},
	"fr": {
		"Contents": "Sommaire", "Topic: %s": "Sujet : %s", "Audience: %s · Level: %s": "Public : %s · Niveau : %s",
		"Learning objectives": "Objectifs d’apprentissage", "%d min": "%d min", "about %.0f minutes": "environ %.0f minutes",
		"Key concepts": "Concepts clés", "Summary": "Résumé", "Further reading": "Pour aller plus loin",
		"Key takeaways": "À retenir", "Conclusion": "Conclusion", "References": "Références",
		"Front": "Recto", "Back": "Verso", "Difficulty": "Difficulté", "Answers": "Réponses", "Checks: %s": "Vérifie : %s",
		"(not supported by its sources)": "(non étayé par ses sources)", "Source %d": "Source %d", "p. %d": "p. %d",
		"beginner": "débutant", "intermediate": "intermédiaire", "advanced": "avancé",
		"easy": "facile", "medium": "moyen", "hard": "difficile",
		"Sources": "Sources", "Outline": "Plan", "Podcast script": "Script du podcast", "Study guide": "Guide d’étude",
		"One-pager": "Synthèse d’une page", "Detailed reading": "Lecture approfondie", "FAQs": "Questions fréquentes",
		"Flashcards": "Fiches", "Reading guide": "Guide de lecture", "Quiz": "Quiz", "Timeline": "Chronologie",
	},
	"de": {
		"Contents": "Inhalt", "Topic: %s": "Thema: %s", "Audience: %s · Level: %s": "Zielgruppe: %s · Niveau: %s",
		"Learning objectives": "Lernziele", "%d min": "%d Min.", "about %.0f minutes": "etwa %.0f Minuten",
		"Key concepts": "Schlüsselbegriffe", "Summary": "Zusammenfassung", "Further reading": "Weiterführende Lektüre",
		"Key takeaways": "Kernaussagen", "Conclusion": "Fazit", "References": "Quellen",
		"Front": "Vorderseite", "Back": "Rückseite", "Difficulty": "Schwierigkeit", "Answers": "Antworten", "Checks: %s": "Prüft: %s",
		"(not supported by its sources)": "(nicht durch die Quellen gestützt)", "Source %d": "Quelle %d", "p. %d": "S. %d",
		"beginner": "Einsteiger", "intermediate": "Mittelstufe", "advanced": "Fortgeschritten",
		"easy": "leicht", "medium": "mittel", "hard": "schwer",
		"Sources": "Quellen", "Outline": "Gliederung", "Podcast script": "Podcast-Skript", "Study guide": "Lernleitfaden",
		"One-pager": "Auf einer Seite", "Detailed reading": "Ausführliche Lektüre", "FAQs": "Häufige Fragen",
		"Flashcards": "Lernkarten", "Reading guide": "Leseleitfaden", "Quiz": "Quiz", "Timeline": "Zeitleiste",
	},
	"pt": {
		"Contents": "Sumário", "Topic: %s": "Tema: %s", "Audience: %s · Level: %s": "Público: %s · Nível: %s",
		"Learning objectives": "Objetivos de aprendizagem", "%d min": "%d min", "about %.0f minutes": "cerca de %.0f minutos",
		"Key concepts": "Conceitos-chave", "Summary": "Resumo", "Further reading": "Leituras complementares",
		"Key takeaways": "Pontos principais", "Conclusion": "Conclusão", "References": "Referências",
		"Front": "Frente", "Back": "Verso", "Difficulty": "Dificuldade", "Answers": "Respostas", "Checks: %s": "Verifica: %s",
		"(not supported by its sources)": "(não sustentado por suas fontes)", "Source %d": "Fonte %d", "p. %d": "p. %d",
		"beginner": "iniciante", "intermediate": "intermediário", "advanced": "avançado",
		"easy": "fácil", "medium": "média", "hard": "difícil",
		"Sources": "Fontes", "Outline": "Roteiro", "Podcast script": "Roteiro do podcast", "Study guide": "Guia de estudo",
		"One-pager": "Resumo de uma página", "Detailed reading": "Leitura detalhada", "FAQs": "Perguntas frequentes",
		"Flashcards": "Cartões", "Reading guide": "Guia de leitura", "Quiz": "Questionário", "Timeline": "Linha do tempo",
	},
	"ja": {
		"Contents": "目次", "Topic: %s": "テーマ：%s", "Audience: %s · Level: %s": "対象：%s・レベル：%s",
		"Learning objectives": "学習目標", "%d min": "%d分", "about %.0f minutes": "約%.0f分",
		"Key concepts": "重要な概念", "Summary": "まとめ", "Further reading": "参考文献",
		"Key takeaways": "要点", "Conclusion": "結論", "References": "出典",
		"Front": "表", "Back": "裏", "Difficulty": "難易度", "Answers": "解答", "Checks: %s": "確認する目標：%s",
		"(not supported by its sources)": "（出典による裏付けなし）", "Source %d": "出典%d", "p. %d": "%dページ",
		"beginner": "初級", "intermediate": "中級", "advanced": "上級",
		"easy": "易しい", "medium": "普通", "hard": "難しい",
		"Sources": "出典", "Outline": "アウトライン", "Podcast script": "ポッドキャスト台本", "Study guide": "学習ガイド",
		"One-pager": "一枚まとめ", "Detailed reading": "詳しい読み物", "FAQs": "よくある質問",
		"Flashcards": "単語カード", "Reading guide": "読書ガイド", "Quiz": "クイズ", "Timeline": "年表",
	},
}

// Label is an export's own word or phrase in a language (a BCP 47 tag):
// its translation when the language has one, else the English.
func Label(lang, en string) string {
	if s, ok := labels[content.BaseLanguage(lang)][en]; ok {
		return s
	}
	return en
}

// FormatTitle is a format's title in a language.
func FormatTitle(lang string, f content.Format) string {
	return Label(lang, content.MustLookup(f).Title)
}
