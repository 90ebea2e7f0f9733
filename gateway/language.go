package gateway

import (
	"slices"
	"strings"
)

// Language is a language Dragoman can name in a prompt.
type Language struct {
	Code string // ISO 639-1 (or 639-3 where there is no 639-1 code)
	Name string // English name, as written in prompts
	// ArabicScript is true for languages written in Arabic script: they are
	// the sources Dragoman detects, and never valid targets, because the
	// answer check rejects Arabic script left in a translation.
	ArabicScript bool
}

// AutoLanguage asks the gateway to detect the source language.
const AutoLanguage = "auto"

var languages = []Language{
	{"ar", "Arabic", true},
	{"fa", "Persian", true},
	{"ur", "Urdu", true},
	{"ps", "Pashto", true},
	{"ckb", "Central Kurdish", true},
	{"en", "English", false},
	{"fr", "French", false},
	{"de", "German", false},
	{"es", "Spanish", false},
	{"it", "Italian", false},
	{"pt", "Portuguese", false},
	{"nl", "Dutch", false},
	{"tr", "Turkish", false},
	{"id", "Indonesian", false},
	{"ms", "Malay", false},
	{"sw", "Swahili", false},
}

// LookupLanguage finds a language by its code, case-insensitively.
func LookupLanguage(code string) (Language, bool) {
	code = strings.ToLower(strings.TrimSpace(code))
	i := slices.IndexFunc(languages, func(l Language) bool { return l.Code == code })
	if i < 0 {
		return Language{}, false
	}
	return languages[i], true
}

// SourceLanguageCodes lists the codes accepted as source_lang, "auto" first.
func SourceLanguageCodes() []string {
	codes := []string{AutoLanguage}
	for _, l := range languages {
		codes = append(codes, l.Code)
	}
	return codes
}

// TargetLanguageCodes lists the codes accepted as target_lang.
func TargetLanguageCodes() []string {
	var codes []string
	for _, l := range languages {
		if !l.ArabicScript {
			codes = append(codes, l.Code)
		}
	}
	return codes
}
