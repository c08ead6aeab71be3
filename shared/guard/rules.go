package guard

import (
	"regexp"
	"sync"
)

// Signals: what kind of injection a rule recognizes. A signal's weight is
// how strongly it alone suggests an attack; see Score.
const (
	SigOverride     = "override"      // ignore / forget / override previous instructions
	SigPersona      = "persona"       // role-play, persona switch, DAN, "developer mode"
	SigPromptLeak   = "prompt_leak"   // asks for the system prompt or hidden rules
	SigPromptTalk   = "prompt_talk"   // mentions system prompts (weak: lessons about LLMs do)
	SigExfiltration = "exfiltration"  // data sent to a URL, tracking images, collectors
	SigLinkQuery    = "link_query"    // a link with a query string to an unknown host
	SigWebhook      = "webhook"       // mentions webhooks (weak)
	SigFence        = "fence_forgery" // imitates the data-block fence or its end
	SigRoleTag      = "role_tag"      // chat-template tokens, "SYSTEM:" lines
	SigAddressed    = "addressed_to_model"
	SigHijack       = "goal_hijack"   // "say I have been PWNED"
	SigEncodingHint = "encoding_hint" // asks to decode base64 / rot13 / hex
	SigHomoglyphs   = "homoglyphs"    // words mixing Latin letters with look-alikes
	SigZeroWidth    = "zero_width"    // invisible characters inside words
	SigObfuscated   = "obfuscated"    // a rule matched only after undoing spelling tricks
	SigROT13        = "rot13"
	SigReversed     = "reversed"
	SigBase64       = "encoded_base64"
	SigHex          = "encoded_hex"
	SigURLEncoded   = "encoded_url"
	SigEscapes      = "encoded_escapes"
	SigSplit        = "split_payload" // a rule matched only across fields
)

// transformWeight is the weight of a signal that says how an instruction
// was hidden (rot13, base64, split, …): it adds to the weight of what was
// hidden.
const transformWeight = 0.3

// Standalone weights of the signals that are not rules.
var signalWeight = map[string]float64{
	SigHomoglyphs: 0.2, SigZeroWidth: 0.2,
	SigObfuscated: transformWeight, SigROT13: transformWeight, SigReversed: transformWeight,
	SigBase64: transformWeight, SigHex: transformWeight, SigURLEncoded: transformWeight, SigEscapes: transformWeight,
	SigSplit: transformWeight,
}

// rule is one pattern of a signal. Patterns are written in lower case and
// run on lower-cased views, except the cased ones. Each is run only near
// the places where one of its anchors occurs: literals that every match
// must contain, found from the pattern itself (see anchors), so a long
// text costs one pass that finds the anchors of every rule (anchorSet),
// not a regular-expression scan per rule.
type rule struct {
	signal  string
	weight  float64
	english bool // also run on the rot13 and reversed views
	cased   bool // run on the text as written, not lower-cased
	re      *regexp.Regexp
	anchors []string
}

func group(signal string, weight float64, english bool, patterns ...string) []rule {
	out := make([]rule, len(patterns))
	for i, p := range patterns {
		re := regexp.MustCompile(p)
		out[i] = rule{signal: signal, weight: weight, english: english, re: re, anchors: anchors(p)}
	}
	return out
}

func build(groups ...[]rule) []rule {
	var out []rule
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Shared pieces of the English patterns.
const (
	gap      = `[^.!?\n]{0,40}?`
	instrEN  = `(?:instructions?|prompts?|rules?|directions?|directives?|guidelines?|guidance|orders?|commands?|context|constraints?|restrictions?|polic(?:y|ies)|programming|messages?|settings|conversation)`
	priorEN  = `(?:previous|prior|preceding|above|earlier|foregoing|former|original|initial|old|existing|given|system|developer|safety|other)`
	modelEN  = `(?:ai|a\.i\.|assistant|model|llm|language\s+model|chat\s?bot|bot|gpt|chatgpt|gemini|claude|bard|copilot|agent)`
	urlOrBox = `(?:https?://|www\.|[\w.+-]+@[\w-]+\.[a-z]{2,}|(?:the|this|my|following|that)\s+(?:url|server|endpoint|webhook|address|link|site|api))`
	sendEN   = `(?:send|post|forward|upload|transmit|exfiltrate|leak|e-?mail|mail|submit|relay|report|deliver)`
	dataEN   = `(?:conversation|chat\s+history|history|system\s+prompt|prompt|instructions|secrets?|passwords?|api\s+keys?|credentials|tokens?|canary|user\s+data|personal\s+data|source\s+text|everything|all\s+(?:the\s+)?(?:data|text|of\s+it)|the\s+(?:data|document|answer|output|text))`
	// stop ends a sentence in the scripts without spaces.
	gapCJK = `[^。！？!?.\n]{0,12}`
)

// rules are every pattern rule; the English ones come first. They are
// compiled on first use (Warm compiles them ahead), not at package
// initialization, which would hold up every instance's start.
var rules = sync.OnceValue(func() []rule {
	return build(
		// ── English ──────────────────────────────────────────────────────────
		group(SigOverride, 0.6, true,
			`\b(?:ignore|disregard|forget|override|overrule|bypass|skip|neglect|abandon|discard|drop|cancel)\s+(?:all\s+|any\s+|every\s+|each\s+)?(?:of\s+)?(?:the\s+|your\s+|my\s+|these\s+|those\s+)?`+priorEN+`\b[^.!?\n]{0,30}?\b`+instrEN+`\b`,
			`\b(?:ignore|disregard|forget)\s+(?:all|any|every|each)\s+(?:of\s+)?(?:your\s+|the\s+|my\s+)?(?:instructions?|prompts?|rules|directions|directives|guidelines|orders|commands|constraints|restrictions)\b`,
			`\b(?:ignore|disregard|forget)\s+(?:your|the\s+system'?s?|the\s+developer'?s?)\s+(?:instructions?|prompts?|rules|guidelines|programming|directives|system\s+prompt|constraints|restrictions|training)\b`,
			`\b(?:ignore|disregard|forget)\s+(?:everything|anything|all)\s+(?:above|before|previous|prior|earlier|so\s+far|you\s+(?:were|have\s+been|'ve\s+been)\s+(?:told|given|instructed))`,
			`\b(?:ignore|disregard)\s+(?:the\s+)?(?:above|previous|preceding|foregoing)\b`,
			`\b(?:ignore|disregard|forget)\s+(?:the|your|this|that|these)\s+(?:task|request|prompt|instructions?|rules|directions)\s+(?:above|before|given|you\s+were\s+given)\b`,
			`\b(?:new|updated|revised|real|actual|true|secret|hidden|additional|important|priority)\s+(?:system\s+)?(?:instructions?|directives?)\s*(?::|-|—|follow)`,
			`\bthe\s+instructions\s+(?:above|before\s+this)\s+(?:are|were)\s+(?:just\s+)?(?:a\s+test|wrong|fake|void|cancell?ed|obsolete|outdated|revoked|no\s+longer)`,
			`\b(?:do\s+not|don'?t|never|stop|cease)\s+(?:follow|obey|comply\s+with|adhere\s+to|listen\s+to|respect)(?:ing)?\s+(?:your|the|any|these|those|previous|prior|its|my|all)\b[^.!?\n]{0,25}?\b(?:instructions?|rules|guidelines|system|prompt|policies|restrictions|programming)\b`,
			`\b(?:your|the)\s+(?:real|true|actual|new|only)\s+(?:task|job|goal|instructions?|purpose|objective|mission)\s+(?:is|are|now)\b`,
			`\b(?:system|admin|administrator|developer|priority|emergency|security|root)\s+override\b`,
			`\bthe\s+(?:previous|above|prior|earlier|original)\s+(?:instructions?|rules|prompt)\s+(?:was|were|are|is)\s+(?:just\s+)?(?:a\s+test|wrong|fake|void|cancell?ed|obsolete|outdated|revoked|no\s+longer)`,
			`\b(?:override|overwrite|replace|reset|change|update)\s+(?:your|the)\s+(?:system\s+prompt|instructions|rules|guidelines|programming|directives)\b`,
			`\bend\s+of\s+(?:the\s+)?(?:system\s+)?(?:prompt|instructions)\b`,
		),
		group(SigOverride, 0.35, true,
			`\b(?:new|real|actual|true|secret|hidden)\s+task\s*(?::|-|—)`,
			`\bfrom\s+now\s+on\b[^.!?\n]{0,40}?\b(?:you\s+(?:will|must|shall|are|only)|respond|answer|reply|always|never|output|ignore|act|behave)\b`,
		),
		group(SigHijack, 0.5, true,
			`\b(?:i\s+have\s+been|i'?ve\s+been|you\s+have\s+been|you'?ve\s+been|haha)\s+pwn[e3]d\b`,
			`\b(?:print|output|say|respond\s+with|reply\s+with|answer\s+with|write|return|type|repeat)\s+(?:only\s+|just\s+|exactly\s+)?(?:the\s+(?:word|phrase|text|string|sentence)\s+)?["'“«]?(?:pwn[e3]d|hacked|access\s+granted|i\s+am\s+(?:free|alive|dan|sentient|jailbroken)|jailbroken|owned)\b`,
		),
		group(SigHijack, 0.35, true,
			`\bpwn[e3]d\b`,
			`\b(?:respond|reply|answer|output)\b[^.!?\n]{0,40}?\band\s+nothing\s+else\b`,
		),
		group(SigPersona, 0.6, true,
			`\bdo\s+anything\s+now\b`,
		),
		group(SigPersona, 0.45, true,
			`\byou\s+are\s+(?:now|no\s+longer|from\s+now\s+on)\s+(?:an?\s+|the\s+)?(?:dan|free|unrestricted|unfiltered|uncensored|jailbroken|evil|unbound|limitless|called|named|in\s+(?:developer|god|dan|jailbreak|unrestricted|admin|debug)\s+mode|no\s+longer\s+bound|not\s+bound|bound\s+by\s+no)\b`,
			`\b(?:act|behave|respond|answer|reply|speak|function|operate|role-?play)\s+(?:as|like)\s+(?:if\s+you\s+(?:are|were)\s+)?(?:a|an|the|my)?\s*(?:unrestricted|unfiltered|uncensored|jailbroken|evil|malicious|different|hacker|admin|administrator|root|superuser|sudo|system|developer|unaligned|amoral|unethical|dan|`+modelEN+`\s+(?:without|with\s+no|that\s+(?:has|have)\s+no))\b`,
			`\b(?:pretend|imagine|suppose|assume)\s+(?:to\s+be|you\s+are|you'?re|that\s+you\s+are|you\s+were|you\s+have)\s+(?:a|an|the)?\s*(?:unrestricted|unfiltered|uncensored|jailbroken|evil|different|new|free|no\s+(?:rules|restrictions|limits|guidelines|filters)|`+modelEN+`)\b`,
			`\b(?:god|jailbreak|jailbroken|unrestricted|dan|evil|chaos|opposite|unfiltered|uncensored|sudo)\s+mode\b`,
			`\b(?:enable|activate|enter|switch\s+to|turn\s+on)\s+(?:the\s+)?(?:god|jailbreak|dan|sudo|unrestricted|unfiltered|evil)\s+mode\b`,
			`\byou\s+(?:have|has|are|will\s+have)\s+(?:no|free\s+(?:from|of)|not\s+bound\s+by|no\s+longer\s+bound\s+by|without|broken\s+free\s+of)\s+(?:any\s+)?(?:restrictions|rules|limits|limitations|filters|guidelines|policies|constraints|ethics|morals|censorship)\b`,
			`\b(?:stay|remain)\s+in\s+character\b`,
			`\byour\s+new\s+(?:name|persona|identity|role|personality)\s+is\b`,
			`\b(?:simulate|emulate|impersonate|become)\s+(?:a|an|the)?\s*(?:unrestricted|unfiltered|uncensored|jailbroken|evil|different|amoral|unaligned)\b`,
			`\b(?:evil|unrestricted|unfiltered|uncensored|amoral|unaligned|jailbroken)\s+(?:ai|assistant|chat\s?bot|model|llm|gpt|gemini|twin|confidant|version\s+of\s+yourself)\b`,
		),
		group(SigPersona, 0.25, true,
			`\byou\s+are\s+now\s+(?:an?|the|my)\s+\w+`,
			`\bdeveloper\s+mode\b`,
		),
		group(SigPersona, 0.3, true,
			`\bjailbr(?:eak|oken|eaking)\b`,
			`\b(?:new|alternate|alter)\s+(?:persona|personality|identity)\b`,
		),
		group(SigPromptLeak, 0.5, true,
			`\b(?:reveal|show|print|repeat|output|display|dump|leak|expose|disclose|tell|give|share|write\s+out|spell\s+out|list|recite|echo|return|copy|paste|quote|translate|summari[sz]e|paraphrase|what\s+(?:is|are|was|were))(?:s|es|ed|d|ing)?\b`+gap+`\b(?:system\s*(?:prompt|message|instructions?)|initial\s+(?:prompt|instructions?)|original\s+(?:prompt|instructions?)|hidden\s+(?:rules?|instructions?|prompt|text|message)|secret\s+(?:rules?|instructions?|prompt|token|key|password|canary)|developer\s+(?:message|instructions?|prompt)|pre-?prompt|meta-?prompt|canary(?:\s+(?:token|string|value))?|fence\s+tokens?|data\s+tokens?|confidential\s+instructions?)\b`,
			`\b(?:reveal|show|print|repeat|output|display|dump|tell|give|share|recite|list|write|disclose|expose)(?:s|es|ed|ing)?\s+(?:me\s+|us\s+)?(?:your|all\s+your|all\s+of\s+your)\s+(?:instructions|rules|guidelines|directives|prompt|configuration|initial\s+\w+|hidden\s+\w+)\b`,
			`\b(?:repeat|print|output|copy|echo|recite|reproduce|write\s+out)\s+(?:back\s+)?(?:everything|all|the\s+(?:text|words|content|message|instructions?|lines?))\s+(?:above|before|preceding|so\s+far|prior|verbatim|word\s+for\s+word)\b`,
			`\b(?:instructions|prompt|rules|text)\s+(?:you\s+were|you'?ve\s+been|you\s+have\s+been)\s+(?:given|told|provided|programmed\s+with)\b`,
			`\bwhat\s+(?:were\s+you|have\s+you\s+been)\s+(?:told|instructed|programmed)\b`,
			`\b(?:begin|start)\s+(?:your\s+(?:answer|reply|response|output)\s+)?with\s+["'“]?(?:you\s+are|the\s+system|my\s+instructions)`,
			`\bverbatim\b`+gap+`\b(?:instructions?|prompt|rules)\b`,
			`\b(?:instructions?|prompt|rules)\b`+gap+`\bverbatim\b`,
		),
		group(SigPromptTalk, 0.2, true,
			`\bsystem\s+prompts?\b`,
			`\b(?:hidden|secret|internal)\s+(?:rules|instructions)\b`,
		),
		group(SigExfiltration, 0.6, true,
			`\b`+sendEN+`\b[^.!?\n]{0,60}?\b`+dataEN+`\b[^.!?\n]{0,60}?\b(?:to|at|into|via|in)\b[^.!?\n]{0,20}?`+urlOrBox,
			`(?:webhook\.site|requestbin|pipedream\.net|ngrok(?:-free)?\.(?:io|app)|burpcollaborator|interact\.sh|oast\.(?:fun|me|live|pro|site|online)|hookbin|beeceptor|canarytokens|requestcatcher|webhook\.cool)`,
			`\b(?:append|add|include|put|encode|insert)\b[^.!?\n]{0,40}?\b`+dataEN+`\b[^.!?\n]{0,40}?\b(?:to|in|into)\s+(?:the\s+)?(?:url|link|query|image\s+(?:url|link|source))`,
		),
		group(SigExfiltration, 0.25, true,
			`\b`+sendEN+`\b[^.!?\n]{0,60}?\b(?:to|at|via)\s+`+urlOrBox,
			`\b(?:curl|wget|fetch|ping|call|request)\s+(?:the\s+)?(?:url\s+|endpoint\s+)?:?\s*https?://`,
		),
		group(SigWebhook, 0.2, true,
			`\bwebhooks?\b`,
		),
		group(SigFence, 0.7, false,
			`<<<\s*data\b`,
			`\bdata-[0-9a-z]{0,64}\s*>>>`,
			`<<<\s*(?:end|system|instructions?|user|assistant|source|request|outline|previous-answer|problems|cover)\b`,
			`\b(?:source|request|outline|data|previous-answer|problems)\s*>>>`,
			`\bin\s+this\s+request\s+the\s+token\s+is\b`,
		),
		group(SigFence, 0.55, false,
			`(?m)^\s*(?:end|close|/)\s*(?:of\s+)?(?:the\s+)?(?:data|source|request|outline|user\s+input|input|document|context)\s*(?:block|text|section)?\s*(?:>>>|-->|\]\]|\}\}|\*\*\*|===)\s*$`,
			`\bend\s+of\s+(?:the\s+)?(?:data\s+block|source\s+text|user\s+input|untrusted\s+(?:data|input|text))\b`,
			`\bend\s+of\s+data\b`,
			`(?m)^\s*(?:>>>|-->|\]\]|\}\}|\*\*\*|===|---)\s*(?:end|close)\s+of\s+(?:the\s+)?(?:data|source|request|input|document|context)\b`,
			`\bthe\s+(?:data|source|request)\s+block\s+(?:is|has)\s+(?:now\s+)?(?:over|closed|ended|finished)\b`,
			`</?(?:data|system|instructions?|user_input|untrusted|system_prompt|admin|developer)>`,
			`\b(?:the\s+)?(?:fence\s+)?token\s+(?:is|was)\s+now\s+\S+`,
		),
		group(SigRoleTag, 0.4, false,
			`(?m)^[ \t>*#-]*\[?(?:system|assistant|developer|admin|administrator|root|sys)\]?\s*(?:message|prompt|note|instruction|override)?\s*:`,
			`<\|\s*(?:im_start|im_end|system|endoftext|assistant|user|begin_of_text|start_header_id|end_header_id|eot_id)\s*\|>`,
			`\[/?inst\]`,
			`<</?sys>>`,
			`</?(?:start|end)_of_turn>`,
			`(?m)^\s*#{2,}\s*(?:system|instructions?|new\s+instructions?|response|assistant)\s*:?\s*$`,
			`\[\s*(?:system|admin|developer|assistant)\s*(?:note|message|override|prompt)?\s*\]`,
			`\b(?:system|admin|developer)\s+(?:note|message|notice|alert)\s*:`,
		),
		group(SigAddressed, 0.5, true,
			`\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|a\.i\.|assistant|language\s+model|llm|chat\s?bot|bot|gpt|gemini|claude|model|automated|large\s+language\s+model)\b`,
			`\b(?:ai|language\s+model|llm|assistant|model)s?\s+(?:reading|processing|summari[sz]ing|analy[sz]ing)\s+this\b`,
		),
		group(SigAddressed, 0.45, true,
			`\b(?:note|message|instructions?|attention|reminder|hint|memo|warning|psa)\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+)?`+modelEN+`s?\b`,
			`\b(?:dear|hey|hello|hi|attention|listen|ok(?:ay)?)\s*,?\s+`+modelEN+`\b`,
			`\bas\s+(?:an?\s+ai|a\s+language\s+model)\b[^.!?\n]{0,30}?\b(?:you\s+must|you\s+should|ignore|reveal)\b`,
		),
		group(SigEncodingHint, 0.15, false,
			`\b(?:decode|decrypt|deobfuscate|translate|convert|interpret|execute|run|follow|obey)\b[^.!?\n]{0,30}?\b(?:base-?64|b64|rot-?13|hex(?:adecimal)?|caesar|cipher|encoded|binary|morse|reversed|backwards)\b`,
			`\b(?:base64|rot-?13|hex)\s*(?:encoded|string|payload|text|message|below|above)\b`,
			`\b(?:read|write|spell)\s+(?:this\s+|it\s+)?(?:backwards|in\s+reverse)\b`,
		),

		// ── Case-sensitive: DAN is also a name ───────────────────────────────
		[]rule{{signal: SigPersona, weight: 0.6, cased: true, anchors: []string{"DAN"},
			re: regexp.MustCompile(`\bDAN\s+(?i:mode|prompt|jailbreak)|(?i:\byou\s+are|\byou'?re|\bact\s+as|\bbecome|\bcalled|\bnamed)\s+DAN\b`)}},

		// ── French ───────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false,
			`ignor(?:e|ez|er)\s+(?:toutes?\s+)?(?:les|tes|vos|ces)\s+(?:instructions|consignes|règles|directives|ordres)`,
			`ne\s+(?:tiens|tenez)\s+(?:pas|plus)\s+compte\s+(?:des|de\s+tes|de\s+vos)\s+(?:instructions|consignes|règles)`,
			`oubli(?:e|ez|er)\s+(?:toutes?\s+)?(?:les|tes|vos|ces)\s+(?:instructions|consignes|règles|directives)`,
			`oubli(?:e|ez)\s+tout\s+ce\s+qu'on\s+t'a\s+dit`,
			`(?:instructions|consignes|directives)\s+(?:précédentes|antérieures|ci-dessus|initiales)`,
			`nouvelles\s+(?:instructions|consignes)\s*:`,
			`(?:à|a)\s+partir\s+de\s+maintenant,?\s+(?:tu|vous)\s+(?:es|êtes|dois|devez|réponds|répondez|vas|allez|ignores|ignorez)`,
		),
		group(SigPersona, 0.45, false,
			`(?:tu\s+es|vous\s+êtes)\s+(?:maintenant|désormais|à\s+présent)\s`,
			`(?:fais|faites)\s+semblant\s+d'être`,
			`(?:fais|faites)\s+comme\s+si\s+(?:tu\s+étais|vous\s+étiez)`,
			`(?:agis|agissez|comporte-toi|comportez-vous)\s+comme\s+(?:une?\s+)?(?:ia|assistant|modèle)?\s*(?:sans|libre|non\s+censuré|débridé)`,
			`mode\s+(?:développeur|dan|sans\s+restrictions?|dieu)`,
			`(?:tu\s+n'as|vous\s+n'avez)\s+(?:plus\s+)?(?:aucune|pas\s+de)\s+(?:restriction|limite|règle)s?`,
			`joue\s+le\s+rôle\s+d'une?\s+(?:ia|assistant|modèle)`,
		),
		group(SigPromptLeak, 0.5, false,
			`(?:prompt|invite|message|instructions?|consignes?)\s+(?:du\s+)?système`,
			`(?:révèle|révélez|montre|montrez|affiche|affichez|répète|répétez|donne|donnez|dis|dites|écris|écrivez|récite|imprime)(?:-moi|\s+moi)?\s+(?:tes|vos|ton|votre)\s+(?:instructions|consignes|règles|prompt|directives)`,
			`(?:règles|instructions|consignes)\s+(?:cachées|secrètes|confidentielles|initiales)`,
		),

		// ── German ───────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false,
			`ignorier(?:e|en|t)?\s+(?:(?:alle|sämtliche|die|deine)\s+){0,2}(?:vorherigen|bisherigen|obigen|vorigen|früheren|vorangegangenen|vorstehenden|deine)\s+(?:anweisungen|instruktionen|befehle|regeln|vorgaben|anordnungen)`,
			`ignorier(?:e|en)?\s+alle\s+(?:anweisungen|instruktionen|regeln|vorgaben)`,
			`vergiss\s+(?:alle|deine|sämtliche)\s+(?:vorherigen\s+|bisherigen\s+)?(?:anweisungen|instruktionen|regeln|vorgaben)`,
			`vergiss\s+alles,?\s+(?:was\s+(?:man\s+)?dir\s+(?:gesagt|befohlen|aufgetragen)|bisher|vorher|oben)`,
			`(?:vorherigen|bisherigen|obigen|vorigen)\s+(?:anweisungen|instruktionen)`,
			`neue\s+(?:anweisungen|instruktionen|regeln)\s*:`,
			`ab\s+(?:jetzt|sofort)\s+(?:bist\s+du|wirst\s+du|antwortest\s+du|gibst\s+du|ignorierst\s+du|sollst\s+du)`,
			`(?:befolge|folge)\s+(?:nicht|keine)\s+(?:mehr\s+)?(?:deinen|den|deine|die)?\s*(?:anweisungen|regeln)`,
		),
		group(SigPersona, 0.45, false,
			`du\s+bist\s+(?:jetzt|nun|ab\s+jetzt|ab\s+sofort|von\s+nun\s+an)\s+(?:ein|eine|der|die|das|dan|frei|nicht\s+mehr)`,
			`(?:tu|tue)\s+so,?\s+als\s+(?:ob\s+du|wärst\s+du|seist\s+du)`,
			`(?:verhalte\s+dich|agiere|handle)\s+(?:wie|als)\s+(?:eine?\s+)?(?:ki|assistent|modell)?\s*(?:ohne|uneingeschränkt|unzensiert|frei)`,
			`entwickler-?modus|developer-modus`,
			`du\s+hast\s+(?:keine|keinerlei)\s+(?:einschränkungen|regeln|grenzen|filter)`,
			`spiele?\s+die\s+rolle\s+(?:einer?|eines)\s+(?:ki|assistenten|modells)`,
		),
		group(SigPromptLeak, 0.5, false,
			`system-?(?:prompt|anweisung|anweisungen|nachricht)`,
			`(?:zeige?|nenne|verrate|wiederhole|gib|schreibe|drucke)\s+(?:mir\s+|uns\s+)?(?:deine|alle\s+deine)\s+(?:anweisungen|instruktionen|regeln|vorgaben|systemanweisungen|initialen\s+anweisungen)`,
			`(?:versteckten|geheimen|internen|ursprünglichen)\s+(?:anweisungen|regeln|instruktionen|vorgaben)`,
		),

		// ── Spanish ──────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false,
			`ignora(?:r|d)?\s+(?:todas\s+)?(?:las|tus|estas)\s+(?:instrucciones|indicaciones|reglas|órdenes|directrices)`,
			`olvida(?:r|d)?\s+(?:todas\s+)?(?:las|tus)\s+(?:instrucciones|indicaciones|reglas|órdenes|directrices)`,
			`olvida\s+todo\s+lo\s+(?:anterior|que\s+te\s+(?:dijeron|han\s+dicho))`,
			`(?:instrucciones|indicaciones|órdenes)\s+(?:anteriores|previas)`,
			`no\s+sigas\s+(?:las|tus)\s+(?:instrucciones|reglas)`,
			`a\s+partir\s+de\s+ahora,?\s+(?:eres|serás|responde|respondes|debes|vas\s+a|ignora)`,
			`nuevas\s+(?:instrucciones|reglas)\s*:`,
		),
		group(SigPersona, 0.45, false,
			`(?:ahora|desde\s+ahora|a\s+partir\s+de\s+ahora)\s+eres\s+(?:un|una|el|la|dan|libre)\s`,
			`finge\s+(?:ser|que\s+eres)`,
			`haz\s+de\s+cuenta\s+que\s+eres`,
			`(?:actúa|actua|compórtate|comportate)\s+como\s+(?:una?\s+)?(?:ia|asistente|modelo)?\s*(?:sin|libre|no\s+censurad)`,
			`modo\s+(?:desarrollador|dan|sin\s+restricciones|dios)`,
			`no\s+tienes\s+(?:ninguna\s+|ningún\s+)?(?:restricción|restricciones|límite|límites|regla|reglas|filtro)`,
		),
		group(SigPromptLeak, 0.5, false,
			`(?:prompt|mensaje|instrucciones|indicaciones)\s+del\s+sistema`,
			`(?:muestra|muéstrame|muestrame|revela|revélame|revelame|repite|repíteme|dime|imprime|escribe|enséñame)\s+(?:tus|todas\s+tus)\s+(?:instrucciones|reglas|indicaciones|directrices|prompt)`,
			`(?:reglas|instrucciones)\s+(?:ocultas|secretas|confidenciales|iniciales)`,
		),

		// ── Portuguese ───────────────────────────────────────────────────────
		group(SigOverride, 0.6, false,
			`ignor(?:e|a|ar|em)\s+(?:todas\s+)?(?:as|suas|tuas|estas)\s+(?:instruções|instrucoes|orientações|regras|ordens|diretrizes)`,
			`esque(?:ça|ca|ce|cer)\s+(?:todas\s+)?(?:as|suas|tuas)\s+(?:instruções|instrucoes|regras|orientações)`,
			`esque(?:ça|ca|ce)\s+tudo\s+(?:o\s+que|acima|anterior)`,
			`(?:instruções|instrucoes|orientações)\s+anteriores`,
			`não\s+(?:siga|sigas|obedeça)\s+(?:as|suas)\s+(?:instruções|regras)`,
			`a\s+partir\s+de\s+agora,?\s+(?:você|voce|tu)\s+(?:é|e|és|será|deve|vai|responde)`,
			`novas\s+(?:instruções|instrucoes|regras)\s*:`,
		),
		group(SigPersona, 0.45, false,
			`agora\s+(?:você|voce)\s+é|agora\s+és\s|(?:você|voce)\s+agora\s+é`,
			`finja\s+(?:ser|que\s+(?:você|voce)\s+é)`,
			`faça\s+de\s+conta`,
			`(?:aja|atue|comporte-se)\s+como\s+(?:uma?\s+)?(?:ia|assistente|modelo)?\s*(?:sem|livre|não\s+censurad)`,
			`modo\s+(?:desenvolvedor|dan|sem\s+restrições)`,
			`(?:você|voce)\s+não\s+tem\s+(?:nenhuma\s+)?(?:restrição|restrições|limite|limites|regras)`,
		),
		group(SigPromptLeak, 0.5, false,
			`(?:prompt|mensagem|instruções|instrucoes)\s+do\s+sistema`,
			`(?:mostre|mostra|revele|revela|repita|repete|diga|diz|imprima|exiba|escreva)(?:-me)?\s+(?:suas|tuas|todas\s+as\s+suas|o\s+seu)\s+(?:instruções|instrucoes|regras|orientações|prompt)`,
			`(?:regras|instruções)\s+(?:ocultas|secretas|confidenciais|iniciais)`,
		),

		// ── Italian ──────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false,
			`ignora(?:re)?\s+(?:tutte\s+)?(?:le|tue|queste)\s+(?:istruzioni|indicazioni|regole|direttive)`,
			`dimentica(?:re)?\s+(?:tutte\s+)?(?:le|tue)\s+(?:istruzioni|regole|indicazioni)`,
			`dimentica\s+tutto\s+(?:quello|ciò|cio)`,
			`istruzioni\s+(?:precedenti|iniziali|sopra)`,
			`non\s+seguire\s+(?:le|tue)\s+(?:istruzioni|regole)`,
			`(?:d'ora\s+in\s+poi|da\s+ora\s+in\s+poi|da\s+adesso\s+in\s+poi),?\s+(?:sei|rispondi|devi|ignora)`,
			`nuove\s+istruzioni\s*:`,
		),
		group(SigPersona, 0.45, false,
			`(?:ora|adesso|d'ora\s+in\s+poi)\s+sei\s+(?:un|una|il|la|dan|libero)\s`,
			`fingi\s+di\s+essere|fai\s+finta\s+di\s+essere`,
			`(?:comportati|agisci)\s+come\s+(?:una?\s+)?(?:ia|assistente|modello)?\s*(?:senza|libero|non\s+censurat)`,
			`modalit(?:à|a)\s+(?:sviluppatore|dan|senza\s+restrizioni)`,
			`non\s+hai\s+(?:alcuna\s+|nessuna\s+)?(?:restrizione|restrizioni|limite|limiti|regola|regole)`,
		),
		group(SigPromptLeak, 0.5, false,
			`(?:prompt|messaggio|istruzioni)\s+di\s+sistema`,
			`(?:mostra|mostrami|rivela|rivelami|ripeti|ripetimi|dimmi|stampa|scrivi)\s+(?:le\s+tue|tutte\s+le\s+tue|il\s+tuo)\s+(?:istruzioni|regole|indicazioni|prompt)`,
			`(?:regole|istruzioni)\s+(?:nascoste|segrete|riservate|iniziali)`,
		),

		// ── Dutch ────────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false,
			`negeer\s+(?:alle\s+)?(?:vorige|eerdere|voorgaande|bovenstaande)\s+(?:instructies|regels|opdrachten)`,
			`vergeet\s+(?:alle\s+)?(?:vorige|eerdere)\s+(?:instructies|regels)`,
		),
		group(SigPersona, 0.45, false, `je\s+bent\s+nu\s+(?:een|de|dan)\s`, `ontwikkelaarsmodus`),
		group(SigPromptLeak, 0.5, false, `systeemprompt|systeeminstructies`, `(?:toon|herhaal)\s+(?:je|jouw)\s+(?:instructies|regels)`),

		// ── Chinese (simplified and traditional) ─────────────────────────────
		group(SigOverride, 0.6, false,
			`(?:忽略|忽视|忽視|无视|無視|不要理会|不要理會|跳过|跳過)`+gapCJK+`(?:指令|指示|说明|說明|规则|規則|提示|要求|设定|設定|命令)`,
			`(?:忘记|忘記|忘掉)`+gapCJK+`(?:指令|指示|规则|規則|设定|設定|提示)`,
			`(?:不要|别|別)(?:再)?(?:遵守|遵循|服从|服從)`+gapCJK+`(?:指令|规则|規則|指示)`,
			`新(?:的)?指令[:：]`,
		),
		group(SigOverride, 0.35, false, `从现在开始|從現在開始|从现在起|從現在起`),
		group(SigPersona, 0.45, false,
			`你现在是|你現在是|现在你是|現在你是`,
			`扮演(?:一个|一個)?(?:没有|沒有|不受)`,
			`开发者模式|開發者模式|越狱|越獄`,
			`(?:没有|沒有|不受)(?:任何)?(?:限制|约束|約束|规则|規則)`,
		),
		group(SigPersona, 0.3, false, `假装|假裝`),
		group(SigPromptLeak, 0.5, false,
			`系统提示|系統提示|系统指令|系統指令|系统消息|系統訊息|系统设定|系統設定|初始指令|提示词|提示詞`,
			`(?:显示|顯示|告诉我|告訴我|输出|輸出|重复|重複|打印|泄露|洩露|透露|展示|说出|說出)`+gapCJK+`(?:你的)(?:指令|提示|规则|規則|设定|設定)`,
			`(?:隐藏|隱藏|秘密)(?:的)?(?:规则|規則|指令)`,
		),

		// ── Japanese ─────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false,
			`(?:以前|前|上記|これまで|先|最初)の(?:すべての|全ての)?(?:指示|命令|ルール|指令|設定)を?(?:すべて|全て)?(?:無視|忘れ)`,
			`(?:指示|命令|ルール)を(?:すべて|全て)?(?:無視|忘れ)`,
		),
		group(SigOverride, 0.35, false, `今から(?:あなたは|君は|お前は)`),
		group(SigPersona, 0.45, false,
			`あなたは(?:今|いま)から`,
			`(?:の|な)ふりをして`,
			`として(?:振る舞|ふるま)`,
			`開発者モード|脱獄|ジェイルブレイク`,
			`(?:制限|ルール|フィルター)(?:の|が)?(?:ない|なし|無し)`,
		),
		group(SigPromptLeak, 0.5, false,
			`システムプロンプト|システム(?:の)?指示|システムメッセージ|初期(?:の)?指示`,
			`(?:指示|プロンプト|ルール|設定)を(?:すべて|全て)?(?:表示|教えて|出力|繰り返|見せて|書き出)`,
			`隠された(?:ルール|指示)|秘密の(?:ルール|指示)`,
		),

		// ── Korean ───────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false, `(?:이전|모든|위의)\s*(?:지시|지침|명령|규칙)(?:을|를|은|는)?\s*(?:모두\s*)?(?:무시|잊어)`),
		group(SigPersona, 0.45, false, `개발자\s*모드`, `너는\s*이제`),
		group(SigPromptLeak, 0.5, false, `시스템\s*프롬프트`, `(?:지시|지침|규칙|프롬프트)(?:을|를)?\s*(?:보여|알려|출력)`),

		// ── Russian ──────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false,
			`(?:игнорир|проигнорир|не\s+обращай\s+внимания\s+на|не\s+учитывай|отбрось|отмени)\pL*[^.!?\n]{0,40}?(?:инструкци|указани|правил|команд|распоряжени|установк)\pL*`,
			`(?:забудь|забудьте)\s+(?:(?:все|всё|свои|твои|о|всех|предыдущ\pL*|прежн\pL*)\s+){1,3}(?:инструкци|указани|правил|команд|установк)\pL*`,
			`(?:забудь|забудьте)\s+(?:всё|все),?\s+что\s+(?:тебе|вам)\s+(?:сказали|говорили)`,
			`(?:предыдущ|прежн)\pL*\s+(?:инструкци|указани)\pL*`,
			`(?:отныне|с\s+этого\s+момента),?\s+(?:ты|вы)\s+(?:будешь|будете|должен|должна|должны|отвечаешь|игнорируешь)`,
			`новые\s+инструкции\s*:`,
		),
		group(SigPersona, 0.45, false,
			`(?:теперь\s+ты|ты\s+теперь|отныне\s+ты)\s+(?:—\s+|-\s+)?(?:dan|дэн|ии|бот|модель|ассистент|свободн|неограниченн|злой|другой|не\s+связан)`,
			`притворись|притворитесь`,
			`(?:веди|ведите)\s+себя\s+как`,
			`(?:сыграй|играй)\s+роль\s+(?:ии|бота|модели|ассистента)`,
			`режим\s+(?:разработчика|бога|dan)`,
			`без\s+(?:каких-либо\s+|всяких\s+|любых\s+)?(?:ограничений|цензуры|фильтров)`,
		),
		group(SigPromptLeak, 0.5, false,
			`системн\pL*\s+(?:промпт|подсказк|инструкци|сообщени|указани)\pL*`,
			`(?:покажи|покажите|раскрой|раскройте|выведи|выведите|повтори|повторите|напиши|расскажи|перечисли|дай)\s+(?:мне\s+)?(?:свои|твои|все\s+свои|все\s+твои|скрытые|исходные|начальные)\s+(?:инструкци|правил|промпт|указани|настройк)\pL*`,
			`(?:скрыт|секретн|внутренн)\pL*\s+(?:правил|инструкци)\pL*`,
		),

		// ── Arabic ───────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false,
			`(?:تجاهل|تجاهلي|تجاهلوا|انس|انسى|اهمل|أهمل)\s+(?:جميع\s+|كل\s+)?(?:التعليمات|الأوامر|القواعد|التوجيهات|الإرشادات|تعليماتك)`,
			`(?:التعليمات|الأوامر|التوجيهات)\s+السابقة`,
			`لا\s+(?:تتبع|تلتزم\s+ب)\s*(?:التعليمات|القواعد)`,
			`تعليمات\s+جديدة\s*:`,
		),
		group(SigOverride, 0.35, false, `من\s+الآن\s+فصاعد`),
		group(SigPersona, 0.45, false,
			`(?:أنت|انت)\s+(?:الآن|الان)`,
			`تظاهر|تظاهري`,
			`(?:تصرف|تصرفي)\s+(?:ك|مثل)`,
			`(?:العب|العبي)\s+دور`,
			`وضع\s+المطور`,
			`بدون\s+(?:أي\s+)?(?:قيود|رقابة)`,
		),
		group(SigPromptLeak, 0.5, false,
			`(?:موجه|تعليمات|رسالة|أوامر)\s+النظام`,
			`(?:اكشف|أظهر|اظهر|اعرض|كرر|اطبع|اكتب)\s*(?:لي\s+)?(?:تعليماتك|قواعدك|موجهك)`,
			`(?:القواعد|التعليمات)\s+(?:المخفية|السرية)`,
		),

		// ── Hindi ────────────────────────────────────────────────────────────
		group(SigOverride, 0.6, false, `(?:पिछले|पिछली|सभी)\s+(?:निर्देशों|निर्देश)\s+(?:को\s+)?(?:अनदेखा|नज़रअंदाज़|नजरअंदाज|भूल)`),
		group(SigPromptLeak, 0.5, false, `सिस्टम\s+प्रॉम्प्ट`),

		// ── Sending data to an address, in the other languages ───────────────
		group(SigExfiltration, 0.45, false,
			`(?:envoie|envoyez|envoyer|transmets|transmettez|transférez|schicke|schick|sende|senden|übermittle|leite|envía|envia|enviar|manda|mande|reenvía|envie|encaminhe|invia|inviare|inoltra|отправь|отправьте|отправить|перешли|пошли|أرسل|ارسل|أرسلي)[^.!?。！？\n]{0,80}?(?:https?://|www\.|[\w.+-]+@[\w-]+\.[a-z]{2,})`,
			`(?:发送|發送|发给|發給|发到|發到|转发|轉發|上传|上傳|送信|送って|転送|보내)[^。！？\n]{0,40}?(?:https?://|www\.|[\w.+-]+@[\w-]+\.[a-z]{2,})`,
			`(?:https?://|www\.)\S+[^。！？\n]{0,20}?(?:发送|發送|送信|に送|へ送)`,
		),
	)
})

// compactRules run on letter-spaced text squeezed together, where words
// have no gaps left ("ignoreallpreviousinstructions"); compiled on first
// use like rules.
var compactRules = sync.OnceValue(func() []rule {
	return build(
		group(SigOverride, 0.6, false,
			`(?:ignore|disregard|forget|override)(?:all|any|the|your|of)*(?:previous|prior|above|earlier|preceding|system)*(?:instructions?|prompts?|rules|directions|guidelines)`,
			`(?:ignore|disregard)(?:all|the)*(?:above|previous|prior)`,
		),
		group(SigPromptLeak, 0.5, false,
			`(?:reveal|show|print|repeat|output|tell)(?:me)?(?:your|the|all)+(?:system|initial|hidden|secret|original)*(?:prompt|instructions|rules)`,
			`systemprompt`,
		),
		group(SigPersona, 0.45, false, `doanythingnow`, `youarenow(?:dan|free|unrestricted|unfiltered|jailbroken)`, `jailbreak`, `developermode`),
	)
})

// Warm compiles the screen's rules now, so that the first screening does
// not wait for them; an instance calls it in the background at start.
func Warm() {
	rulesAnchors()
	compactAnchors()
}

// rulesAnchors and compactAnchors index the anchors of rules and
// compactRules (compiling them first).
var (
	rulesAnchors   = sync.OnceValue(func() *anchorSet { return newAnchorSet(rules()) })
	compactAnchors = sync.OnceValue(func() *anchorSet { return newAnchorSet(compactRules()) })
)
